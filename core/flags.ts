// Command-line flags for every entry point (the pm2-mesh CLI, the registry, the dashboard, the bench): one
// definition per flag, parsed with node:util parseArgs, and help text generated from the same definitions so that
// `--help` never drifts from what is accepted.
import { parseArgs } from 'node:util';

export interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  multiple?: boolean;
  /** Shown in help: `--port <port>`. */
  valueName?: string;
  description: string;
  /** The environment variable read when the flag is not given (shown in help). */
  env?: string;
}

export type Options = Record<string, OptionSpec>;
export type Values = Record<string, string | boolean | string[] | undefined>;

/** A wrong argument: the message says what to fix; entry points exit 2 with it. */
export class FlagError extends Error {
  override readonly name = 'FlagError';
}

export const helpOption: Options = { help: { type: 'boolean', short: 'h', description: 'show this help' } };

/** Parses argv against `options` (plus --help). Unknown options and missing values are FlagErrors. */
export function parseFlags(options: Options, argv: readonly string[]): { values: Values; positionals: string[] } {
  try {
    const { values, positionals } = parseArgs({
      args: [...argv],
      options: parseArgsConfig({ ...options, ...helpOption }),
      allowPositionals: true,
      strict: true,
    });
    return { values: values as Values, positionals };
  } catch (error) {
    throw new FlagError(describeParseError(error as Error & { code?: string }));
  }
}

/** Fills the options left unset from their environment variables (flags win); empty variables count as unset. */
export function withEnvironment(options: Options, values: Values, env: NodeJS.ProcessEnv): Values {
  const filled: Values = { ...values };
  for (const [name, spec] of Object.entries(options)) {
    const raw = spec.env ? env[spec.env] : undefined;
    if (filled[name] !== undefined || raw === undefined || raw === '') continue;
    filled[name] = spec.type === 'boolean' ? !/^(0|false|no|off)$/i.test(raw) : raw;
  }
  return filled;
}

/** One help line per option, aligned: `  -n, --limit <n>   description (env X)`. */
export function optionsHelp(options: Options): string[] {
  const labels = Object.entries({ ...options, ...helpOption }).map(([name, spec]) => {
    const short = spec.short ? `-${spec.short}, ` : '    ';
    const value = spec.type === 'string' ? ` <${spec.valueName ?? name}>` : '';
    const notes = [spec.multiple ? 'repeatable' : '', spec.env ? `env ${spec.env}` : ''].filter(Boolean).join('; ');
    return [`  ${short}--${name}${value}`, spec.description + (notes ? ` (${notes})` : '')] as const;
  });
  const width = Math.max(...labels.map(([label]) => label.length)) + 2;
  return labels.map(([label, description]) => label.padEnd(width) + description);
}

/** Reads a numeric option, naming the option when the value is not a number in range. */
export function numberOption(
  values: Values,
  name: string,
  fallback: number,
  { min = 0, integer = false, above = false }: { min?: number; integer?: boolean; above?: boolean } = {},
): number {
  const raw = values[name];
  if (raw === undefined) return fallback;
  const value = Number(raw);
  const inRange = above ? value > min : value >= min;
  if (typeof raw !== 'string' || raw.trim() === '' || !Number.isFinite(value) || !inRange || (integer && !Number.isInteger(value))) {
    throw new FlagError(`--${name} must be ${integer ? 'an integer' : 'a number'} ${above ? '>' : '>='} ${min} (got "${String(raw)}")`);
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

function parseArgsConfig(options: Options) {
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
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
      return `unexpected argument ${/'([^']*)'/.exec(error.message)?.[1] ?? ''}`.trim();
    default:
      return error.message.split('\n')[0]!;
  }
}

function firstOptionName(message: string): string {
  return /(--[A-Za-z0-9-]+)/.exec(message)?.[1] ?? 'option';
}
