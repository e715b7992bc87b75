import test from 'ava';
import { nearNames } from './near-names.js';

const tools = ['plan_trip', 'packing_list', 'forecast', 'now', 'hello'];

test('a typo finds the name it was meant to be', (t) => {
  t.deepEqual(nearNames('plan_trp', tools), ['plan_trip']);
  t.deepEqual(nearNames('FORECAST', tools), ['forecast']);
});

test('a part of a name finds it', (t) => {
  t.deepEqual(nearNames('packing', tools), ['packing_list']);
  t.deepEqual(nearNames('trip', tools), ['plan_trip']);
});

test('nothing near: no suggestion', (t) => {
  t.deepEqual(nearNames('database_query', tools), []);
});
