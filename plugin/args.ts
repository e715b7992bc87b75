// Command definitions and argument parsing (node:util parseArgs), with help text generated from the same
// definitions so that `--help` never drifts from what a command accepts.
import { FlagError, optionsHelp, parseFlags, type Options, type Values } from '../core/flags.js';
import { UsageError } from './errors.js';

export type { OptionSpec, Options, Values } from '../core/flags.js';
export { listOption, numberOption, stringOption } from '../core/flags.js';

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
  if (command.ownArguments) return { values: { help: argv.includes('--help') || argv.includes('-h') }, positionals: argv };
  let parsed: Invocation;
  try {
    parsed = parseFlags(command.options, argv);
  } catch (error) {
    if (!(error instanceof FlagError)) throw error;
    throw new UsageError(`${command.name}: ${error.message} (see pm2-mesh ${command.name} --help)`);
  }
  const { values, positionals } = parsed;
  if (values.help) return parsed;
  const { min, max } = command.positionals;
  if (positionals.length < min) {
    throw new UsageError(`${command.name}: missing ${command.args ?? 'argument'} (usage: ${usageLine(command)})`);
  }
  if (positionals.length > max) {
    throw new UsageError(`${command.name}: unexpected argument "${positionals[max]}" (usage: ${usageLine(command)})`);
  }
  return parsed;
}

export function usageLine(command: Command): string {
  const hasOptions = Object.keys(command.options).length > 0;
  return ['pm2-mesh', command.name, command.args, hasOptions ? '[options]' : undefined].filter(Boolean).join(' ');
}

export function commandHelp(command: Command): string {
  return [
    `Usage: ${usageLine(command)}`,
    '',
    command.summary,
    '',
    'Options:',
    ...optionsHelp(command.options),
    ...(command.details?.length ? ['', ...command.details] : []),
    '',
  ].join('\n');
}
