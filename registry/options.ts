// The registry's options: defaults, and parsing them from command-line flags and MCP_MESH_REGISTRY_* variables
// (shared by `node dist/registry/main.js` and `pm2-mesh registry`).
import {
  DEFAULT_BODY_LIMIT_BYTES,
  DEFAULT_HEALTH_CHECK_INTERVAL_S,
  DEFAULT_MAX_AGENTS,
  DEFAULT_MAX_EVENTS,
  DEFAULT_REGISTRATION_RATE_PER_MIN,
  DEFAULT_MAX_SPANS,
  DEFAULT_REGISTRY_HOST,
  DEFAULT_REGISTRY_PORT,
  DEFAULT_RETENTION_S,
  DEFAULT_TIMEOUT_S,
} from '../core/defaults.js';
import type { TlsFiles } from '../core/tls.js';
import { FlagError, optionsHelp, parseFlags, withEnvironment } from '../core/flags.js';
import { isPostgresUrl, REGISTRY_FLAGS as FLAGS, REGISTRY_SUMMARY } from '../core/registry-flags.js';

export interface RegistryOptions {
  host?: string;
  /** 0 = any free port. */
  port?: number;
  /** The sql.js data file; null/undefined = in memory only. */
  dataFile?: string | null;
  /**
   * postgres://… : keep the state in PostgreSQL instead; any number of registries on one database serve one
   * mesh (replicas). Exclusive with dataFile.
   */
  databaseUrl?: string | null;
  /** When set, requests need `Authorization: Bearer <token>` (writes always, reads unless publicRead). */
  token?: string;
  publicRead?: boolean;
  /** More names the registry is reached by, beyond its bind address and loopback (`*`: no Host check). */
  allowedHosts?: string[];
  /** Web origins allowed to change the mesh (none by default). */
  allowedOrigins?: string[];
  /**
   * The secret that signs agent credentials (created 0600 when the file does not exist). With it, every agent
   * needs its own credential (`pm2-mesh token create`) and the shared token becomes an operator credential.
   */
  secretFile?: string;
  /** Policies (which capabilities each agent name may provide): a JSON file, and/or `name=cap,cap;name=cap`. */
  policyFile?: string;
  policies?: string;
  /** How an agent gets a credential here, said in every 401 (the PM2 module says how under PM2). */
  credentialHelp?: (name: string) => string;
  /** Serve beyond loopback with no credentials at all (anyone who reaches the port changes the mesh). */
  insecure?: boolean;
  /** Agents held at most (0 = no cap). */
  maxAgents?: number;
  /** New agents one source may register per minute (0 = no limit). */
  registrationRate?: number;
  /** TLS (MCP Mesh's names): mode off|auto|strict, this registry's certificate and key, the mesh's CA (PEM paths). */
  tls?: TlsFiles;
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
  /** Recent spans kept for GET /traces (whole traces, oldest out first). */
  maxSpans?: number;
  bodyLimit?: number;
  /** One line per registration change and per problem. Default: none. */
  log?: (line: string) => void;
}

type Optional = 'token' | 'dataFile' | 'secretFile' | 'policyFile' | 'policies' | 'tls';
export type ResolvedOptions = Required<Omit<RegistryOptions, Optional | 'databaseUrl'>> &
  Pick<RegistryOptions, Optional> & { dataFile: string | null; databaseUrl: string | null };

export function resolveOptions(options: RegistryOptions): ResolvedOptions {
  const positive = (name: string, value: number | undefined, fallback: number) => {
    const v = value ?? fallback;
    if (!Number.isFinite(v) || v <= 0) throw new Error(`registry option ${name} must be a positive number, got ${value}`);
    return v;
  };
  const count = (name: string, value: number | undefined, fallback: number) => {
    const v = value ?? fallback;
    if (!Number.isInteger(v) || v < 0) throw new Error(`registry option ${name} must be a whole number >= 0 (0 = no limit), got ${value}`);
    return v;
  };
  const port = options.port ?? DEFAULT_REGISTRY_PORT;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`registry option port must be 0-65535, got ${options.port}`);
  const databaseUrl = options.databaseUrl || null;
  if (databaseUrl !== null && !isPostgresUrl(databaseUrl)) {
    throw new Error(
      `registry option databaseUrl must be a postgres://user@host:port/database URL (for a file, use dataFile), got ${JSON.stringify(databaseUrl)}`,
    );
  }
  if (databaseUrl !== null && options.dataFile)
    throw new Error('registry options dataFile and databaseUrl exclude each other: choose the sql.js file or PostgreSQL');
  return {
    host: options.host || DEFAULT_REGISTRY_HOST,
    port,
    dataFile: options.dataFile || null,
    databaseUrl,
    token: options.token || undefined,
    publicRead: options.publicRead ?? false,
    allowedHosts: options.allowedHosts ?? [],
    allowedOrigins: options.allowedOrigins ?? [],
    secretFile: options.secretFile || undefined,
    policyFile: options.policyFile || undefined,
    policies: options.policies || undefined,
    credentialHelp: options.credentialHelp ?? standaloneCredentialHelp,
    insecure: options.insecure ?? false,
    maxAgents: count('maxAgents', options.maxAgents, DEFAULT_MAX_AGENTS),
    registrationRate: count('registrationRate', options.registrationRate, DEFAULT_REGISTRATION_RATE_PER_MIN),
    tls: options.tls,
    healthInterval: positive('healthInterval', options.healthInterval, DEFAULT_HEALTH_CHECK_INTERVAL_S),
    timeout: positive('timeout', options.timeout, DEFAULT_TIMEOUT_S),
    retention: positive('retention', options.retention, DEFAULT_RETENTION_S),
    maxEvents: Math.floor(positive('maxEvents', options.maxEvents, DEFAULT_MAX_EVENTS)),
    maxSpans: Math.floor(positive('maxSpans', options.maxSpans, DEFAULT_MAX_SPANS)),
    bodyLimit: Math.floor(positive('bodyLimit', options.bodyLimit, DEFAULT_BODY_LIMIT_BYTES)),
    log: options.log ?? (() => {}),
  };
}

const standaloneCredentialHelp = (name: string) =>
  `make one with \`pm2-mesh token create --agent ${name} --capability …\` (same --secret-file as the registry) and start the agent with MCP_MESH_REGISTRY_TOKEN=<token>`;

/** What each flag sets: text as is, numbers checked, lists split at commas. */
const KEYS: Record<keyof typeof FLAGS, [keyof RegistryOptions, 'text' | 'number' | 'flag' | 'list' | 'tls']> = {
  host: ['host', 'text'],
  port: ['port', 'number'],
  'data-file': ['dataFile', 'text'],
  'database-url': ['databaseUrl', 'text'],
  token: ['token', 'text'],
  'public-read': ['publicRead', 'flag'],
  'allowed-hosts': ['allowedHosts', 'list'],
  'allowed-origins': ['allowedOrigins', 'list'],
  'secret-file': ['secretFile', 'text'],
  'policy-file': ['policyFile', 'text'],
  policies: ['policies', 'text'],
  insecure: ['insecure', 'flag'],
  'max-agents': ['maxAgents', 'number'],
  'registration-rate': ['registrationRate', 'number'],
  timeout: ['timeout', 'number'],
  'health-interval': ['healthInterval', 'number'],
  retention: ['retention', 'number'],
  'max-events': ['maxEvents', 'number'],
  'max-spans': ['maxSpans', 'number'],
  'body-limit': ['bodyLimit', 'number'],
  'tls-mode': ['tls', 'tls'],
  'tls-cert': ['tls', 'tls'],
  'tls-key': ['tls', 'tls'],
  'tls-ca': ['tls', 'tls'],
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
    } else if (kind === 'tls') {
      options.tls = { ...(options.tls as TlsFiles | undefined), [flag.slice('tls-'.length)]: raw };
    } else {
      options[key] =
        kind === 'list' && typeof raw === 'string'
          ? raw
              .split(',')
              .map((item) => item.trim())
              .filter(Boolean)
          : raw;
    }
  }
  const databaseUrl = options.databaseUrl;
  if (typeof databaseUrl === 'string' && !isPostgresUrl(databaseUrl)) {
    const source = values['database-url'] !== undefined ? '--database-url' : FLAGS['database-url'].env;
    throw new FlagError(
      `${source}: expected a postgres://user@host:port/database URL, got ${JSON.stringify(databaseUrl)} (for a file, use --data-file)`,
    );
  }
  if (databaseUrl !== undefined && options.dataFile !== undefined)
    throw new FlagError('--data-file and --database-url exclude each other: choose the sql.js file or PostgreSQL');
  return options as RegistryOptions;
}
