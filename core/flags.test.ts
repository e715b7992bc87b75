import test from 'ava';
import { FlagError, numberOption, optionsHelp, parseFlags, withEnvironment, type Options } from './flags.js';

const options: Options = {
  port: { type: 'string', valueName: 'port', env: 'X_PORT', description: 'the port' },
  verbose: { type: 'boolean', short: 'v', env: 'X_VERBOSE', description: 'say more' },
  tag: { type: 'string', multiple: true, description: 'a tag' },
};

test('flags parse in both spellings; positionals are kept', (t) => {
  const { values, positionals } = parseFlags(options, ['--port=1', '-v', 'x', '--tag', 'a', '--tag', 'b']);
  t.deepEqual(values, { port: '1', verbose: true, tag: ['a', 'b'] });
  t.deepEqual(positionals, ['x']);
});

test('wrong flags are FlagErrors in a few words', (t) => {
  t.is(t.throws(() => parseFlags(options, ['--bogus']), { instanceOf: FlagError })!.message, 'unknown option --bogus');
  t.is(t.throws(() => parseFlags(options, ['--port']), { instanceOf: FlagError })!.message, 'option --port needs a value');
  t.is(t.throws(() => parseFlags(options, ['--verbose=1']), { instanceOf: FlagError })!.message, 'option --verbose takes no value');
});

test('environment variables fill what the flags leave unset; flags win', (t) => {
  t.deepEqual(withEnvironment(options, { port: '1' }, { X_PORT: '2', X_VERBOSE: 'off' }), { port: '1', verbose: false });
  t.deepEqual(withEnvironment(options, {}, { X_PORT: '', X_VERBOSE: 'yes' }), { verbose: true });
});

test('help lists every option with its value name and variable, aligned', (t) => {
  t.deepEqual(optionsHelp(options), [
    '      --port <port>  the port (env X_PORT)',
    '  -v, --verbose      say more (env X_VERBOSE)',
    '      --tag <tag>    a tag (repeatable)',
    '  -h, --help         show this help',
  ]);
});

test('numbers are checked and the message names the option', (t) => {
  t.is(numberOption({ n: '5' }, 'n', 1, { integer: true }), 5);
  t.is(numberOption({}, 'n', 1), 1);
  t.is(t.throws(() => numberOption({ n: 'ten' }, 'n', 1, { integer: true }))!.message, '--n must be an integer >= 0 (got "ten")');
  t.throws(() => numberOption({ n: '0' }, 'n', 1, { above: true }), { instanceOf: FlagError });
});
