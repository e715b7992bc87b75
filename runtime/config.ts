// An agent's configuration: code options, overridden by MCP_MESH_* environment variables (as in MCP Mesh),
// so that one agent file can be started differently by PM2's ecosystem file.
import { createHash, randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { homedir, hostname, networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_AGENT_HEARTBEAT_INTERVAL_S, DEFAULT_CALL_TIMEOUT_S, DEFAULT_REGISTRY_URL } from '../core/defaults.js';
import { logFormat, type LogFormat } from '../core/log-format.js';
import { loadTls, tlsFilesFromEnv, type TlsFiles, type TlsSettings } from '../core/tls.js';
import { parseRegistryUrls } from '../core/registry-endpoints.js';
import { DEFAULT_STRATEGY, isSelectionStrategy, MAX_WEIGHT, SELECTION_STRATEGIES, type SelectionStrategy } from '../core/selection.js';
import { AGENT_ID_PATTERN } from '../core/agent-id.js';
import { LOG_LEVELS, type LogLevel } from './log.js';

/** Where the agent serves unless told otherwise: loopback only. */
export const DEFAULT_HTTP_HOST = '127.0.0.1';
/** Registry retry: first delay, doubled on each failure up to the cap. */
export const BACKOFF_INITIAL_MS = 1_000;
export const BACKOFF_MAX_MS = 30_000;
/** Seconds the topology long-poll asks the registry to hold (its maximum is MAX_TOPOLOGY_WAIT_S). */
export const TOPOLOGY_WAIT_S = 30;
/** Bound on the DELETE /agents/:id sent at shutdown (PM2 kills after kill_timeout, 1.6 s by default). */
export const UNREGISTER_TIMEOUT_MS = 1_000;
/** Bound on waiting for tool calls under way at shutdown (sent alongside the DELETE), outside PM2. */
export const DRAIN_TIMEOUT_MS = 1_200;

/**
 * How long calls under way may take to finish at shutdown: under PM2 its kill_timeout (which it passes in the
 * environment) less a margin for the goodbye and the exit, so PM2 never has to SIGKILL a draining agent.
 */
export function drainTimeoutMs(env: Record<string, string | undefined> = process.env): number {
  const killTimeout = Number(env.kill_timeout);
  return Number.isFinite(killTimeout) && killTimeout > 0 ? Math.max(200, killTimeout - 400) : DRAIN_TIMEOUT_MS;
}
/** Seconds an MCP session may stay idle before the agent drops it (a client re-initializes on 404). */
export const SESSION_IDLE_S = 600;

export interface HealthStatus {
  status: 'healthy' | 'unhealthy' | 'degraded';
  error?: string;
}

export interface AgentOptions {
  /** Agent name; MCP_MESH_AGENT_NAME overrides it. */
  name: string;
  version?: string;
  description?: string;
  namespace?: string;
  /** Fixed agent id (default `{name}-{8 hex}`, new on each start). */
  agentId?: string;
  registryUrl?: string;
  /** Bearer token the registry requires, if any. */
  registryToken?: string;
  httpHost?: string;
  /** 0 = any free port. */
  httpPort?: number;
  /** Seconds between heartbeats. */
  healthInterval?: number;
  /** No registry traffic at all: a plain MCP server. */
  standalone?: boolean;
  /** Seconds a proxied call may take. */
  callTimeout?: number;
  logLevel?: LogLevel;
  logHeartbeats?: boolean;
  /** Extra Host header values accepted (`name` or `name:port`; `*` accepts any). */
  allowedHosts?: string[];
  /** Extra Origin values accepted (`http://app.example:3000`). */
  allowedOrigins?: string[];
  /** TLS (overridden per field by MCP_MESH_TLS_MODE/CERT/KEY/CA): serve HTTPS, verify the registry and peers. */
  tls?: TlsFiles;
  /** Checked on every heartbeat; an unhealthy result takes the agent out of resolution until it passes. */
  healthCheck?: () => HealthStatus | boolean | Promise<HealthStatus | boolean>;
  /** Install SIGINT/SIGTERM handlers that unregister and exit (default true). */
  handleSignals?: boolean;
  /** How dependencies spread calls over equally good providers unless their spec says (default least-inflight). */
  strategy?: SelectionStrategy;
  /** This agent's tools' share of their equals' calls under the `weighted` strategy (default 1). */
  weight?: number;
  /** Trace context and spans (default true); MCP_MESH_TRACING overrides it. */
  tracing?: boolean;
  /** Serve GET /metrics in Prometheus's format (default false); MCP_MESH_METRICS overrides it. */
  metrics?: boolean;
}

export interface AgentConfig {
  name: string;
  version: string;
  description?: string;
  namespace: string;
  agentId: string;
  registryUrl: string;
  registryToken?: string;
  httpHost: string;
  httpPort: number;
  /** The host other agents use to reach this one. */
  advertisedHost: string;
  healthIntervalMs: number;
  /** No registry traffic (MCP_MESH_STANDALONE, MCP_MESH_ENABLED=false or MCP_MESH_AUTO_RUN=false). */
  standalone: boolean;
  callTimeoutMs: number;
  logLevel: LogLevel;
  logHeartbeats: boolean;
  allowedHosts: string[];
  allowedOrigins: string[];
  handleSignals: boolean;
  /** Loaded certificates, or undefined for plain HTTP. */
  tls?: TlsSettings;
  strategy: SelectionStrategy;
  weight?: number;
  /** W3C trace context on every call and spans to the registry (and OpenTelemetry when configured). */
  tracing: boolean;
  /** GET /metrics served (Prometheus text). */
  metrics: boolean;
  /** MCP_MESH_LOG_FORMAT: text (default) or json lines. */
  logFormat: LogFormat;
}

type Env = Record<string, string | undefined>;

export function loadConfig(options: AgentOptions, env: Env = process.env): AgentConfig {
  const name = text(env, 'MCP_MESH_AGENT_NAME') ?? options.name;
  if (!name) throw new Error('agent name is required: agent({ name }) or MCP_MESH_AGENT_NAME');
  const agentId = text(env, 'MCP_MESH_AGENT_ID') ?? options.agentId ?? pm2AgentId(name, env) ?? `${name}-${randomBytes(4).toString('hex')}`;
  if (!AGENT_ID_PATTERN.test(agentId)) {
    throw new Error(`agent id "${agentId}" must be 1-128 characters of A-Z a-z 0-9 . _ : - (set MCP_MESH_AGENT_ID or a simpler name)`);
  }
  const httpHost = text(env, 'MCP_MESH_HTTP_HOST') ?? options.httpHost ?? DEFAULT_HTTP_HOST;
  const enabled = bool(env, 'MCP_MESH_ENABLED') ?? true;
  const autoRun = bool(env, 'MCP_MESH_AUTO_RUN') ?? true;
  const standalone = (bool(env, 'MCP_MESH_STANDALONE') ?? options.standalone ?? false) || !enabled || !autoRun;
  const logLevel = (text(env, 'MCP_MESH_LOG_LEVEL')?.toLowerCase() ?? options.logLevel ?? 'info') as LogLevel;
  if (!LOG_LEVELS.includes(logLevel)) throw new Error(`MCP_MESH_LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}`);
  // The registry client's base URL rule; several registries (replicas on one database) comma-separated, the agent
  // moving to the next when one fails.
  const registryUrl = parseRegistryUrls(text(env, 'MCP_MESH_REGISTRY_URL') ?? options.registryUrl ?? DEFAULT_REGISTRY_URL).join(',');
  return {
    name,
    version: text(env, 'MCP_MESH_AGENT_VERSION') ?? options.version ?? '1.0.0',
    description: options.description,
    namespace: text(env, 'MCP_MESH_NAMESPACE') ?? options.namespace ?? 'default',
    agentId,
    registryUrl,
    registryToken: text(env, 'MCP_MESH_REGISTRY_TOKEN') ?? options.registryToken,
    httpHost,
    httpPort: int(env, 'MCP_MESH_HTTP_PORT', 0, 65535) ?? options.httpPort ?? 0,
    advertisedHost: advertisedHost(httpHost),
    healthIntervalMs: seconds(env, 'MCP_MESH_HEALTH_INTERVAL') ?? (options.healthInterval ?? DEFAULT_AGENT_HEARTBEAT_INTERVAL_S) * 1000,
    standalone,
    callTimeoutMs: seconds(env, 'MCP_MESH_CALL_TIMEOUT') ?? (options.callTimeout ?? DEFAULT_CALL_TIMEOUT_S) * 1000,
    logLevel,
    logHeartbeats: bool(env, 'MCP_MESH_LOG_HEARTBEATS') ?? options.logHeartbeats ?? true,
    allowedHosts: [...(options.allowedHosts ?? []), ...list(env, 'MCP_MESH_ALLOWED_HOSTS')],
    allowedOrigins: [...(options.allowedOrigins ?? []), ...list(env, 'MCP_MESH_ALLOWED_ORIGINS')],
    handleSignals: options.handleSignals ?? true,
    tls: loadTls({ ...options.tls, ...definedOnly(tlsFilesFromEnv(env)) }, true),
    strategy: strategyOf(text(env, 'MCP_MESH_SELECTION') ?? options.strategy),
    ...weightOption(env, options.weight),
    tracing: bool(env, 'MCP_MESH_TRACING') ?? options.tracing ?? true,
    metrics: bool(env, 'MCP_MESH_METRICS') ?? options.metrics ?? false,
    logFormat: logFormat(env),
  };
}

function strategyOf(value: string | undefined): SelectionStrategy {
  if (value === undefined) return DEFAULT_STRATEGY;
  if (!isSelectionStrategy(value))
    throw new Error(`MCP_MESH_SELECTION (or strategy) must be one of ${SELECTION_STRATEGIES.join(', ')}, not "${value}"`);
  return value;
}

function weightOption(env: Env, option: number | undefined): { weight?: number } {
  const raw = text(env, 'MCP_MESH_WEIGHT');
  const weight = raw !== undefined ? Number(raw) : option;
  if (weight === undefined) return {};
  if (!Number.isFinite(weight) || weight <= 0 || weight > MAX_WEIGHT) {
    throw new Error(`MCP_MESH_WEIGHT (or weight) must be a positive number up to ${MAX_WEIGHT}, not "${raw ?? option}"`);
  }
  return { weight };
}

/**
 * Under PM2, an app instance keeps one agent id across restarts and reloads, so restarts do not pile up dead agents:
 * `{name}-{8 hex}` (MCP Mesh's shape) from this machine, the PM2 home, the app's name and, in fork mode, its instance
 * number. The workers of a cluster-mode app share the id (and their endpoint: one port): they are one agent.
 * Standalone agents keep a random suffix, as MCP Mesh's do.
 */
export function pm2AgentId(name: string, env: Env = process.env, isClusterWorker?: boolean): string | undefined {
  if (env.pm_id === undefined || !env.name) return undefined;
  // node:cluster only under PM2 (it costs a standalone agent ~0.4 MB for one boolean).
  isClusterWorker ??= (createRequire(import.meta.url)('node:cluster') as { isWorker: boolean }).isWorker;
  const home = env.PM2_HOME ?? join(homedir(), '.pm2');
  const instance = isClusterWorker ? 'cluster' : (env.NODE_APP_INSTANCE ?? '0');
  const digest = createHash('sha256').update([hostname(), home, env.name, instance].join('\0')).digest('hex');
  return `${name}-${digest.slice(0, 8)}`;
}

/** A wildcard bind address cannot be dialled: advertise this machine's first external IPv4 instead. */
function advertisedHost(bindHost: string): string {
  if (bindHost !== '0.0.0.0' && bindHost !== '::') return bindHost;
  for (const addresses of Object.values(networkInterfaces())) {
    for (const a of addresses ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return '127.0.0.1';
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function text(env: Env, key: string): string | undefined {
  const value = env[key]?.trim();
  return value ? value : undefined;
}

function bool(env: Env, key: string): boolean | undefined {
  const value = text(env, key)?.toLowerCase();
  if (value === undefined) return undefined;
  if (['1', 'true', 'yes', 'on'].includes(value)) return true;
  if (['0', 'false', 'no', 'off'].includes(value)) return false;
  throw new Error(`${key} must be true or false, not "${env[key]}"`);
}

function int(env: Env, key: string, min: number, max: number): number | undefined {
  const value = text(env, key);
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) throw new Error(`${key} must be an integer from ${min} to ${max}, not "${value}"`);
  return n;
}

/** A positive number of seconds, returned in milliseconds. */
function seconds(env: Env, key: string): number | undefined {
  const value = text(env, key);
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${key} must be a positive number of seconds, not "${value}"`);
  return Math.round(n * 1000);
}

function list(env: Env, key: string): string[] {
  return (text(env, key) ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/** What the registry learns about the process this agent runs in (PM2 sets `pm_id` and `name`). */
export function processMetadata(env: Env = process.env): { pm_id?: number; pm2_name?: string; pm2_host?: string; pid: number } {
  const pmId = env.pm_id !== undefined && /^\d+$/.test(env.pm_id) ? Number(env.pm_id) : undefined;
  return {
    ...(pmId !== undefined ? { pm_id: pmId, pm2_host: hostname() } : {}),
    ...(pmId !== undefined && env.name ? { pm2_name: env.name } : {}),
    pid: process.pid,
  };
}
