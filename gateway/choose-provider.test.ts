import test from 'ava';
import type { CapabilityView } from '../core/wire.js';
import { buildCatalog } from './catalog.js';
import { chooseProvider, providerKey } from './choose-provider.js';
import { NO_FILTER } from './filter.js';

const provider = (agent: string, version = '1.0.0', fields: Partial<CapabilityView> = {}): CapabilityView => ({
  name: 'weather',
  function_name: 'forecast',
  version,
  tags: [],
  description: '',
  agent_id: agent,
  agent_name: 'weather',
  endpoint: `http://127.0.0.1:1/${agent}`,
  status: 'healthy',
  available: true,
  ...fields,
});

const tool = (providers: CapabilityView[]) => buildCatalog(providers, NO_FILTER, () => undefined).tools.get('forecast')!;
const always = () => true;

/** First picks of `n` calls (none in flight), by agent id. */
function firstPicks(t: ReturnType<typeof tool>, n: number, allow: (key: string) => boolean = always): Record<string, number> {
  const counts: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const p = chooseProvider(t, new Set(), allow)!;
    counts[p.agent_id] = (counts[p.agent_id] ?? 0) + 1;
  }
  return counts;
}

test('the gateway spreads over the equally good providers; a lower version is failover only', (t) => {
  const weather = tool([provider('w-1'), provider('w-2'), provider('w-3'), provider('w-old', '0.9.0')]);
  t.is(weather.sharing, 3);
  t.deepEqual(firstPicks(weather, 300), { 'w-1': 100, 'w-2': 100, 'w-3': 100 });
  const tried = new Set([providerKey(weather.providers[0]!), providerKey(weather.providers[1]!), providerKey(weather.providers[2]!)]);
  t.is(chooseProvider(weather, tried, always)?.agent_id, 'w-old', 'after the three, failover to the lower version');
});

test('least-inflight: a provider with calls under way gets fewer; an open circuit is skipped', (t) => {
  const weather = tool([provider('w-1'), provider('w-2')]);
  weather.load[0]!.inFlight = 5;
  t.deepEqual(firstPicks(weather, 10), { 'w-2': 10 });
  weather.load[0]!.inFlight = 0;
  const closed = providerKey(weather.providers[1]!);
  t.deepEqual(
    firstPicks(weather, 10, (key) => key !== closed),
    { 'w-1': 10 },
  );
});

test('one provider, or unequal ones: the best-ranked, as before', (t) => {
  const weather = tool([provider('w-1', '2.0.0'), provider('w-2', '1.0.0')]);
  t.is(weather.sharing, 1);
  t.deepEqual(firstPicks(weather, 5), { 'w-1': 5 });
});
