// The registry's options: defaults, and parsing them from command-line flags and MCP_MESH_REGISTRY_* variables
// (shared by `node dist/registry/main.js` and `pm2-mesh registry`).
import {
  DEFAULT_BODY_LIMIT_BYTES,
  DEFAULT_HEALTH_CHECK_INTERVAL_S,
  DEFAULT_MAX_EVENTS,
  DEFAULT_REGISTRY_HOST,
  DEFAULT_REGISTRY_PORT,
  DEFAULT_RETENTION_S,
  DEFAULT_TIMEOUT_S,
} from '../core/defaults.js';
import { FlagError, optionsHelp, parseFlags, withEnvironment } from '../core/flags.js';
import { REGISTRY_FLAGS as FLAGS, REGISTRY_SUMMARY } from '../core/registry-flags.js';

export interface RegistryOptions {
  host?: string;
  /** 0 = any free port. */
  port?: number;
  /** The sql.js data file; null/undefined = in memory only. */
  dataFile?: string | null;
  /** When set, requests need `Authorization: Bearer <token>` (writes always, reads unless publicRead). */
  token?: string;
  publicRead?: boolean;
  /**
   * Longest gap (s) between health sweeps: how often long-unhealthy agents are purged and the event log is
   * capped. Timeouts do not wait for it: a silent agent turns unhealthy at last heartbeat + timeout.
   */
  healthInterval?: number;
  /** Seconds without a heartbeat before an agent turns unhealthy. */
  timeout?: number;
  /** Seconds an unhealthy agent is kept before it is purged. */
  retention?: number;
  maxEvents?: number;
  bodyLimit?: number;
  /** One line per registration change and per problem. Default: none. */
  log?: (line: string) => void;
}

export type ResolvedOptions = Required<Omit<RegistryOptions, 'token' | 'dataFile'>> & { token: string | undefined; dataFile: string | null };

export function resolveOptions(options: RegistryOptions): ResolvedOptions {
  const positive = (name: string, value: number | undefined, fallback: number) => {
    const v = value ?? fallback;
    if (!Number.isFinite(v) || v <= 0) throw new Error(`registry option ${name} must be a positive number, got ${value}`);
    return v;
  };
  const port = options.port ?? DEFAULT_REGISTRY_PORT;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`registry option port must be 0-65535, got ${options.port}`);
  return {
    host: options.host || DEFAULT_REGISTRY_HOST,
    port,
    dataFile: options.dataFile || null,
    token: options.token || undefined,
    publicRead: options.publicRead ?? false,
    healthInterval: positive('healthInterval', options.healthInterval, DEFAULT_HEALTH_CHECK_INTERVAL_S),
    timeout: positive('timeout', options.timeout, DEFAULT_TIMEOUT_S),
    retention: positive('retention', options.retention, DEFAULT_RETENTION_S),
    maxEvents: Math.floor(positive('maxEvents', options.maxEvents, DEFAULT_MAX_EVENTS)),
    bodyLimit: Math.floor(positive('bodyLimit', options.bodyLimit, DEFAULT_BODY_LIMIT_BYTES)),
    log: options.log ?? (() => {}),
  };
}

/** What each flag sets: text as is, numbers checked. */
const KEYS: Record<keyof typeof FLAGS, [keyof RegistryOptions, 'text' | 'number' | 'flag']> = {
  host: ['host', 'text'],
  port: ['port', 'number'],
  'data-file': ['dataFile', 'text'],
  token: ['token', 'text'],
  'public-read': ['publicRead', 'flag'],
  timeout: ['timeout', 'number'],
  'health-interval': ['healthInterval', 'number'],
  retention: ['retention', 'number'],
  'max-events': ['maxEvents', 'number'],
  'body-limit': ['bodyLimit', 'number'],
};

export const REGISTRY_USAGE = ['usage: registry [options]', REGISTRY_SUMMARY, '', 'Options:', ...optionsHelp(FLAGS)].join('\n');

export { FlagError as UsageError } from '../core/flags.js';

/** Options from flags, then environment variables for what the flags leave unset. */
export function parseRegistryArgs(argv: readonly string[], env: NodeJS.ProcessEnv = {}): RegistryOptions {
  let parsed: ReturnType<typeof parseFlags>;
  try {
    parsed = parseFlags(FLAGS, argv);
  } catch (error) {
    throw new FlagError(`${(error as Error).message} (see --help)`);
  }
  const { values, positionals } = parsed;
  if (positionals.length) throw new FlagError(`unexpected argument ${JSON.stringify(positionals[0])} (see --help)`);
  const options: Record<string, unknown> = {};
  const filled = withEnvironment(FLAGS, values, env);
  for (const [flag, [key, kind]] of Object.entries(KEYS) as [keyof typeof FLAGS, (typeof KEYS)[keyof typeof FLAGS]][]) {
    const raw = filled[flag];
    if (raw === undefined) continue;
    const source = values[flag] !== undefined ? `--${flag}` : FLAGS[flag].env;
    if (kind === 'number') {
      const n = Number(raw);
      if (typeof raw !== 'string' || raw.trim() === '' || !Number.isFinite(n))
        throw new FlagError(`${source}: expected a number, got ${JSON.stringify(raw)}`);
      options[key] = n;
    } else {
      options[key] = raw;
    }
  }
  return options as RegistryOptions;
}
