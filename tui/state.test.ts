import test from 'ava';
import type { RegistryEvent } from '../core/wire.js';
import { decodeAgents } from './registry-model.js';
import { SAMPLE_AGENTS } from '../test/fixtures/sample-registry.js';
import { MAX_EVENTS, MAX_RATE_SAMPLES, addReading, lastEventId, lastSeenRate, mergeEvents, pushRate, windowRate } from './state.js';

const ev = (id: number): RegistryEvent => ({ id, agent_id: 'a', agent_name: 'a', event_type: 'register', timestamp: '', data: {} });

test('events merge without duplicates, in id order, capped', (t) => {
  const merged = mergeEvents([ev(1), ev(3)], [ev(3), ev(2), ev(4)]);
  t.deepEqual(
    merged.map((e) => e.id),
    [1, 2, 3, 4],
  );
  const current = [ev(1)];
  t.is(mergeEvents(current, [ev(1)]), current); // unchanged: same array, no re-render needed
  const many = mergeEvents(
    [],
    Array.from({ length: MAX_EVENTS + 5 }, (_, i) => ev(i + 1)),
  );
  t.is(many.length, MAX_EVENTS);
  t.is(many[0]!.id, 6);
  t.is(lastEventId(many), MAX_EVENTS + 5);
  t.is(lastEventId([]), null);
});

test('heartbeat rate: averaged over the window of counter readings; a counter going backwards starts over', (t) => {
  let readings = addReading([], { value: 0, at: 0 });
  t.is(windowRate(readings), null);
  for (let s = 1; s <= 20; s++) readings = addReading(readings, { value: s % 5 === 0 ? s * 2 : readings.at(-1)!.value, at: s * 1000 });
  // Bursts every 5 s, a steady 2/s over the 10 s window.
  t.is(readings[0]!.at, 10_000);
  t.is(windowRate(readings), 2);
  t.deepEqual(addReading(readings, { value: 3, at: 21_000 }), [{ value: 3, at: 21_000 }]);
  t.is(pushRate(Array(MAX_RATE_SAMPLES).fill(1), 2).length, MAX_RATE_SAMPLES);
});

test('without a counter the rate counts agents whose last_seen moved', (t) => {
  const before = decodeAgents(SAMPLE_AGENTS);
  const after = before.map((a) => (a.name === 'greeter' ? { ...a, lastSeen: a.lastSeen! + 5000 } : a));
  t.is(lastSeenRate(before, after, 2), 0.5);
  t.is(lastSeenRate(before, before, 2), 0);
});
