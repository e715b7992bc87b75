import test from 'ava';
import { columnWidths, renderTable, truncate } from './table.js';

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

test('truncate keeps short text and cuts long text', (t) => {
  t.is(truncate('abc', 5), 'abc');
  t.is(truncate('abcdef', 4), 'abc…');
});
