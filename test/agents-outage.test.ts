// The registry goes away for ~10 s while calls flow through planner → weather → time-service: agents keep
// their wiring and call each other directly, then re-register with the new (empty, in-memory) registry.
import test from 'ava';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import {
  callTool,
  connectClient,
  sleep,
  startAgent,
  startRegistry,
  stopAll,
  waitHealthy,
  type AgentProc,
  type RegistryProc,
} from './support/agents.js';

test.after.always(stopAll);

test('registry stopped for 10 s while calls flow: no failed agent-to-agent call, then re-registration', async (t) => {
  let registry: RegistryProc = await startRegistry();
  const env = { MCP_MESH_REGISTRY_URL: registry.url, MCP_MESH_HEALTH_INTERVAL: '1' };
  const agents: AgentProc[] = await Promise.all(
    ['time-service', 'weather-fast', 'weather-precise', 'planner'].map((name) => startAgent(name, env)),
  );
  const [time, fast, , planner] = agents as [AgentProc, AgentProc, AgentProc, AgentProc];
  await waitHealthy(registry.url, agents.map((a) => a.agentId));
  await planner.waitForLine(new RegExp(`plan_trip\\.weather→${fast.agentId}/forecast\\(\\+1\\)`));
  await fast.waitForLine(new RegExp(`forecast\\.time_service→${time.agentId}/now`));
  const client: Client = await connectClient(planner.mcpUrl);

  const outcomes: { at: number; ok: boolean; detail?: string }[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      const at = Date.now();
      try {
        const r = await callTool(client, 'plan_trip', { city: 'Porto' });
        const plan = r.structuredContent as any;
        // A degraded answer (no weather wired, or a weather provider without its clock) counts as a failure too.
        const ok = !r.isError && /^weather-/.test(plan?.weather?.source) && plan.weather.clock === 'time_service';
        outcomes.push({ at, ok, detail: ok ? undefined : JSON.stringify(r.content) });
      } catch (error) {
        outcomes.push({ at, ok: false, detail: String(error) });
      }
      await sleep(50);
    }
  })();

  const stopLoop = async () => {
    running = false;
    await loop;
    await client.close();
  };
  t.teardown(stopLoop);

  await sleep(500);
  const port = registry.port;
  registry.signal('SIGTERM');
  await registry.exited;
  const downAt = Date.now();
  await sleep(10_000);
  registry = await startRegistry({ port });
  const upAt = Date.now();
  const registered = await waitHealthy(registry.url, agents.map((a) => a.agentId), 45_000);
  const allBackAt = Date.now();
  // Keep calling a little after everyone is back in the new registry.
  await sleep(1_500);
  await stopLoop();

  const during = outcomes.filter((o) => o.at > downAt && o.at < upAt);
  const failed = outcomes.filter((o) => !o.ok);
  t.true(during.length > 20, `calls during the outage: ${during.length}`);
  t.deepEqual(failed, []);
  t.is(registered.length, 4);
  t.log(`${outcomes.length} calls (${during.length} while the registry was down), 0 failed; all 4 agents re-registered ${allBackAt - upAt} ms after the registry returned`);
});
