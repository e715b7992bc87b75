import test from 'ava';
import { assignToolNames, safeToolName } from './tool-names.js';

const names = (inputs: [string, string[]][]) =>
  Object.fromEntries(assignToolNames(inputs.map(([capability, toolNames]) => ({ capability, toolNames }))));

test('a tool name that only one capability uses is the name', (t) => {
  t.deepEqual(
    names([
      ['weather', ['forecast']],
      ['time_service', ['now']],
    ]),
    { weather: 'forecast', time_service: 'now' },
  );
});

test('capabilities that share a tool name are named after themselves', (t) => {
  t.deepEqual(
    names([
      ['weather', ['forecast']],
      ['marine_weather', ['forecast']],
      ['time_service', ['now']],
    ]),
    {
      weather: 'weather',
      marine_weather: 'marine_weather',
      time_service: 'now',
    },
  );
});

test('providers with different tool names: the capability names the tool', (t) => {
  t.deepEqual(names([['weather', ['forecast', 'get_weather']]]), { weather: 'weather' });
});

test('a capability name taken by another tool name falls back to capability__tool', (t) => {
  // `now` is time_service's own name; the two `x` capabilities clash, and one of them is called `now`.
  t.deepEqual(
    names([
      ['time_service', ['now']],
      ['now', ['x']],
      ['other', ['x']],
    ]),
    { time_service: 'now', now: 'now__x', other: 'other' },
  );
});

test('the order capabilities come in does not change the names', (t) => {
  const inputs: [string, string[]][] = [
    ['b', ['t']],
    ['a', ['t']],
    ['c', ['u']],
    ['t', ['v']],
    ['d', ['a']],
  ];
  const forward = names(inputs);
  t.deepEqual(names([...inputs].reverse()), forward);
  t.is(new Set(Object.values(forward)).size, inputs.length);
});

test('names are cut to what MCP hosts accept', (t) => {
  t.is(safeToolName('météo du jour'), 'm_t_o_du_jour');
  t.is(safeToolName('x'.repeat(200)).length, 128);
  // Both clean to a_b, then both to a_b__a_b: numbered, in capability order.
  t.deepEqual(
    names([
      ['a b', ['a/b']],
      ['a_b', ['a:b']],
    ]),
    { 'a b': 'a_b__2', a_b: 'a_b__3' },
  );
});
