import test from 'ava';
import { CircuitBreaker } from './breaker.js';

test('opens after the threshold, lets one trial through after the cooldown', (t) => {
  let now = 0;
  const b = new CircuitBreaker({ threshold: 3, cooldownMs: 1000, now: () => now });
  t.false(b.failure('p'));
  t.false(b.failure('p'));
  t.true(b.allow('p'));
  t.true(b.failure('p'));
  t.is(b.state('p'), 'open');
  t.false(b.allow('p'));
  now = 1000;
  t.is(b.state('p'), 'half-open');
  t.true(b.allow('p'));
  t.false(b.allow('p'), 'only one trial at a time');
  t.true(b.failure('p'), 'a failed trial re-opens at once');
  now = 2000;
  t.true(b.allow('p'));
  b.success('p');
  t.is(b.state('p'), 'closed');
});

test('a success resets the count; a topology reset closes the circuit', (t) => {
  const b = new CircuitBreaker({ threshold: 2 });
  b.failure('p');
  b.success('p');
  t.false(b.failure('p'));
  t.true(b.failure('p'));
  t.false(b.allow('p'));
  b.reset(['p']);
  t.true(b.allow('p'));
});
