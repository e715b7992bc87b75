// MCP Mesh 3.7.1's own meshctl against our mesh, and our agents in a mixed fleet on MCP Mesh's own registry.
// meshctl (installed on demand, as the wire tests do) calls our agents through our registry's /proxy (its default)
// and directly, by tool name, by capability and as agent-id:tool; our agents registered with MCP Mesh's registry
// are called through its proxy, and call each other, with no session opened anywhere.
import test from 'ava';
import { spawn } from 'node:child_process';
import { startAgent, type AgentProc } from './support/agents.js';
import { mcpMeshBinaries, meshctl } from './support/mcp-mesh.js';
import { startExampleMesh } from './support/mesh.js';
import { freePort, stopAll, tempDir } from './support/processes.js';
import { waitFor } from './support/wait.js';

test.after.always(stopAll);

test.serial('meshctl calls our agents through our /proxy and directly, by tool name, by capability and as agent-id:tool', async (t) => {
  t.timeout(180_000);
  const mesh = await startExampleMesh({ agents: ['time-service', 'weather-fast', 'planner'] });
  const planner = mesh.agents.planner!;
  const runs: [string, string[]][] = [
    ['by tool name, through /proxy', ['call', 'plan_trip', '{"city":"Lisbon"}']],
    ['by tool name, directly', ['call', 'plan_trip', '{"city":"Lisbon"}', '--use-proxy=false']],
    ['by capability, through /proxy', ['call', 'trip_planning', '{"city":"Lisbon"}']],
    ['by capability, directly', ['call', 'trip_planning', '{"city":"Lisbon"}', '--use-proxy=false']],
    ['as agent-id:tool', ['call', `${planner.agentId}:plan_trip`, '{"city":"Lisbon"}']],
  ];
  for (const [what, args] of runs) {
    const run = await meshctl(args, mesh.registry.url);
    t.is(run.code, 0, `${what}: ${run.stderr}`);
    t.regex(run.stdout, /Lisbon/, what);
    t.regex(run.stdout, /weather-fast/, `${what}: planner → weather-fast → time-service ran`);
  }
  const list = await meshctl(['list'], mesh.registry.url);
  t.is(list.code, 0, list.stderr);
  for (const name of ['planner', 'weather-fast', 'time-service']) t.regex(list.stdout, new RegExp(name));
});

test.serial("our agents in a mixed fleet on MCP Mesh's registry: called through its proxy, and calling each other", async (t) => {
  t.timeout(180_000);
  const { registry: binary } = await mcpMeshBinaries();
  const port = await freePort();
  const data = tempDir('mcpmesh-registry-');
  t.teardown(data.remove);
  const child = spawn(binary, [], {
    env: { ...process.env, HOST: '127.0.0.1', PORT: String(port), DATABASE_URL: `${data.dir}/registry.db` },
    stdio: 'ignore',
  });
  t.teardown(() => child.kill('SIGKILL'));
  const url = `http://127.0.0.1:${port}`;
  await waitFor(
    'MCP Mesh registry up',
    () =>
      fetch(`${url}/health`).then(
        (r) => r.ok,
        () => false,
      ),
    20_000,
  );

  const env = { MCP_MESH_REGISTRY_URL: url, MCP_MESH_HEALTH_INTERVAL: '1' };
  const time: AgentProc = await startAgent('time-service', env);
  const greeter: AgentProc = await startAgent('greeter', env);
  // MCP Mesh's registry has no long-poll: the greeter learns of time-service at a heartbeat.
  await greeter.waitForLine(new RegExp(`topology \\w+ hello\\.time_service→${time.agentId}/now`), 30_000);

  const now = await meshctl(['call', 'now'], url);
  t.is(now.code, 0, now.stderr);
  t.regex(now.stdout, /\d{4}-\d{2}-\d{2}T/, "time-service answered through MCP Mesh's proxy");
  const hello = await meshctl(['call', 'hello', '{"name":"Ann"}'], url);
  t.is(hello.code, 0, hello.stderr);
  t.regex(hello.stdout, /Hello Ann, it is \d{4}-/, 'greeter called time-service (no "some time")');
});
