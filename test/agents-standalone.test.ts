// An agent without a mesh: MCP_MESH_STANDALONE=true makes no registry request at all; with the registry merely
// absent the agent serves all the same and keeps retrying in the background. Either way the dependencies it
// provides itself are wired locally (self proxies); the registry's answer replaces that wiring once it comes.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import test from 'ava';
import { callTool, connectClient, fixtureAgentPath, startAgent } from './support/agents.js';
import { freePort, stopAll } from './support/processes.js';
import { getJson, spawnRegistry } from './support/registry.js';
import { sleep, waitFor } from './support/wait.js';

let fakeRegistry: Server;
let fakeUrl: string;
let registryRequests = 0;
/** test/fixtures/agents/selfish.ts: `quadruple` depends on `doubling`, which the agent provides twice itself. */
const selfish = fixtureAgentPath('selfish');

const EXPECTED_WIRING = { doubling: 'self/double', v2: 'self/double_v2', gpu: 'undefined', storage: 'undefined' };

test.before(async () => {
  // Stands where a registry would be, and only counts: a standalone agent must never knock.
  fakeRegistry = createServer((_req, res) => {
    registryRequests += 1;
    res.writeHead(503).end();
  });
  await new Promise<void>((r) => fakeRegistry.listen(0, '127.0.0.1', r));
  fakeUrl = `http://127.0.0.1:${(fakeRegistry.address() as AddressInfo).port}`;
});

test.after.always(async () => {
  await stopAll();
  fakeRegistry.closeAllConnections();
  await new Promise((r) => fakeRegistry.close(r));
});

test.serial('MCP_MESH_STANDALONE=true: tools work, dependencies on other agents are undefined, no registry traffic', async (t) => {
  const planner = await startAgent('planner', { MCP_MESH_STANDALONE: 'true', MCP_MESH_REGISTRY_URL: fakeUrl, MCP_MESH_HEALTH_INTERVAL: '0.2' });
  const client = await connectClient(planner.mcpUrl);
  t.teardown(() => client.close());
  const plan = await callTool(client, 'plan_trip', { city: 'Rome' });
  t.regex((plan.structuredContent as any).advice, /No weather service/);
  const packing = await callTool(client, 'packing_list', { conditions: 'sunny', temperature_c: 30 });
  t.true((packing.structuredContent as any).items.includes('sunscreen'));
  const { body: health } = await getJson(planner.endpoint, '/health');
  t.is(health.registry, 'standalone');
  await sleep(1_000);
  t.is(registryRequests, 0);
  t.false(planner.lines.some((l) => /heartbeat/.test(l.text)));
});

test.serial('registry absent: the agent serves anyway and retries with backoff', async (t) => {
  const time = await startAgent('time-service', { MCP_MESH_REGISTRY_URL: 'http://127.0.0.1:9', MCP_MESH_HEALTH_INTERVAL: '1' });
  const client = await connectClient(time.mcpUrl);
  t.teardown(() => client.close());
  const now = await callTool(client, 'now');
  t.regex((now.content[0] as any).text, /^\d{4}-\d\d-\d\dT/);
  const failures = await waitFor('two failed heartbeats', () => {
    const lines = time.lines.filter((l) => /heartbeat failed: .*retry in \d+s/.test(l.text));
    return lines.length >= 2 ? lines : undefined;
  });
  t.regex(failures[0]!.text, /retry in 1s/);
  t.regex(failures[1]!.text, /retry in 2s/);
  t.is((await getJson(time.endpoint, '/health')).body.registry, 'unreachable');
});

const STANDALONE_ENVS: Record<string, string>[] = [{ MCP_MESH_STANDALONE: 'true' }, { MCP_MESH_ENABLED: 'false' }, { MCP_MESH_AUTO_RUN: 'false' }];
for (const env of STANDALONE_ENVS) {
  const [[name, value]] = Object.entries(env) as [[string, string]];
  test.serial(`${name}=${value}: self-dependencies are wired locally (tags and versions apply), no registry traffic`, async (t) => {
    const before = registryRequests;
    const agent = await startAgent(selfish, { ...env, MCP_MESH_REGISTRY_URL: fakeUrl, MCP_MESH_HEALTH_INTERVAL: '0.2' });
    const line = await agent.waitForLine(/ topology /, 5_000);
    t.regex(
      line.text,
      /topology [0-9a-f]{8} quadruple\.doubling→self\/double, quadruple\.v2→self\/double_v2, quadruple\.gpu→unresolved, quadruple\.storage→unresolved \(local: standalone\)$/,
    );
    const client = await connectClient(agent.mcpUrl);
    t.teardown(() => client.close());
    const result = await callTool(client, 'quadruple', { n: 3 });
    t.falsy(result.isError, JSON.stringify(result));
    t.deepEqual(result.structuredContent, { value: 12, ...EXPECTED_WIRING });
    t.deepEqual((await getJson(agent.endpoint, '/health')).body.dependencies, { resolved: 2, total: 4 });
    await sleep(500);
    t.is(registryRequests, before);
    agent.signal('SIGKILL');
    await agent.exited;
  });
}

test.serial('registry absent: self-dependencies are wired locally until the registry answers, then its wiring replaces them', async (t) => {
  // A port nobody listens on now, where the registry starts later.
  const port = await freePort();

  const agent = await startAgent(selfish, { MCP_MESH_REGISTRY_URL: `http://127.0.0.1:${port}`, MCP_MESH_HEALTH_INTERVAL: '1' });
  const local = await agent.waitForLine(/ topology /, 5_000);
  t.regex(local.text, /quadruple\.doubling→self\/double, .*quadruple\.storage→unresolved \(local: until the registry answers\)$/);
  await agent.waitForLine(/heartbeat failed: /);
  const client = await connectClient(agent.mcpUrl);
  t.teardown(() => client.close());
  t.deepEqual((await callTool(client, 'quadruple', { n: 5 })).structuredContent, { value: 20, ...EXPECTED_WIRING });
  t.is((await getJson(agent.endpoint, '/health')).body.registry, 'unreachable');

  const from = agent.lines.length;
  const registry = await spawnRegistry({ port });
  t.teardown(() => registry.signal('SIGKILL'));
  await agent.waitForLine(/heartbeat registered/, 20_000, from);
  const replaced = await agent.waitForLine(/ topology /, 5_000, from);
  t.notRegex(replaced.text, /local/);
  // Same resolver, same candidates: the registry answers what the agent had worked out alone (same hash).
  t.is(/topology (\w+)/.exec(replaced.text)![1], /topology (\w+)/.exec(local.text)![1]);
  t.regex(
    replaced.text,
    /quadruple\.doubling→self\/double, quadruple\.v2→self\/double_v2, quadruple\.gpu→unresolved, quadruple\.storage→unresolved$/,
  );
  t.deepEqual((await callTool(client, 'quadruple', { n: 1 })).structuredContent, { value: 4, ...EXPECTED_WIRING });
  const { body: topology } = await getJson(registry.url, `/agents/${agent.agentId}/topology`);
  t.is((await getJson(agent.endpoint, '/health')).body.topology_hash, topology.topology_hash);
});
