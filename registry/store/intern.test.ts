import test from 'ava';
import { InternTable, NO_STRINGS } from './intern.js';

test('equal lists give one frozen array; different order or content gives another', (t) => {
  const table = new InternTable();
  const a = table.list('tags', ['fast', 'eu']);
  const b = table.list('tags', ['fast', 'eu']);
  t.is(a, b);
  t.true(Object.isFrozen(a));
  t.deepEqual(a, ['fast', 'eu']);
  t.not(table.list('tags', ['eu', 'fast']), a);
  t.not(table.list('tags', ['fast']), a);
  t.is(table.size, 3);
});

test('a pooled list is a copy: changing the caller’s array later changes nothing shared', (t) => {
  const table = new InternTable();
  const sent = ['a', 'b'];
  const pooled = table.list('tags', sent);
  sent.push('c');
  t.deepEqual(pooled, ['a', 'b']);
});

test('kinds keep their own entries, and lists cannot collide through their separators', (t) => {
  const table = new InternTable();
  t.not(table.list('tags', ['x']), table.list('capabilities', ['x']));
  t.not(table.list('tags', ['a\u0000b']), table.list('tags', ['a', 'b']));
  t.not(table.list('tags', ['a,b']), table.list('tags', ['a', 'b']));
});

test('absent and empty lists are the one shared empty list, and take no entry', (t) => {
  const table = new InternTable();
  t.is(table.list('tags', undefined), NO_STRINGS);
  t.is(table.list('tags', []), NO_STRINGS);
  t.is(table.size, 0);
});

test('value() makes once per key and freezes what it makes', (t) => {
  const table = new InternTable();
  let made = 0;
  const make = () => {
    made++;
    return { capability: 'weather', tags: [] };
  };
  const first = table.value('spec:weather', make);
  t.is(table.value('spec:weather', make), first);
  t.is(made, 1);
  t.true(Object.isFrozen(first));
});

test('past its cap the table still answers, without pooling (bounded memory)', (t) => {
  const table = new InternTable(2);
  table.list('tags', ['a']);
  table.list('tags', ['b']);
  const c1 = table.list('tags', ['c']);
  const c2 = table.list('tags', ['c']);
  t.deepEqual(c1, ['c']);
  t.true(Object.isFrozen(c1));
  t.not(c1, c2);
  t.is(table.size, 2);
  t.is(table.list('tags', ['a']), table.list('tags', ['a']));
});
