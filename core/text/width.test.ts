import test from 'ava';
import { colorWanted, eventTone, painter, statusTone } from './colour.js';
import { pm2Label } from './pm2-label.js';
import { sparkline } from './sparkline.js';
import { ago, clock, duration } from './time.js';
import { clip, displayWidth, fit, pad, sanitize, truncate } from './width.js';

test('display width: ASCII 1, East Asian wide and emoji 2, combining marks and joiners 0', (t) => {
  t.is(displayWidth('greeter'), 7);
  t.is(displayWidth('天気'), 4);
  t.is(displayWidth('ｱｲ'), 2); // halfwidth katakana are narrow
  t.is(displayWidth('ＡＢ'), 4); // fullwidth Latin is wide
  t.is(displayWidth('한국'), 4);
  t.is(displayWidth('🚀'), 2);
  t.is(displayWidth('👩‍👩‍👧'), 2); // one family: joined by ZWJ
  t.is(displayWidth('🇵🇹'), 2); // one flag
  t.is(displayWidth('e\u0301'), 1); // e + combining acute
  t.is(displayWidth('☀'), 1); // text presentation…
  t.is(displayWidth('☀\uFE0F'), 2); // …unless asked for the emoji
  t.is(displayWidth('a\u200bb'), 2); // zero-width space
});

test('truncate cuts by columns, never inside a character, and keeps short text', (t) => {
  t.is(truncate('abc', 5), 'abc');
  t.is(truncate('abcdef', 4), 'abc…');
  t.is(truncate('天気予報', 5), '天気…');
  t.is(truncate('天気予報', 4), '天…'); // 3 columns: the next wide one would overflow
  t.is(truncate('👩‍👩‍👧👩‍👩‍👧', 3), '👩‍👩‍👧…');
  t.is(truncate('cafe\u0301 latte', 5), 'cafe\u0301…');
  t.is(truncate('abc', 0), '');
  t.is(truncate('abc', 1), '…');
});

test('fit pads or cuts to the exact width, with an ellipsis when cut', (t) => {
  t.is(fit('abc', 5), 'abc  ');
  t.is(fit('abc', 5, 'right'), '  abc');
  t.is(fit('abcdef', 4), 'abc…');
  t.is(fit('abc', 0), '');
  t.is(fit('天気予報', 4), '天… ');
  t.is(displayWidth(fit('天気予報', 4)), 4);
  t.is(pad('天', 4, 'right'), '  天');
  t.is(clip('天気予報', 5), '天気…');
});

test('control characters from the registry cannot reach the terminal', (t) => {
  t.is(sanitize('evil\x1b[2Jname\n'), 'evil [2Jname ');
  t.false(fit('a\x1b]0;x\x07b', 10).includes('\x1b'));
});

test('NO_COLOR (non-empty) or TERM=dumb turns colour off; the painter then adds nothing', (t) => {
  t.true(colorWanted({}));
  t.true(colorWanted({ NO_COLOR: '' }));
  t.false(colorWanted({ NO_COLOR: '1' }));
  t.false(colorWanted({ TERM: 'dumb' }));
  t.is(painter(false)('healthy', 'good'), 'healthy');
  t.is(painter(true)('healthy', 'good'), '\x1b[32mhealthy\x1b[39m');
  t.is(painter(true)('x', null), 'x');
});

test('one tone per status and event type, for the CLI and the dashboard alike', (t) => {
  t.is(statusTone('healthy'), 'good');
  t.is(statusTone('online'), 'good');
  t.is(statusTone('unhealthy'), 'bad');
  t.is(statusTone('stopped'), 'bad');
  t.is(statusTone('unknown'), 'warn');
  t.is(statusTone(''), null);
  t.is(eventTone('register'), 'good');
  t.is(eventTone('expired'), 'bad');
  t.is(eventTone('unregister'), 'warn');
  t.is(eventTone('update'), 'info');
});

test('durations: two units for the CLI, the largest one for narrow columns', (t) => {
  t.is(duration(42.7), '42s');
  t.is(duration(307), '5m07s');
  t.is(duration(3 * 3600 + 300), '3h05m');
  t.is(duration(2 * 86400 + 4 * 3600), '2d4h');
  t.is(duration(-1), '-');
  t.is(duration(-0.005, { short: true }), '0s');
  t.is(duration(59.999, { short: true }), '59s');
  t.is(duration(60, { short: true }), '1m');
  t.is(duration(2 * 3600, { short: true }), '2h');
  t.is(duration(47 * 3600, { short: true }), '47h');
  t.is(duration(72 * 3600, { short: true }), '3d');
  t.is(ago('2026-01-01T00:00:00Z', Date.parse('2026-01-01T00:05:07Z')), '5m07s ago');
  t.is(ago(undefined), '-');
  t.regex(clock('2026-01-01T10:11:12Z'), /^\d\d:\d\d:12$/);
  t.is(clock('not a date'), 'not a date');
});

test('a sparkline is right-aligned, scaled to its largest value, and all-zero stays flat', (t) => {
  t.is(sparkline([0, 4, 8], 5), '  ▁▅█');
  t.is(sparkline([0, 0], 2), '▁▁');
  t.is(sparkline([1, 2, 3, 4], 2), '▆█');
  t.is(sparkline([1], 0), '');
});

test('a PM2 app reads name#pm_id; the dashboard adds the pid, which is all there is outside PM2', (t) => {
  t.is(pm2Label({ name: 'weather-fast', pmId: 2 }), 'weather-fast#2');
  t.is(pm2Label(null), '-');
  t.is(pm2Label({ pid: 7 }), '-');
  t.is(pm2Label({ name: 'weather-fast', pmId: 2, pid: 1141 }, { withPid: true }), 'weather-fast#2 1141');
  t.is(pm2Label({ pid: 7 }, { withPid: true }), 'pid 7');
  t.is(pm2Label({ pmId: 3 }, { withPid: true }), '#3');
});
