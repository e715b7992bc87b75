// The health monitor with short timeouts: silent agents turn unhealthy (and invisible to resolution), come back
// with a POST, are purged after the retention; the event log is capped; a restart from the data file gives
// restored agents one timeout of grace instead of flapping.
import test from 'ava';
import { join } from 'node:path';
import { tempDir } from './support/processes.js';
import { agentPayload, getJson, headHeartbeat, postHeartbeat, startRegistry } from './support/registry.js';
import { sleep, waitFor } from './support/wait.js';

test('no heartbeat for `timeout` → unhealthy + event, consumers re-resolve; a POST brings it back', async (t) => {
  // 2 s: long enough that the consumer heartbeating every 25 ms never misses it on a busy machine.
  const registry = await startRegistry({ timeout: 2, healthInterval: 0.1 });
  t.teardown(() => registry.close());
  const url = registry.url;
  await postHeartbeat(url, agentPayload('quiet-00000001', { tools: [{ function_name: 'f', capability: 'work' }] }));
  const user = await postHeartbeat(url, agentPayload('user-00000002', { tools: [{ function_name: 'u', dependencies: ['work'] }] }));
  t.is(user.body.dependencies_resolved.u![0]!.agent_id, 'quiet-00000001');

  // The consumer keeps heartbeating; the provider goes silent.
  const started = Date.now();
  let consumerAnswer = 200;
  await waitFor(
    'the silent agent unhealthy',
    async () => {
      consumerAnswer = await headHeartbeat(url, 'user-00000002');
      return (await getJson(url, '/agents/quiet-00000001')).body.status === 'unhealthy';
    },
    10_000,
    25,
  );
  t.log(`silent agent turned unhealthy after ${Date.now() - started} ms (timeout 2000 ms, sweep every 100 ms)`);
  const agent = (await getJson(url, '/agents/quiet-00000001')).body;
  t.is(agent.status_reason, 'heartbeat timeout');
  t.is((await getJson(url, '/agents/user-00000002')).body.status, 'healthy', 'the heartbeating consumer stays healthy');
  t.is(await headHeartbeat(url, 'user-00000002'), 202, 'its provider became unhealthy');
  t.true([200, 202].includes(consumerAnswer));
  const event = (await getJson(url, '/events?agent_id=quiet-00000001&type=unhealthy')).body.events[0];
  t.is(event.data.reason, 'heartbeat timeout');
  t.is(await headHeartbeat(url, 'quiet-00000001'), 410, 'an unhealthy agent must POST again');
  const unresolved = await postHeartbeat(url, agentPayload('user-00000002', { tools: [{ function_name: 'u', dependencies: ['work'] }] }));
  t.is(unresolved.body.dependencies_resolved.u![0]!.status, 'unresolved', 'unhealthy providers are invisible');

  await postHeartbeat(url, agentPayload('quiet-00000001', { tools: [{ function_name: 'f', capability: 'work' }] }));
  t.is((await getJson(url, '/agents/quiet-00000001')).body.status, 'healthy');
  t.is((await getJson(url, '/events?limit=1')).body.events[0].event_type, 'healthy');
  t.is(await headHeartbeat(url, 'user-00000002'), 202, 'the provider is back');
});

test('a silent agent turns unhealthy at last heartbeat + timeout, not a health_interval later', async (t) => {
  // health_interval 30 s is only the purge cadence: the 1 s timeout is kept to the deadline.
  const registry = await startRegistry({ timeout: 1, healthInterval: 30 });
  t.teardown(() => registry.close());
  const url = registry.url;
  await postHeartbeat(url, agentPayload('brief-00000001', { tools: [{ function_name: 'f', capability: 'work' }] }));
  await sleep(300);
  t.is(await headHeartbeat(url, 'brief-00000001'), 200);
  const lastHeard = Date.now();
  await waitFor('brief unhealthy', async () => (await getJson(url, '/agents/brief-00000001')).body.status === 'unhealthy', 8000, 50);
  t.log(`unhealthy ${Date.now() - lastHeard} ms after its last heartbeat (timeout 1000 ms, health_interval 30 s)`);
  const agent = (await getJson(url, '/agents/brief-00000001')).body;
  t.is(agent.status_reason, 'heartbeat timeout');
  t.true(Date.parse(agent.last_seen) >= lastHeard - 1000, 'the HEAD refreshed last_seen');

  // A second agent registered later gets its own deadline, while the first is already unhealthy.
  await postHeartbeat(url, agentPayload('late-00000002'));
  const registered = Date.now();
  await waitFor('late unhealthy', async () => (await getJson(url, '/agents/late-00000002')).body.status === 'unhealthy', 8000, 50);
  t.log(`second agent unhealthy ${Date.now() - registered} ms after registering`);
});

test('unhealthy agents are purged after `retention` (an `expired` event), then HEAD answers 410', async (t) => {
  const registry = await startRegistry({ timeout: 60, healthInterval: 0.1, retention: 0.3 });
  t.teardown(() => registry.close());
  const url = registry.url;
  await postHeartbeat(url, agentPayload('old-00000001'));
  await fetch(`${url}/agents/old-00000001`, { method: 'DELETE' });
  await waitFor('old purged', async () => (await getJson(url, '/agents/old-00000001')).status === 404, 10_000, 25);
  const events = (await getJson(url, '/events?agent_id=old-00000001')).body.events.map((e: any) => e.event_type);
  t.deepEqual(events, ['expired', 'unregister', 'register'], 'the audit trail outlives the agent');
  t.is(await headHeartbeat(url, 'old-00000001'), 410);
  t.is((await getJson(url, '/health')).body.agents.total, 0);
});

test('the event log is capped at maxEvents, the newest kept', async (t) => {
  const registry = await startRegistry({ maxEvents: 5 });
  t.teardown(() => registry.close());
  for (let i = 0; i < 12; i++) await postHeartbeat(registry.url, agentPayload(`cap-${String(i).padStart(8, '0')}`));
  const events = (await getJson(registry.url, '/events?limit=100')).body.events.map((e: any) => e.id);
  t.deepEqual(events, [12, 11, 10, 9, 8]);
  t.deepEqual(
    (await getJson(registry.url, '/events?since=0')).body.events.map((e: any) => e.id),
    [8, 9, 10, 11, 12],
  );
});

test('restart from the data file: agents and events come back, restored agents get one timeout of grace', async (t) => {
  const { dir, remove } = tempDir();
  t.teardown(remove);
  const dataFile = join(dir, 'registry.db');
  const first = await startRegistry({ dataFile, timeout: 3, healthInterval: 0.1 });
  await postHeartbeat(first.url, agentPayload('prov-00000001', { tools: [{ function_name: 'f', capability: 'work', version: '1.2.0' }] }));
  const consumer = await postHeartbeat(first.url, agentPayload('cons-00000002', { tools: [{ function_name: 'u', dependencies: ['work'] }] }));
  await postHeartbeat(first.url, agentPayload('gone-00000003'));
  await sleep(20);
  t.is(await headHeartbeat(first.url, 'gone-00000003'), 200); // a heartbeat time newer than its registration
  await fetch(`${first.url}/agents/gone-00000003`, { method: 'DELETE' });
  const before = (await getJson(first.url, '/events?since=0')).body.events;
  const goneLastSeen = (await getJson(first.url, '/agents/gone-00000003')).body.last_seen;
  await first.close();

  // Longer than the timeout passes while the registry is down: without grace, everything would time out at once.
  await sleep(3200);
  const second = await startRegistry({ dataFile, timeout: 3, healthInterval: 0.1 });
  t.teardown(() => second.close());
  const url = second.url;
  const agents = (await getJson(url, '/agents')).body.agents;
  t.deepEqual(
    agents.map((a: any) => [a.id, a.status]),
    [
      ['prov-00000001', 'unknown'],
      ['cons-00000002', 'unknown'],
      ['gone-00000003', 'unhealthy'],
    ],
  );
  t.deepEqual((await getJson(url, '/events?since=0')).body.events, before, 'the event log survived');
  await sleep(500); // several sweeps
  t.is((await getJson(url, '/health')).body.agents.unknown, 2, 'no agent flapped to unhealthy after the restart');

  t.is(await headHeartbeat(url, 'cons-00000002'), 200, 'same topology as its last POST: nothing to do');
  t.is((await getJson(url, '/agents/cons-00000002')).body.status, 'healthy');
  const topology = (await getJson(url, '/agents/cons-00000002/topology')).body;
  t.is(topology.topology_hash, consumer.body.topology_hash, 'the resolution is the same after the restart');
  t.is(await headHeartbeat(url, 'gone-00000003'), 410);
  t.is((await getJson(url, '/agents/gone-00000003')).body.last_seen, goneLastSeen, 'an unhealthy agent keeps its last heartbeat time');

  // The provider never comes back: after its grace it times out like any silent agent.
  const answers = new Set<number>();
  await waitFor(
    'the provider unhealthy after its grace',
    async () => {
      answers.add(await headHeartbeat(url, 'cons-00000002')); // the consumer keeps heartbeating
      return (await getJson(url, '/agents/prov-00000001')).body.status === 'unhealthy';
    },
    10_000,
    100,
  );
  t.is(await headHeartbeat(url, 'cons-00000002'), 202);
  t.true(answers.has(200));
});
