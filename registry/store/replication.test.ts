// Replicas apply one log of changes in one order, their own changes included: two stores that each change
// their own memory first (as registries answer at once) and then apply the shared log end up in the same state,
// with the same events, even when they decided things about the same agent at the same time.
import test from 'ava';
import type { HeartbeatRequest } from '../../core/wire.js';
import { RegistryMetrics } from '../metrics.js';
import { openMemoryStorage } from '../storage/memory.js';
import type { ReplicatedChange, Storage } from '../storage/index.js';
import { RegistryStore } from './index.js';

/** The database's role: one log, event ids from one counter, in the order changes were written (committed). */
function sharedLog() {
  const changes: ReplicatedChange[] = [];
  let eventId = 0;
  const storage = (decides: () => boolean): Storage => ({
    ...openMemoryStorage(),
    write(change) {
      changes.push(change.op === 'event' ? { ...change, event: { ...change.event, id: ++eventId } } : structuredClone(change));
    },
    replica: { follow: () => Promise.resolve(), seen() {}, decidesHealth: decides, unavailableReason: 'test' },
  });
  return { changes, storage };
}

function replica(storage: Storage, clock: { now: number }) {
  const store = new RegistryStore({
    timeoutMs: 1000,
    retentionMs: 60_000,
    maxEvents: 1000,
    storage,
    metrics: new RegistryMetrics(),
    log: () => {},
    now: () => clock.now,
  });
  let cursor = 0;
  return {
    store,
    /** Applies what the log holds beyond this replica's cursor. */
    follow(changes: readonly ReplicatedChange[]) {
      for (; cursor < changes.length; cursor++) store.applyReplicated(changes[cursor]!, 'the test log');
    },
  };
}

const provider = (id: string, version = '1.0.0'): HeartbeatRequest => ({
  agent_id: id,
  name: id.split('-')[0],
  http_host: '127.0.0.1',
  http_port: 9000,
  tools: [{ function_name: 'f', capability: 'weather', version }],
});
const consumer = (id: string): HeartbeatRequest => ({
  agent_id: id,
  name: 'planner',
  http_host: '127.0.0.1',
  http_port: 9100,
  tools: [{ function_name: 'plan', capability: 'planning', dependencies: ['weather'] }],
});

/** What must be equal at every replica: views (without last_seen, which each replica hears on its own) and events. */
function picture(store: RegistryStore) {
  return {
    agents: store
      .listAgents()
      .map(({ last_seen: _seen, ...view }) => view)
      .sort((a, b) => a.id.localeCompare(b.id)),
    events: store.listEvents({ since: 0, limit: 1000 }).events.map((e) => `${e.id}:${e.event_type}:${e.agent_id}`),
  };
}

test('two replicas that change their own memory first converge once both applied the shared log', (t) => {
  const clock = { now: 1_000_000 };
  const { changes, storage } = sharedLog();
  const a = replica(
    storage(() => true),
    clock,
  );
  const b = replica(
    storage(() => false),
    clock,
  );

  a.store.register(provider('weather-1'));
  b.store.register(consumer('planner-1'));
  b.store.register(provider('weather-2', '2.0.0'));
  a.follow(changes);
  b.follow(changes);
  t.deepEqual(picture(a.store), picture(b.store));
  t.is(a.store.topology('planner-1')!.dependencies_resolved.plan![0]!.agent_id, 'weather-2', 'A resolves with the provider B registered');
  t.deepEqual(picture(a.store).events, ['1:register:weather-1', '2:register:planner-1', '3:register:weather-2']);

  // At the same moment: A (the sweeper) times weather-2 out, while weather-2's POST reaches B.
  clock.now += 5000;
  a.store.touch('weather-1');
  a.store.touch('planner-1');
  a.store.sweep();
  b.store.register(provider('weather-2', '2.0.0'));
  b.store.unregister('weather-1');
  a.follow(changes);
  b.follow(changes);
  t.deepEqual(picture(a.store), picture(b.store), 'the same state and events at both');
  // B's POST changed nothing B knew of, so the timeout holds everywhere; the agent's next HEAD says so and it POSTs again.
  t.is(b.store.getAgent('weather-2')!.status, 'unhealthy');
  t.is(b.store.touch('weather-2'), 410);
  b.store.register(provider('weather-2', '2.0.0'));
  a.follow(changes);
  b.follow(changes);
  t.deepEqual(picture(a.store), picture(b.store));
  t.is(a.store.getAgent('weather-2')!.status, 'healthy', 'healthy again everywhere');
  t.is(b.store.getAgent('weather-1')!.status, 'unhealthy');
  t.is(b.store.topology('planner-1')!.dependencies_resolved.plan![0]!.agent_id, 'weather-2');

  // Conflicting changes made at the same time: the one committed last wins at every replica.
  a.store.unregister('weather-2');
  b.store.register(provider('weather-2', '3.0.0'));
  a.follow(changes);
  b.follow(changes);
  t.deepEqual(picture(a.store), picture(b.store));
  t.is(a.store.getAgent('weather-2')!.version, '', 'views show the registration B committed last');
  t.is(a.store.getAgent('weather-2')!.capabilities![0]!.version, '3.0.0');
  t.is(a.store.getAgent('weather-2')!.status, 'healthy');

  // Last-seen batches move deadlines at the sweeper; a replica that does not decide never times anyone out.
  clock.now += 900;
  b.store.touch('weather-2');
  b.store.touch('planner-1');
  a.store.applyReplicated(
    {
      op: 'seen',
      seen: [
        ['weather-2', clock.now],
        ['planner-1', clock.now],
      ],
    },
    'the test log',
  );
  clock.now += 500;
  t.is(b.store.sweep(), null, 'B does not decide');
  a.store.sweep();
  a.follow(changes);
  b.follow(changes);
  t.is(a.store.getAgent('weather-2')!.status, 'healthy', 'heard through the batch: not timed out');
  t.deepEqual(picture(a.store), picture(b.store));
});

test('resync makes memory equal to the database and gives one timeout of grace', (t) => {
  const clock = { now: 1_000_000 };
  const { changes, storage } = sharedLog();
  const a = replica(
    storage(() => true),
    clock,
  );
  a.store.register(provider('weather-1'));
  a.store.register(provider('ghost-1')); // a change whose commit failed: not in the database
  const saved = changes
    .filter((c) => c.op === 'agent' && c.agent.id === 'weather-1')
    .map((c) => (c as Extract<ReplicatedChange, { op: 'agent' }>).agent);
  clock.now += 900;
  a.store.resync(saved, 'the test log');
  t.deepEqual(
    a.store.listAgents().map((view) => view.id),
    ['weather-1'],
  );
  clock.now += 900; // 1.8 s after its last heartbeat, 0.9 s after the resync
  a.store.sweep();
  t.is(a.store.getAgent('weather-1')!.status, 'healthy', 'one timeout of grace from the resync');
});
