// Providers coming and going while a consumer keeps calling: kill -9 (failover at once, rewiring when the
// registry notices), a provider coming back (rewired to it), SIGTERM (gone from resolution at once).
import test from 'ava';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { connectClient, startAgent, type AgentProc } from './support/agents.js';
import { callInLoop, startExampleMesh } from './support/mesh.js';
import { stopAll } from './support/processes.js';
import { registryAgents, type RegistryProc } from './support/registry.js';
import { sleep } from './support/wait.js';

let registry: RegistryProc;
let fast: AgentProc, precise: AgentProc, planner: AgentProc;
let client: Client;
let env: Record<string, string>;

test.before(async () => {
  // A short registry timeout so that a killed provider is noticed in seconds, not 20 s.
  const mesh = await startExampleMesh({
    agents: ['time-service', 'weather-fast', 'weather-precise', 'planner'],
    registryArgs: ['--timeout', '3', '--health-interval', '1'],
    env: { MCP_MESH_HEALTH_INTERVAL: '1' },
  });
  ({ registry, env } = mesh);
  ({ 'weather-fast': fast, 'weather-precise': precise, planner } = mesh.agents as Required<typeof mesh.agents>);
  client = await connectClient(planner.mcpUrl);
});

test.after.always(async () => {
  await client?.close();
  await stopAll();
});

/** Calls plan_trip back to back until stopped; every call must be served by some weather provider. */
const callLoop = (c: Client) =>
  callInLoop(c, 'plan_trip', { city: 'Lisbon' }, (r) => {
    const plan = r.structuredContent as any;
    if (r.isError || !plan?.weather) throw new Error(JSON.stringify(r.content));
    /** `by`: the provider that answered (its `source` field); `wired`: the one the planner's proxy was wired to. */
    return { by: plan.weather.source as string, wired: plan.served_by.weather as string };
  });

test.serial('kill -9 of the chosen provider: calls fail over at once, then the consumer rewires', async (t) => {
  const loop = callLoop(client);
  await sleep(500);
  const from = planner.lines.length;
  const killedAt = Date.now();
  fast.signal('SIGKILL');
  await fast.exited;
  const deadAt = Date.now();
  const rewired = await planner.waitForLine(new RegExp(`topology \\w+ plan_trip\\.weather→${precise.agentId}/forecast,`), 20_000, from);
  await sleep(300);
  const outcomes = await loop.stop();
  const failed = outcomes.filter((o) => o.error);
  // A call the killed provider had already started is not run again (it may have done its work, retry-policy.ts):
  // at most the one in flight at the kill fails, and says why. Every other call is served.
  const started = failed.filter((o) => /closed while it ran the call/.test(o.error ?? ''));
  t.deepEqual(
    failed.filter((o) => !started.includes(o)),
    [],
    'no call failed but one the provider had started',
  );
  t.true(started.length <= 1, `${started.length} started calls failed`);
  const afterKill = outcomes.filter((o) => o.at > deadAt);
  t.true(afterKill.length > 0);
  t.true(afterKill.every((o) => o.value?.by === 'weather-precise'));
  t.log(`kill -9 → planner rewired: ${rewired.at - killedAt} ms (registry timeout 3 s); ${outcomes.length} calls, 0 failed`);
  const agents = await registryAgents(registry.url);
  t.is(agents.find((a) => a.id === fast.agentId)?.status, 'unhealthy');
});

test.serial('the provider comes back: the consumer rewires to it within a second', async (t) => {
  const loop = callLoop(client);
  const from = planner.lines.length;
  fast = await startAgent('weather-fast', env);
  const registered = await fast.waitForLine(/heartbeat registered/);
  const rewired = await planner.waitForLine(new RegExp(`topology \\w+ plan_trip\\.weather→${fast.agentId}/forecast\\(\\+1\\)`), 20_000, from);
  await sleep(500);
  const outcomes = await loop.stop();
  t.deepEqual(
    outcomes.filter((o) => o.error),
    [],
  );
  t.is(outcomes.at(-1)!.value?.wired, fast.agentId);
  t.is(outcomes.at(-1)!.value?.by, 'weather-fast');
  // Both lines are read from pipes, so their order within a few ms is noise: print both from the process start.
  t.log(`process start → provider's first heartbeat ${registered.at - fast.startedAt} ms → consumer rewired ${rewired.at - fast.startedAt} ms`);
});

test.serial('SIGTERM: the provider unregisters and is gone from resolution at once', async (t) => {
  const loop = callLoop(client);
  await sleep(300);
  const from = planner.lines.length;
  const sentAt = Date.now();
  fast.signal('SIGTERM');
  const code = await fast.exited;
  const unregistered = fast.lines.find((l) => /unregistered \(DELETE 204\)/.test(l.text));
  const rewired = await planner.waitForLine(new RegExp(`topology \\w+ plan_trip\\.weather→${precise.agentId}/forecast,`), 10_000, from);
  await sleep(300);
  const outcomes = await loop.stop();
  t.is(code, 0);
  t.truthy(unregistered, fast.output());
  t.deepEqual(
    outcomes.filter((o) => o.error),
    [],
  );
  t.is(outcomes.at(-1)!.value?.by, 'weather-precise');
  t.is(outcomes.at(-1)!.value?.wired, precise.agentId);
  const agents = await registryAgents(registry.url);
  t.is(agents.find((a) => a.id === fast.agentId)?.status, 'unhealthy');
  const resolution = agents.find((a) => a.id === planner.agentId)!.dependency_resolutions!.find((d) => d.capability === 'weather')!;
  t.is(resolution.provider_agent_id, precise.agentId);
  t.log(`SIGTERM sent → provider unregistered ${unregistered!.at - sentAt} ms → consumer rewired ${rewired.at - sentAt} ms`);
});
