import test from 'ava';
import { painter } from './colour.js';
import { columnWidths, contentWidths, fitColumns, renderTable, row, type ColumnSpec } from './table.js';
import { displayWidth } from './width.js';

const columns = [{ header: 'NAME' }, { header: 'ENDPOINT' }, { header: 'N', align: 'right' as const }];
const rows = [
  ['greeter', 'http://127.0.0.1:40123', '1'],
  ['time', 'http://127.0.0.1:40124', '12'],
];

test('without a width nothing is cut', (t) => {
  t.is(
    renderTable(columns, rows, undefined),
    'NAME     ENDPOINT                 N\ngreeter  http://127.0.0.1:40123   1\ntime     http://127.0.0.1:40124  12\n',
  );
});

test('a narrow width shrinks the widest column first and cuts with an ellipsis', (t) => {
  const out = renderTable(columns, rows, 28);
  for (const line of out.trimEnd().split('\n')) t.true(line.length <= 28, line);
  t.regex(out, /http:\/\/127\.0\.0…/);
  t.regex(out, /greeter/);
});

test('columns never shrink below their header', (t) => {
  t.deepEqual(columnWidths(columns, rows, 5), [4, 8, 2]);
});

test('wide characters and emoji line up: columns are counted in display columns', (t) => {
  const out = renderTable(
    [{ header: 'NAME' }, { header: 'ST' }],
    [
      ['天気予報', 'ok'],
      ['weather', 'ok'],
      ['🚀go', 'ok'],
      ['café', 'ok'],
    ],
    undefined,
  );
  const lines = out.trimEnd().split('\n');
  t.deepEqual(
    lines.map((l) => displayWidth(l.slice(0, l.lastIndexOf(' ') + 1))),
    lines.map(() => 10),
  );
  t.is(lines[1], '天気予報  ok');
  // cut to the terminal: a wide character is never split, the line never overflows
  const narrow = renderTable([{ header: 'NAME', min: 4 }, { header: 'ST' }], [['天気予報です', 'ok']], 9);
  for (const line of narrow.trimEnd().split('\n')) t.true(displayWidth(line) <= 9, line);
  t.regex(narrow, /天気…/);
});

const specs: ColumnSpec[] = [
  { title: 'NAME', min: 4, max: 10 },
  { title: 'ST', min: 2, max: 2 },
  { title: 'NOTE', min: 4, max: 20, shrinkOrder: 1 },
];

test('pane columns get their minimum, then what their content wants, then up to their maximum', (t) => {
  t.deepEqual(fitColumns(specs, 12), [4, 2, 4]);
  t.deepEqual(fitColumns(specs, 16, [8, 2, 4]), [8, 2, 4]);
  t.deepEqual(fitColumns(specs, 40, [8, 2, 4]), [10, 2, 20]);
});

test('when the minimums do not fit, pane columns shrink by shrinkOrder and a hidden one gives back its gap', (t) => {
  t.deepEqual(fitColumns(specs, 9), [4, 2, 1]);
  t.deepEqual(fitColumns(specs, 7), [4, 2, 0]);
  t.deepEqual(contentWidths(specs, [[{ text: 'abcdefgh' }, { text: 'ok' }]]), [8, 2, 4]);
  t.deepEqual(contentWidths(specs, [[{ text: '東京' }, { text: 'ok' }]]), [4, 2, 4]);
});

test('a pane row is fitted before it is painted, so colour never changes its width', (t) => {
  const line = row([{ text: 'greeter-long-name', tone: 'strong' }, { text: 'ok', tone: 'good' }, { text: 'n' }], [6, 2, 3], specs, painter(true));
  t.is(line.replace(/\x1b\[[0-9;]*m/g, ''), 'greet… ok n  ');
  const wide = row([{ text: '東京の天気' }, { text: 'ok' }, { text: 'n' }], [6, 2, 3], specs, painter(false));
  t.is(wide, '東京…  ok n  ');
  t.is(displayWidth(wide), 13);
});
