import test from 'ava';
import { parseOptions } from './options.js';

test('defaults: every section, with the Go registry, results written', (t) => {
  const options = parseOptions([], '/r.md');
  t.false(options.quick);
  t.true(options.withGo);
  t.is(options.resultsFile, '/r.md');
  t.deepEqual([...options.sections], ['registry', 'resolution', 'agent', 'spread', 'tracing', 'discovery', 'replicas', 'gateway']);
});

test('--quick, --only (both spellings), --no-go, --no-results', (t) => {
  const options = parseOptions(['--quick', '--only', 'registry,agent', '--no-go', '--no-results'], '/r.md');
  t.true(options.quick);
  t.false(options.withGo);
  t.is(options.resultsFile, '');
  t.deepEqual([...options.sections], ['registry', 'agent']);
  t.deepEqual([...parseOptions(['--only=discovery'], '').sections], ['discovery']);
});

test('unknown sections and flags are refused with the usage', (t) => {
  t.throws(() => parseOptions(['--only', 'registry,nope'], ''), { message: /unknown section nope/ });
  t.throws(() => parseOptions(['--fast'], ''), { message: /unknown option --fast[\s\S]*usage/ });
});

test('--seed-budget takes seconds', (t) => {
  t.is(parseOptions(['--seed-budget', '1200'], '').seedBudgetS, 1200);
  t.throws(() => parseOptions(['--seed-budget', 'x'], ''), { message: /--seed-budget/ });
});
