// Command definitions and argument parsing (node:util parseArgs), with help text generated from the same
// definitions so that `--help` never drifts from what a command accepts.
import { parseArgs } from 'node:util';
import { UsageError } from './errors.js';

export interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  multiple?: boolean;
  /** Shown in help: `--port <port>`. */
  valueName?: string;
  description: string;
}

export type Options = Record<string, OptionSpec>;
export type Values = Record<string, string | boolean | string[] | undefined>;

export interface Invocation {
  values: Values;
  positionals: string[];
}

export interface Command {
  name: string;
  /** Positionals as shown in help, e.g. `<agent>` or `[json-args]`. */
  args?: string;
  summary: string;
  /** Extra help lines after the options (examples, notes). */
  details?: string[];
  options: Options;
  /** How many positionals the command takes. */
  positionals: { min: number; max: number };
  /** The command parses its own arguments (they are handed over untouched as positionals). */
  ownArguments?: boolean;
  /** The exit code, or null for a foreground service that keeps the process alive. */
  run(invocation: Invocation): Promise<number | null>;
}

export const helpOption: Options = { help: { type: 'boolean', short: 'h', description: 'show this help' } };

/** Global options that take a value, so the dispatcher can skip their value when looking for the command word. */
export function valueOptionNames(options: Options): Set<string> {
  const names = new Set<string>();
  for (const [name, spec] of Object.entries(options)) {
    if (spec.type !== 'string') continue;
    names.add(`--${name}`);
    if (spec.short) names.add(`-${spec.short}`);
  }
  return names;
}

/** Index of the command word in argv: the first token that is neither an option nor an option's value. */
export function findCommandIndex(argv: string[], valueOptions: Set<string>): number {
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i]!;
    if (token === '--') return -1;
    if (!token.startsWith('-')) return i;
    if (valueOptions.has(token)) i++;
  }
  return -1;
}

export function parseInvocation(command: Command, argv: string[]): Invocation {
  if (command.ownArguments) return { values: {}, positionals: argv };
  const options = { ...command.options, ...helpOption };
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: argv, options: stripDescriptions(options), allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError(`${command.name}: ${describeParseError(error as Error & { code?: string })} (see pm2-mesh ${command.name} --help)`);
  }
  const { values, positionals } = parsed;
  if (values.help) return { values: values as Values, positionals };
  const { min, max } = command.positionals;
  if (positionals.length < min) {
    throw new UsageError(`${command.name}: missing ${command.args ?? 'argument'} (usage: ${usageLine(command)})`);
  }
  if (positionals.length > max) {
    throw new UsageError(`${command.name}: unexpected argument "${positionals[max]}" (usage: ${usageLine(command)})`);
  }
  return { values: values as Values, positionals };
}

function stripDescriptions(options: Options) {
  return Object.fromEntries(
    Object.entries(options).map(([name, { type, short, multiple }]) => [
      name,
      { type, ...(short ? { short } : {}), ...(multiple ? { multiple } : {}) },
    ]),
  );
}

/** parseArgs' messages are long and mention internals; say what is wrong in a few words. */
function describeParseError(error: Error & { code?: string }): string {
  const option = /'(-[^']*)'/.exec(error.message)?.[1];
  switch (error.code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return `unknown option ${option ?? ''}`.trim();
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      return /argument missing/.test(error.message)
        ? `option ${firstOptionName(error.message)} needs a value`
        : `option ${firstOptionName(error.message)} takes no value`;
    default:
      return error.message.split('\n')[0]!;
  }
}

function firstOptionName(message: string): string {
  return /(--[A-Za-z0-9-]+)/.exec(message)?.[1] ?? 'option';
}

export function usageLine(command: Command): string {
  const hasOptions = Object.keys(command.options).length > 0;
  return ['pm2-mesh', command.name, command.args, hasOptions ? '[options]' : undefined].filter(Boolean).join(' ');
}

export function commandHelp(command: Command): string {
  const options = { ...command.options, ...helpOption };
  const labels = Object.entries(options).map(([name, spec]) => {
    const short = spec.short ? `-${spec.short}, ` : '    ';
    const value = spec.type === 'string' ? ` <${spec.valueName ?? name}>` : '';
    return [`  ${short}--${name}${value}`, spec.description + (spec.multiple ? ' (repeatable)' : '')] as const;
  });
  const width = Math.max(...labels.map(([label]) => label.length)) + 2;
  return [
    `Usage: ${usageLine(command)}`,
    '',
    command.summary,
    '',
    'Options:',
    ...labels.map(([label, description]) => label.padEnd(width) + description),
    ...(command.details?.length ? ['', ...command.details] : []),
    '',
  ].join('\n');
}

/** Reads a numeric option, naming the option when the value is not a number in range. */
export function numberOption(values: Values, name: string, fallback: number, { min = 0, integer = false } = {}): number {
  const raw = values[name];
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (typeof raw !== 'string' || raw.trim() === '' || !Number.isFinite(value) || value < min || (integer && !Number.isInteger(value))) {
    throw new UsageError(`--${name} must be ${integer ? 'an integer' : 'a number'} >= ${min} (got "${String(raw)}")`);
  }
  return value;
}

export function stringOption(values: Values, name: string): string | undefined {
  const value = values[name];
  return typeof value === 'string' ? value : undefined;
}

export function listOption(values: Values, name: string): string[] {
  const value = values[name];
  if (Array.isArray(value)) return value;
  return typeof value === 'string' ? [value] : [];
}
