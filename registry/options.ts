// The registry's options: defaults, and parsing them from command-line flags and MCP_MESH_REGISTRY_* variables
// (shared by `node dist/registry/main.js` and `pm2-mesh registry`).
import {
  DEFAULT_BODY_LIMIT_BYTES, DEFAULT_HEALTH_CHECK_INTERVAL_S, DEFAULT_MAX_EVENTS, DEFAULT_REGISTRY_HOST,
  DEFAULT_REGISTRY_PORT, DEFAULT_RETENTION_S, DEFAULT_TIMEOUT_S,
} from '../core/defaults.js';

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

/** Flag → [option, kind, environment variable]. */
const FLAGS = {
  '--host': ['host', 'text', 'MCP_MESH_REGISTRY_HOST'],
  '--port': ['port', 'number', 'MCP_MESH_REGISTRY_PORT'],
  '--data-file': ['dataFile', 'text', 'MCP_MESH_REGISTRY_DATA_FILE'],
  '--token': ['token', 'text', 'MCP_MESH_REGISTRY_TOKEN'],
  '--public-read': ['publicRead', 'flag', 'MCP_MESH_REGISTRY_PUBLIC_READ'],
  '--health-interval': ['healthInterval', 'number', 'MCP_MESH_REGISTRY_HEALTH_INTERVAL'],
  '--timeout': ['timeout', 'number', 'MCP_MESH_REGISTRY_TIMEOUT'],
  '--retention': ['retention', 'number', 'MCP_MESH_REGISTRY_RETENTION'],
  '--max-events': ['maxEvents', 'number', 'MCP_MESH_REGISTRY_MAX_EVENTS'],
  '--body-limit': ['bodyLimit', 'number', 'MCP_MESH_REGISTRY_BODY_LIMIT'],
} as const satisfies Record<string, readonly [keyof RegistryOptions, 'text' | 'number' | 'flag', string]>;

export const REGISTRY_USAGE = `usage: registry [--host H] [--port P] [--data-file F] [--token T] [--public-read]
                [--timeout S] [--health-interval S] [--retention S] [--max-events N] [--body-limit BYTES]
Runs the mesh registry in the foreground. --port 0 picks a free port. Without --data-file it keeps
everything in memory. Each flag also reads ${Object.values(FLAGS).map((f) => f[2]).join(', ')}.`;

export class UsageError extends Error {}

/** Options from flags, then environment variables for what the flags leave unset. */
export function parseRegistryArgs(argv: readonly string[], env: NodeJS.ProcessEnv = {}): RegistryOptions {
  const options: Record<string, unknown> = {};
  const set = (flag: keyof typeof FLAGS, raw: string | true, source: string) => {
    const [key, kind] = FLAGS[flag];
    if (kind === 'flag') options[key] = raw === true || !/^(0|false|no|off)?$/i.test(raw);
    else if (kind === 'number') {
      const n = Number(raw);
      if (raw === true || raw.trim() === '' || !Number.isFinite(n)) throw new UsageError(`${source}: expected a number, got ${JSON.stringify(raw)}`);
      options[key] = n;
    } else {
      if (raw === true) throw new UsageError(`${source}: expected a value`);
      options[key] = raw;
    }
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const eq = arg.indexOf('=');
    const flag = (eq > 0 ? arg.slice(0, eq) : arg) as keyof typeof FLAGS;
    if (!(flag in FLAGS)) throw new UsageError(`unknown argument ${JSON.stringify(arg)}\n${REGISTRY_USAGE}`);
    if (FLAGS[flag][1] === 'flag') set(flag, eq > 0 ? arg.slice(eq + 1) : true, flag);
    else if (eq > 0) set(flag, arg.slice(eq + 1), flag);
    else {
      const value = argv[++i];
      if (value === undefined) throw new UsageError(`${flag}: expected a value`);
      set(flag, value, flag);
    }
  }
  for (const [flag, [key, , variable]] of Object.entries(FLAGS)) {
    const value = env[variable];
    if (options[key] === undefined && value !== undefined && value !== '') set(flag as keyof typeof FLAGS, value, variable);
  }
  return options as RegistryOptions;
}
