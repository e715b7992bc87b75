import test from 'ava';
import { capabilityMatcher, checkFilter } from './filter.js';

test('--capability keeps, --exclude removes, * matches any run of characters', (t) => {
  const admits = capabilityMatcher({ tags: [], capabilities: ['weather*', 'time_service'], exclude: ['weather_beta'] });
  t.true(admits('weather'));
  t.true(admits('weather_eu'));
  t.true(admits('time_service'));
  t.false(admits('weather_beta'));
  t.false(admits('greeting'));
  t.true(capabilityMatcher({ tags: [], capabilities: [], exclude: [] })('anything.at+all'));
});

test('a filter that makes no sense names the flag', (t) => {
  t.is(checkFilter({ tags: ['fast', '+eu', '-beta'], capabilities: [], exclude: [] }), null);
  t.regex(checkFilter({ tags: ['+'], capabilities: [], exclude: [] })!, /^--tag "\+": /);
  t.regex(checkFilter({ tags: ['--x'], capabilities: [], exclude: [] })!, /^--tag "--x": .*more than one/);
  t.regex(checkFilter({ tags: [], capabilities: [' '], exclude: [] })!, /^--capability needs a capability name/);
  t.regex(checkFilter({ tags: [], capabilities: ['a'], exclude: ['a'] })!, /^--exclude a removes/);
});
