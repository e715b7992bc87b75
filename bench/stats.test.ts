import test from 'ava';
import { bytes, ms, num, percentile } from './stats.js';
import { ratio } from './table.js';

test('percentile is nearest-rank over unsorted values', (t) => {
  const values = [5, 1, 4, 2, 3, 10, 9, 8, 7, 6];
  t.is(percentile(values, 0.5), 5);
  t.is(percentile(values, 0.99), 10);
  t.is(percentile(values, 0), 1);
  t.true(Number.isNaN(percentile([], 0.5)));
});

test('figures are shown with 3 significant digits and thin-space thousands', (t) => {
  t.is(num(10_000), '10 000');
  t.is(num(1234.5), '1 235');
  t.is(num(12.345), '12.3');
  t.is(ms(0.0123), '12.3 µs');
  t.is(ms(250), '250 ms');
  t.is(bytes(2048), '2 KB');
  t.is(bytes(20 * 1024 * 1024), '20 MB');
  t.is(num(Number.NaN), 'n/a');
});

test('ratio keeps two significant digits below 0.1 and says — when there is nothing to compare', (t) => {
  t.is(ratio(3, 2), '1.50×');
  t.is(ratio(23, 5000), '0.0046×');
  t.is(ratio(1, 0), '—');
  t.is(ratio(Number.NaN, 1), '—');
});
