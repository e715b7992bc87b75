// Faults with replicas on one real PostgreSQL server and real agent processes: the replica an agent heartbeats to is
// killed -9 while a consumer calls in a loop (no failed call, the agents move to another replica, a provider joining
// afterwards is still wired in); PostgreSQL stopped for 10 s (HEADs answered from memory, POSTs 503 JSON, no crash,
// everything back afterwards).
import test from 'ava';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { connectClient, startAgent, type AgentProc } from './support/agents.js';
import { startGateway } from './support/gateway.js';
import { callInLoop } from './support/mesh.js';
import { startPostgres, type PostgresServer } from './support/postgres.js';
import { stopAll } from './support/processes.js';
import { agentPayload, getJson, headHeartbeat, postHeartbeat, spawnRegistry, waitHealthy, type RegistryProc } from './support/registry.js';
import { sleep, waitFor } from './support/wait.js';

let server: PostgresServer;
const clients: Client[] = [];

test.before(async () => {
  server = await startPostgres();
});
test.after.always(async () => {
  await Promise.all(clients.map((c) => c.close().catch(() => {})));
  await stopAll();
  await server?.destroy();
});

/** Calls plan_trip back to back; a call that is not served by a weather provider counts as failed. */
function planLoop(client: Client) {
  return callInLoop(client, 'plan_trip', { city: 'Lisbon' }, (r) => {
    const plan = r.structuredContent as any;
    if (r.isError || !plan?.weather) throw new Error(JSON.stringify(r.content));
    return plan.weather.source as string;
  });
}

test.serial('kill -9 of the replica a consumer heartbeats to, mid call loop: no failed call, and a provider joining later is wired in', async (t) => {
  const url = await server.createDatabase('mesh_failover');
  const [a, b, c] = [
    await spawnRegistry({ args: ['--database-url', url] }),
    await spawnRegistry({ args: ['--database-url', url] }),
    await spawnRegistry({ args: ['--database-url', url] }),
  ] as [RegistryProc, RegistryProc, RegistryProc];
  // Each agent lists the replicas in its own order: the planner heartbeats to A, the providers to B and C.
  const list = (...replicas: RegistryProc[]) => ({ MCP_MESH_REGISTRY_URL: replicas.map((r) => r.url).join(','), MCP_MESH_HEALTH_INTERVAL: '1' });
  const time = await startAgent('time-service', list(b, c, a));
  const precise = await startAgent('weather-precise', list(c, b, a));
  const planner = await startAgent('planner', list(a, b, c));
  await waitHealthy(b.url, [time.agentId, precise.agentId, planner.agentId]);
  await planner.waitForLine(new RegExp(`topology \\w+ plan_trip\\.weather→${precise.agentId}/forecast`));
  await precise.waitForLine(new RegExp(`topology \\w+ forecast\\.time_service→${time.agentId}/now`));
  const client = await connectClient(planner.mcpUrl);
  clients.push(client);

  const loop = planLoop(client);
  await sleep(1000);
  const from = planner.lines.length;
  const killedAt = Date.now();
  a.signal('SIGKILL');
  await a.exited;
  // The planner moves to B at its next heartbeat (or at once, when its long-poll on A breaks).
  const moved = await planner.waitForLine(/registry http:\/\/\S+ failed .*; moving to http:\/\//, 10_000, from);
  await sleep(2000);

  // A provider that joins now (registering at C) is wired into the planner, which long-polls B.
  const fast: AgentProc = await startAgent('weather-fast', list(c, b));
  const serving = fast.lines.find((l) => /serving http/.test(l.text))!;
  const rewired = await planner.waitForLine(new RegExp(`topology \\w+ plan_trip\\.weather→${fast.agentId}/forecast`), 20_000, from);
  await sleep(500);
  const outcomes = await loop.stop();

  t.deepEqual(
    outcomes.filter((o) => o.error),
    [],
    'no call failed',
  );
  t.true(
    outcomes.some((o) => o.at > killedAt + 1500 && o.value === 'weather-fast'),
    'the new provider serves the planner',
  );
  // Still healthy everywhere, and no agent was ever marked unhealthy.
  for (const r of [b, c]) {
    const { body } = await getJson(r.url, '/agents');
    t.deepEqual(
      body.agents.filter((x: any) => x.status !== 'healthy').map((x: any) => x.id),
      [],
    );
  }
  const { body: events } = await getJson(c.url, '/events?since=0&limit=100');
  t.deepEqual(
    events.events.filter((e: any) => e.event_type === 'unhealthy'),
    [],
  );
  t.log(
    `${outcomes.length} calls, 0 failed; planner on another replica ${moved.at - killedAt} ms after the kill; ` +
      `a provider serving (and registering at C) → planner (long-polling B) rewired in ${rewired.at - serving.at} ms`,
  );
});

test.serial('PostgreSQL stopped for 10 s: HEADs answered from memory, POSTs 503 JSON, nothing crashes, everything back after', async (t) => {
  const url = await server.createDatabase('mesh_outage');
  const a = await spawnRegistry({ args: ['--database-url', url] });
  const b = await spawnRegistry({ args: ['--database-url', url] });
  const env = { MCP_MESH_REGISTRY_URL: `${a.url},${b.url}`, MCP_MESH_HEALTH_INTERVAL: '1' };
  const time = await startAgent('time-service', env);
  const fast = await startAgent('weather-fast', env);
  await waitHealthy(b.url, [time.agentId, fast.agentId]);
  await fast.waitForLine(new RegExp(`topology \\w+ forecast\\.time_service→${time.agentId}/now`));

  await server.stop();
  const downAt = Date.now();
  const heads: number[] = [];
  const posts: { status: number; error?: string }[] = [];
  let n = 0;
  while (Date.now() - downAt < 10_000) {
    for (const r of [a, b]) {
      heads.push(await headHeartbeat(r.url, time.agentId));
      const answer = await postHeartbeat(r.url, agentPayload(`during-${String(++n).padStart(8, '0')}`));
      posts.push({ status: answer.status, error: answer.body.error });
    }
    await sleep(500);
  }
  await server.start();
  const upAt = Date.now();

  t.true(a.alive && b.alive, 'no replica crashed');
  t.true(
    heads.every((s) => s === 200),
    `HEADs while PostgreSQL was down: ${[...new Set(heads)].join(', ')}`,
  );
  const refused = posts.filter((p) => p.status === 503);
  t.true(refused.length >= posts.length - 2, `POSTs while down: ${posts.map((p) => p.status).join(' ')}`);
  t.regex(refused[0]!.error!, /cannot commit to PostgreSQL/);

  // Back: each replica commits again by itself, and both see a registration made after the outage.
  await waitFor(
    'a POST accepted by both replicas',
    async () => {
      const answers = await Promise.all([a, b].map((r, i) => postHeartbeat(r.url, agentPayload(`after-0000000${i}`))));
      return answers.every((x) => x.status === 200);
    },
    30_000,
    250,
  );
  const backAt = Date.now();
  await waitFor(
    'both registrations at both replicas',
    async () => {
      const found = await Promise.all(
        [a, b].flatMap((r) => ['after-00000000', 'after-00000001'].map(async (id) => (await getJson(r.url, `/agents/${id}`)).status)),
      );
      return found.every((s) => s === 200);
    },
    10_000,
    50,
  );
  await waitHealthy(a.url, [time.agentId, fast.agentId]);
  const { body: health } = await getJson(a.url, '/health');
  t.is(health.status, 'healthy');
  t.true(a.alive && b.alive);
  t.log(
    `${heads.length} HEADs answered 200 and ${refused.length}/${posts.length} POSTs 503 while PostgreSQL was down; commits again ${backAt - upAt} ms after it restarted`,
  );
});

test.serial('the gateway follows the mesh through another replica when its replica is killed -9', async (t) => {
  const url = await server.createDatabase('mesh_gateway');
  const a = await spawnRegistry({ args: ['--database-url', url] });
  const b = await spawnRegistry({ args: ['--database-url', url] });
  const time = await startAgent('time-service', { MCP_MESH_REGISTRY_URL: `${b.url},${a.url}`, MCP_MESH_HEALTH_INTERVAL: '1' });
  await waitHealthy(a.url, [time.agentId]);
  const gateway = await startGateway(['--registry', `${a.url},${b.url}`]);
  await gateway.waitForLine(/gateway tools \d+ \(\+now\)|listening on .*, 1 tools\)/);
  const from = gateway.lines.length;
  a.signal('SIGKILL');
  await a.exited;
  // A provider that joins afterwards (registering at B) reaches the gateway's tool list through B.
  const greeter = await startAgent('greeter', { MCP_MESH_REGISTRY_URL: b.url, MCP_MESH_HEALTH_INTERVAL: '1' });
  const serving = greeter.lines.find((l) => /serving http/.test(l.text))!;
  const listed = await gateway.waitForLine(/gateway tools \d+ \(\+hello\)/, 30_000, from);
  t.truthy(
    gateway.lines.slice(from).find((l) => /registry back at /.test(l.text)),
    'the gateway moved to the other replica',
  );
  t.log(`greeter serving → in the gateway's tool list (gateway on replica B after A's kill -9): ${listed.at - serving.at} ms`);
});
