// The registry goes away for ~10 s while calls flow through planner → weather → time-service: agents keep
// their wiring and call each other directly, then re-register with the new (empty, in-memory) registry.
import test from 'ava';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { connectClient, type AgentProc } from './support/agents.js';
import { callInLoop, startExampleMesh } from './support/mesh.js';
import { stopAll } from './support/processes.js';
import { spawnRegistry, waitHealthy, type RegistryProc } from './support/registry.js';
import { sleep } from './support/wait.js';

test.after.always(stopAll);

test('registry stopped for 10 s while calls flow: no failed agent-to-agent call, then re-registration', async (t) => {
  const mesh = await startExampleMesh({
    agents: ['time-service', 'weather-fast', 'weather-precise', 'planner'],
    env: { MCP_MESH_HEALTH_INTERVAL: '1' },
  });
  let registry: RegistryProc = mesh.registry;
  const agents = Object.values(mesh.agents) as AgentProc[];
  const client: Client = await connectClient(mesh.agents.planner!.mcpUrl);

  const calls = callInLoop(
    client,
    'plan_trip',
    { city: 'Porto' },
    (r) => {
      const plan = r.structuredContent as any;
      // A degraded answer (no weather wired, or a weather provider without its clock) counts as a failure too.
      if (r.isError || !/^weather-/.test(plan?.weather?.source) || plan.weather.clock !== 'time_service') throw new Error(JSON.stringify(r.content));
      return plan.weather.source as string;
    },
    50,
  );
  const stopLoop = async () => {
    await calls.stop();
    await client.close();
  };
  t.teardown(stopLoop);

  await sleep(500);
  const port = registry.port;
  registry.signal('SIGTERM');
  await registry.exited;
  const downAt = Date.now();
  await sleep(10_000);
  registry = await spawnRegistry({ port });
  const upAt = Date.now();
  const registered = await waitHealthy(
    registry.url,
    agents.map((a) => a.agentId),
    45_000,
  );
  const allBackAt = Date.now();
  // Keep calling a little after everyone is back in the new registry.
  await sleep(1_500);
  await stopLoop();

  const { outcomes } = calls;
  const during = outcomes.filter((o) => o.at > downAt && o.at < upAt);
  const failed = outcomes.filter((o) => o.error);
  t.true(during.length > 20, `calls during the outage: ${during.length}`);
  t.deepEqual(failed, []);
  t.is(registered.length, 4);
  t.log(
    `${outcomes.length} calls (${during.length} while the registry was down), 0 failed; all 4 agents re-registered ${allBackAt - upAt} ms after the registry returned`,
  );
});
