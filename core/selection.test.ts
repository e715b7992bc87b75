import test from 'ava';
import { parseDependencySpec, resolveDependency, standings, type ProviderCandidate } from './resolver.js';
import {
  allUsable,
  selectOnce,
  selectProvider,
  SelectionState,
  sharingCount,
  weightOf,
  type ProviderLoad,
  type SelectionStrategy,
} from './selection.js';

const loads = (...weights: number[]): { inFlight: number; weight: number }[] => weights.map((weight) => ({ inFlight: 0, weight }));

/** Picks `n` times with `strategy`; returns how many each provider got. */
function tally(strategy: SelectionStrategy, providers: ProviderLoad[], n: number, state = new SelectionState(8, 0), usable?: number): number[] {
  const counts = providers.map(() => 0);
  for (let i = 0; i < n; i++) counts[selectProvider(strategy, providers, providers.length, state, usable)]!++;
  return counts;
}

test('round-robin gives each provider its turn, and skips one that is not usable', (t) => {
  const state = new SelectionState(8, 0);
  const three = loads(1, 1, 1);
  t.deepEqual(
    [0, 1, 2, 3, 4, 5].map(() => selectProvider('round-robin', three, 3, state)),
    [0, 1, 2, 0, 1, 2],
  );
  t.deepEqual(tally('round-robin', three, 300, new SelectionState(8, 0), 0b101), [150, 0, 150]);
  t.is(selectProvider('round-robin', three, 3, state, 0), -1, 'none usable: -1');
});

test('least-inflight picks the least loaded, round-robin among equals', (t) => {
  const state = new SelectionState(8, 0);
  const three = [
    { inFlight: 2, weight: 1 },
    { inFlight: 0, weight: 1 },
    { inFlight: 0, weight: 1 },
  ];
  t.deepEqual(
    [0, 1, 2, 3].map(() => selectProvider('least-inflight', three, 3, state)),
    [1, 2, 1, 2],
  );
  three[0]!.inFlight = 0;
  t.deepEqual(tally('least-inflight', three, 300, state), [100, 100, 100], 'idle equals share exactly');
  three[2]!.inFlight = 1;
  t.deepEqual(tally('least-inflight', three, 10, state, 0b110), [0, 10, 0], 'the busy one and the unusable one are left out');
});

test('simulated calls of different lengths: least-inflight sends fewer to the slow provider', (t) => {
  // Provider 0 answers in 4 ticks, 1 and 2 in 1 tick; 3 calls start per tick.
  const providers = loads(1, 1, 1).map((p) => ({ ...p }));
  const duration = [4, 1, 1];
  const running: { provider: number; until: number }[] = [];
  const served = [0, 0, 0];
  const state = new SelectionState(8, 0);
  for (let tick = 0; tick < 1000; tick++) {
    for (let i = running.length - 1; i >= 0; i--) {
      if (running[i]!.until <= tick) {
        providers[running[i]!.provider]!.inFlight--;
        running.splice(i, 1);
      }
    }
    for (let c = 0; c < 3; c++) {
      const p = selectProvider('least-inflight', providers, 3, state);
      providers[p]!.inFlight++;
      served[p]!++;
      running.push({ provider: p, until: tick + duration[p]! });
    }
  }
  t.true(served[0]! < served[1]! && served[0]! < served[2]!, `slow one served ${served.join(' / ')}`);
});

test('weighted spreads in proportion to the weights, interleaved (smooth)', (t) => {
  const state = new SelectionState(8, 0);
  const two = loads(1, 3);
  t.deepEqual(
    [0, 1, 2, 3, 4, 5, 6, 7].map(() => selectProvider('weighted', two, 2, state)),
    [1, 0, 1, 1, 1, 0, 1, 1],
  );
  t.deepEqual(tally('weighted', loads(1, 3), 400), [100, 300]);
  t.deepEqual(tally('weighted', loads(2, 1, 1), 400), [200, 100, 100]);
  t.deepEqual(tally('weighted', loads(1, 3, 4), 800, new SelectionState(8, 0), 0b011), [200, 600, 0], 'an unusable one drops out of the proportion');
  t.deepEqual(tally('weighted', loads(0.5, 0.5), 10), [5, 5], 'fractional weights work');
});

test('first sticks to the first usable provider', (t) => {
  t.deepEqual(tally('first', loads(1, 1, 1), 9), [9, 0, 0]);
  t.deepEqual(tally('first', loads(1, 1, 1), 9, new SelectionState(8, 0), 0b110), [0, 9, 0]);
});

test('one provider, none, or more than a mask holds', (t) => {
  t.is(selectProvider('least-inflight', loads(1), 1, new SelectionState()), 0);
  t.is(selectProvider('weighted', loads(1), 1, new SelectionState(), 0), -1);
  t.is(selectProvider('round-robin', [], 0, new SelectionState()), -1);
  const many = loads(...Array.from({ length: 40 }, () => 1));
  const picked = new Set(Array.from({ length: 62 }, () => selectProvider('round-robin', many, 40, new SelectionState(40, 0))));
  t.true(
    [...picked].every((i) => i < 31),
    'at most 31 share',
  );
  t.is(allUsable(3), 0b111);
  t.is(allUsable(31), 0x7fffffff);
});

test('a fresh state starts at a random position: many fresh callers do not all pick the first', (t) => {
  const firsts = new Set(Array.from({ length: 50 }, () => selectProvider('round-robin', loads(1, 1, 1), 3, new SelectionState())));
  t.true(firsts.size > 1);
});

test('selectOnce: uniform for least-inflight and round-robin, weighted in proportion, first the first', (t) => {
  let seed = 1;
  const random = () => ((seed = (seed * 16807) % 2147483647) - 1) / 2147483646;
  const counts = [0, 0];
  for (let i = 0; i < 4000; i++) counts[selectOnce('weighted', loads(1, 3), 2, random)]!++;
  t.true(counts[1]! / counts[0]! > 2.5 && counts[1]! / counts[0]! < 3.5, `1:3 weights gave ${counts.join(':')}`);
  const uniform = [0, 0, 0];
  for (let i = 0; i < 3000; i++) uniform[selectOnce('least-inflight', loads(1, 1, 1), 3, random)]!++;
  t.true(
    uniform.every((n) => n > 850 && n < 1150),
    uniform.join(' / '),
  );
  t.is(selectOnce('first', loads(1, 1), 2), 0);
  t.is(selectOnce('weighted', [], 0), -1);
});

test('weights come from kwargs.weight; anything else is 1', (t) => {
  t.is(weightOf({ weight: 3 }), 3);
  t.is(weightOf(undefined), 1);
  t.is(weightOf({ weight: -1 }), 1);
  t.is(weightOf({ weight: '3' }), 1);
  t.is(weightOf({ weight: 1e9 }), 1_000_000);
});

const candidate = (agent_id: string, version: string, tags: string[] = []): ProviderCandidate => ({
  agent_id,
  agent_name: agent_id,
  function_name: 'forecast',
  capability: 'weather',
  version,
  tags,
  endpoint: `http://127.0.0.1:1/${agent_id}`,
});

test('standings: equal tag score and version share a rank; sharingCount counts the leading equals', (t) => {
  const spec = parseDependencySpec({ capability: 'weather', tags: ['+fast'] });
  const ranked = resolveDependency(spec, [
    candidate('a', '1.0.0', ['fast']),
    candidate('b', '1.0.0', ['fast']),
    candidate('c', '2.0.0'),
    candidate('d', '1.0.0'),
    candidate('e', '1.0.0'),
    candidate('f', '1.0.0', ['fast']),
  ]).ranked;
  t.deepEqual(
    ranked.map((c) => c.agent_id),
    ['a', 'b', 'f', 'c', 'd', 'e'],
  );
  const ranks = standings(spec, ranked);
  t.deepEqual(ranks, [0, 0, 0, 1, 2, 2]);
  t.is(sharingCount(ranks.map((rank) => ({ rank }))), 3);
  t.is(sharingCount([{}, {}]), 1, 'no ranks (MCP Mesh’s registry): the chosen one alone');
  t.is(sharingCount([]), 0);
  const plain = parseDependencySpec('weather');
  t.deepEqual(
    standings(plain, resolveDependency(plain, [candidate('x', '1.2.0'), candidate('y', 'v1.2'), candidate('z', 'latest')]).ranked),
    [0, 0, 1],
    'v1.2 is 1.2.0; a non-semver version ranks below',
  );
});
