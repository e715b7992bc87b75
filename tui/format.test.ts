import test from 'ava';
import { colorWanted, contentWidths, fit, fitColumns, formatAge, painter, row, sanitize, sparkline, type ColumnSpec } from './format.js';

test('fit pads or cuts to the exact width, with an ellipsis when cut', (t) => {
  t.is(fit('abc', 5), 'abc  ');
  t.is(fit('abc', 5, 'right'), '  abc');
  t.is(fit('abcdef', 4), 'abc…');
  t.is(fit('abc', 0), '');
});

test('control characters from the registry cannot reach the terminal', (t) => {
  t.is(sanitize('evil\x1b[2Jname\n'), 'evil [2Jname ');
  t.false(fit('a\x1b]0;x\x07b', 10).includes('\x1b'));
});

test('NO_COLOR (non-empty) turns colour off; the painter then adds nothing', (t) => {
  t.true(colorWanted({}));
  t.true(colorWanted({ NO_COLOR: '' }));
  t.false(colorWanted({ NO_COLOR: '1' }));
  t.is(painter(false)('healthy', 'good'), 'healthy');
  t.is(painter(true)('healthy', 'good'), '\x1b[32mhealthy\x1b[39m');
  t.is(painter(true)('x', null), 'x');
});

test('ages are short', (t) => {
  t.is(formatAge(-5), '0s');
  t.is(formatAge(59_999), '59s');
  t.is(formatAge(60_000), '1m');
  t.is(formatAge(2 * 3600_000), '2h');
  t.is(formatAge(72 * 3600_000), '3d');
});

test('a sparkline is right-aligned, scaled to its largest value, and all-zero stays flat', (t) => {
  t.is(sparkline([0, 4, 8], 5), '  ▁▅█');
  t.is(sparkline([0, 0], 2), '▁▁');
  t.is(sparkline([1, 2, 3, 4], 2), '▆█');
  t.is(sparkline([1], 0), '');
});

const specs: ColumnSpec[] = [
  { title: 'NAME', min: 4, max: 10 },
  { title: 'ST', min: 2, max: 2 },
  { title: 'NOTE', min: 4, max: 20, shrinkOrder: 1 },
];

test('columns get their minimum, then what their content wants, then up to their maximum', (t) => {
  t.deepEqual(fitColumns(specs, 12), [4, 2, 4]);
  t.deepEqual(fitColumns(specs, 16, [8, 2, 4]), [8, 2, 4]);
  t.deepEqual(fitColumns(specs, 40, [8, 2, 4]), [10, 2, 20]);
});

test('when the minimums do not fit, columns shrink by shrinkOrder and a hidden one gives back its gap', (t) => {
  t.deepEqual(fitColumns(specs, 9), [4, 2, 1]);
  t.deepEqual(fitColumns(specs, 7), [4, 2, 0]);
  t.deepEqual(contentWidths(specs, [[{ text: 'abcdefgh' }, { text: 'ok' }]]), [8, 2, 4]);
});

test('a row is fitted before it is painted, so colour never changes its width', (t) => {
  const line = row([{ text: 'greeter-long-name', tone: 'strong' }, { text: 'ok', tone: 'good' }, { text: 'n' }], [6, 2, 3], specs, painter(true));
  t.is(line.replace(/\x1b\[[0-9;]*m/g, ''), 'greet… ok n  ');
});
