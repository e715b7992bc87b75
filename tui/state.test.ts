import test from 'ava';
import type { RegistryEvent } from '../registry/wire.js';
import { decodeAgents } from './registry-model.js';
import { SAMPLE_AGENTS } from './sample-registry.js';
import { MAX_EVENTS, counterRate, lastEventId, lastSeenRate, mergeEvents, pushRate, MAX_RATE_SAMPLES } from './state.js';

const ev = (id: number): RegistryEvent => ({ id, agent_id: 'a', agent_name: 'a', event_type: 'register', timestamp: '', data: {} });

test('events merge without duplicates, in id order, capped', (t) => {
  const merged = mergeEvents([ev(1), ev(3)], [ev(3), ev(2), ev(4)]);
  t.deepEqual(merged.map((e) => e.id), [1, 2, 3, 4]);
  const current = [ev(1)];
  t.is(mergeEvents(current, [ev(1)]), current); // unchanged: same array, no re-render needed
  const many = mergeEvents([], Array.from({ length: MAX_EVENTS + 5 }, (_, i) => ev(i + 1)));
  t.is(many.length, MAX_EVENTS);
  t.is(many[0]!.id, 6);
  t.is(lastEventId(many), MAX_EVENTS + 5);
  t.is(lastEventId([]), null);
});

test('heartbeat rate from a counter; a counter that went backwards (restart) gives no sample', (t) => {
  t.is(counterRate(null, 10, 1000), null);
  t.is(counterRate({ value: 10, at: 1000 }, 30, 3000), 10);
  t.is(counterRate({ value: 30, at: 1000 }, 2, 2000), null);
  t.is(pushRate(Array(MAX_RATE_SAMPLES).fill(1), 2).length, MAX_RATE_SAMPLES);
});

test('without a counter the rate counts agents whose last_seen moved', (t) => {
  const before = decodeAgents(SAMPLE_AGENTS);
  const after = before.map((a) => (a.name === 'greeter' ? { ...a, lastSeen: a.lastSeen! + 5000 } : a));
  t.is(lastSeenRate(before, after, 2), 0.5);
  t.is(lastSeenRate(before, before, 2), 0);
});
