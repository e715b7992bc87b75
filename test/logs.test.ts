// MCP_MESH_LOG_FORMAT=json: the registry and an agent, as real processes, write one JSON object per line (time,
// level, msg, and who: service or agent_id, kind for heartbeat and topology lines), for log shippers.
import test from 'ava';
import { examplePath } from './support/agents.js';
import { childEnv, launchNode, REGISTRY_MAIN, stopAll } from './support/processes.js';

test.after.always(async () => {
  await stopAll();
});

const parse = (text: string) => JSON.parse(text) as Record<string, string>;

test('json lines from the registry and an agent; a wrong format is refused by name', async (t) => {
  const registry = launchNode('registry', REGISTRY_MAIN, ['--host', '127.0.0.1', '--port', '0'], { env: childEnv({ MCP_MESH_LOG_FORMAT: 'json' }) });
  const listening = parse((await registry.waitForLine(/"msg":"registry listening on /)).text);
  t.like(listening, { level: 'info', service: 'mesh-registry' });
  t.true(Date.parse(listening.time!) > 0 && listening.time!.endsWith('Z'));
  const url = /registry listening on (\S+)/.exec(listening.msg!)![1]!;

  const agent = launchNode('time-service', examplePath('time-service'), [], {
    env: childEnv({ MCP_MESH_REGISTRY_URL: url, MCP_MESH_LOG_FORMAT: 'json', MCP_MESH_HEALTH_INTERVAL: '1' }),
  });
  const serving = parse((await agent.waitForLine(/"msg":"serving http/)).text);
  t.like(serving, { level: 'info' });
  t.regex(serving.agent_id!, /^time-service-[0-9a-f]{8}$/);
  const beat = parse((await agent.waitForLine(/"kind":"heartbeat"/)).text);
  t.like(beat, { agent_id: serving.agent_id, kind: 'heartbeat' });
  t.regex(beat.msg!, /^registered \(POST 200/);
  t.true(
    agent.lines.every((l) => l.text.startsWith('{"time":"')),
    agent.output(),
  );

  const wrong = launchNode('wrong', REGISTRY_MAIN, ['--port', '0'], { env: childEnv({ MCP_MESH_LOG_FORMAT: 'yaml' }) });
  t.is(await wrong.exited, 2);
  t.regex(wrong.output(), /MCP_MESH_LOG_FORMAT must be text or json, not "yaml"/);
});
