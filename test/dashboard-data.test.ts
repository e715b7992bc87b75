// The dashboard's data source against a real registry over loopback: token, live events (SSE) and the agents
// re-read they trigger, and a registry restart (unreachable → back, the stream resumed by Last-Event-ID).
import test from 'ava';
import { join } from 'node:path';
import type { Registry } from '../registry/index.js';
import { DashboardDataSource } from '../tui/data-source.js';
import type { DashboardState } from '../tui/state.js';
import { tempDir } from './support/processes.js';
import { agentPayload, postHeartbeat, startRegistry } from './support/registry.js';
import { waitFor } from './support/wait.js';

const TOKEN = 's3cret';

/** A data source that records each state it publishes, stopped by the test's teardown. */
function watch(t: { teardown(fn: () => void): void }, registryUrl: string, token?: string) {
  const source = new DashboardDataSource({ registryUrl, token, pollIntervalMs: 200 });
  const states: { state: DashboardState; at: number }[] = [];
  source.onChange((state) => states.push({ state, at: Date.now() }));
  t.teardown(() => source.stop());
  source.start();
  return { source, states };
}

const consumer = (id: string) =>
  agentPayload(id, { tools: [{ function_name: 'hello', capability: 'greeting', dependencies: [{ capability: 'time_service' }] }] });
const provider = (id: string) => agentPayload(id, { tools: [{ function_name: 'now', capability: 'time_service', version: '1.0.0' }] });

test('with the token the dashboard reads the registry; without it, it says the token was refused', async (t) => {
  const registry = await startRegistry({ token: TOKEN });
  t.teardown(() => registry.close());
  await postHeartbeat(registry.url, provider('timesvc-00000001'), TOKEN);

  const good = watch(t, registry.url, TOKEN);
  await waitFor(
    'connection === online && agents.length === 1',
    () => good.source.state.connection === 'online' && good.source.state.agents.length === 1,
  );
  t.is(good.source.state.agents[0]!.name, 'timesvc');
  t.is(good.source.state.health?.counts?.healthy, 1);

  const bad = watch(t, registry.url, 'wrong');
  await waitFor('connection === refused', () => bad.source.state.connection === 'refused');
  t.regex(bad.source.state.lastError, /401/);
});

test('an event arrives over SSE and the agents are re-read at once (no wait for the next poll)', async (t) => {
  const registry = await startRegistry();
  t.teardown(() => registry.close());
  // A slow poll, so only the event can explain a quick update.
  const source = new DashboardDataSource({ registryUrl: registry.url, pollIntervalMs: 60_000 });
  t.teardown(() => source.stop());
  source.start();
  await waitFor('connection === online && stream === live', () => source.state.connection === 'online' && source.state.stream === 'live');

  await postHeartbeat(registry.url, provider('timesvc-00000001'));
  const sent = Date.now();
  await postHeartbeat(registry.url, consumer('greeter-00000002'));
  const answered = Date.now();
  await waitFor(
    'agents.find((a) => a.name === greeter)?.dependenciesResolved === 1',
    () => source.state.agents.find((a) => a.name === 'greeter')?.dependenciesResolved === 1,
    5000,
    2,
  );
  const seen = Date.now();
  t.log(`registration sent → in the dashboard's state: ${seen - sent} ms (POST answered after ${answered - sent} ms; poll interval 60 s)`);
  t.deepEqual(
    source.state.events.map((e) => e.event_type),
    ['register', 'register'],
  );
  t.like(source.state.agents.find((a) => a.name === 'greeter')!.wiring[0], { providerAgentId: 'timesvc-00000001', resolved: true });

  await fetch(`${registry.url}/agents/timesvc-00000001`, { method: 'DELETE' });
  await waitFor(
    'agents.find((a) => a.name === timesvc)?.status === unhealthy',
    () => source.state.agents.find((a) => a.name === 'timesvc')?.status === 'unhealthy',
    5000,
    2,
  );
  await waitFor(
    'agents.find((a) => a.name === greeter)?.dependenciesResolved === 0',
    () => source.state.agents.find((a) => a.name === 'greeter')?.dependenciesResolved === 0,
    5000,
    2,
  );
  t.true(source.state.events.some((e) => e.event_type === 'unregister' && e.agent_id === 'timesvc-00000001'));
});

test('registry restart: unreachable with the last state kept, then back online by itself; no event lost or doubled', async (t) => {
  const { dir, remove } = tempDir('mesh-dash-data-');
  t.teardown(remove);
  const dataFile = join(dir, 'registry.db');
  let registry: Registry = await startRegistry({ dataFile });
  t.teardown(() => registry.close());
  await postHeartbeat(registry.url, provider('timesvc-00000001'));
  const { source } = watch(t, registry.url);
  await waitFor(
    'connection === online && stream === live && events.length === 1',
    () => source.state.connection === 'online' && source.state.stream === 'live' && source.state.events.length === 1,
  );

  const port = registry.port;
  await registry.close();
  await waitFor('connection === unreachable', () => source.state.connection === 'unreachable');
  t.is(source.state.agents.length, 1, 'the last known agents are kept');
  t.not(source.state.lastUpdate, null);

  registry = await startRegistry({ dataFile, port });
  const back = Date.now();
  await waitFor('connection === online', () => source.state.connection === 'online', 10_000);
  t.log(`registry back → dashboard online: ${Date.now() - back} ms (poll interval 200 ms)`);
  await waitFor('stream === live', () => source.state.stream === 'live', 10_000);
  await postHeartbeat(registry.url, consumer('greeter-00000002'));
  await waitFor(
    'events.some((e) => e.agent_id === greeter-00000002)',
    () => source.state.events.some((e) => e.agent_id === 'greeter-00000002'),
    5000,
  );
  const ids = source.state.events.map((e) => e.id);
  t.deepEqual(
    ids,
    [...new Set(ids)].sort((a, b) => a - b),
    'ascending, no duplicate',
  );
  t.deepEqual(
    ids,
    ((await (await fetch(`${registry.url}/events?since=0`)).json()) as { events: { id: number }[] }).events.map((e) => e.id),
  );
});
