// The module's configuration: `pm2 set mesh:<key> <value>` reaches the module only through its environment
// (the JSON of all keys in the variable named after the module, each key also as its own variable, values
// as strings), with package.json "config" as defaults. Pure, so it is unit-tested on its own.
import { isAbsolute, join, resolve } from 'node:path';
import { secretFileIn } from '../core/credentials.js';
import { isPostgresUrl } from '../core/registry-flags.js';
import type { RegistryOptions } from '../registry/index.js';

export const CONFIG_KEYS = [
  'port',
  'host',
  'data_file',
  'database_url',
  'health_interval',
  'timeout',
  'retention',
  'token',
  'allowed_hosts',
  'allowed_origins',
  'auth',
  'policies',
  'policy_file',
  'max_agents',
  'registration_rate',
  'tls_mode',
  'tls_cert',
  'tls_key',
  'tls_ca',
  'gateway_port',
  'gateway_host',
  'gateway_token',
] as const;
export type ConfigKey = (typeof CONFIG_KEYS)[number];

/** data_file values that mean "keep everything in memory". */
const IN_MEMORY = new Set([':memory:', 'memory', 'none']);

export class ConfigError extends Error {}

export interface ModuleConfig extends RegistryOptions {
  host: string;
  port: number;
  dataFile: string | null;
  databaseUrl: string | null;
  healthInterval: number;
  timeout: number;
  retention: number;
  token?: string;
  allowedHosts: string[];
  allowedOrigins: string[];
  /** The module's secret (agent credentials); undefined with `auth off`. */
  secretFile?: string;
  /** The MCP gateway the module also runs, when `gateway_port` is set. */
  gateway?: { port: number; host: string; token?: string };
}

/** The raw string of each key: module JSON first, then the key's own variable, then the package default. */
export function rawSettings(module: string, env: NodeJS.ProcessEnv, defaults: Record<string, string>): Record<ConfigKey, string> {
  let fromJson: Record<string, unknown> = {};
  const json = env[module];
  if (json) {
    try {
      const parsed: unknown = JSON.parse(json);
      if (parsed && typeof parsed === 'object') fromJson = parsed as Record<string, unknown>;
    } catch {
      throw new ConfigError(`the ${module} variable is not JSON (PM2 passes the module's settings in it): ${json.slice(0, 80)}`);
    }
  }
  const settings = {} as Record<ConfigKey, string>;
  for (const key of CONFIG_KEYS) {
    const value = fromJson[key] ?? env[key] ?? defaults[key] ?? '';
    settings[key] = String(value).trim();
  }
  return settings;
}

export function readModuleConfig(module: string, env: NodeJS.ProcessEnv, defaults: Record<string, string>, pm2Home: string): ModuleConfig {
  const raw = rawSettings(module, env, defaults);
  const fix = (key: ConfigKey, what: string, example: string) =>
    new ConfigError(`${module}:${key} must be ${what} (got "${raw[key]}"); fix it with: pm2 set ${module}:${key} ${example}`);
  const seconds = (key: ConfigKey, example: string) => {
    const value = Number(raw[key]);
    if (raw[key] === '' || !Number.isFinite(value) || value <= 0) throw fix(key, 'a number of seconds > 0', example);
    return value;
  };
  const port = Number(raw.port);
  if (!/^\d+$/.test(raw.port) || port < 1 || port > 65535) throw fix('port', 'a port number 1-65535', '8000');
  if (!raw.host) throw fix('host', 'a host name or address', '127.0.0.1');
  const count = (key: ConfigKey, example: string) => {
    if (raw[key] === '') return undefined; // the registry's default
    const value = Number(raw[key]);
    if (!Number.isInteger(value) || value < 0) throw fix(key, 'a whole number >= 0 (0 = no limit)', example);
    return value;
  };
  const auth = raw.auth || 'agents';
  if (auth !== 'agents' && auth !== 'off') throw fix('auth', '"agents" (each app needs its own credential) or "off"', 'agents');
  const loopback = raw.host === 'localhost' || raw.host === '::1' || raw.host.startsWith('127.');
  if (auth === 'off' && !loopback && !raw.token && raw.tls_mode !== 'strict') {
    throw new ConfigError(
      `${module}:host ${raw.host} with ${module}:auth off and no ${module}:token: anyone who reaches the port could change the mesh; ` +
        `fix it with: pm2 set ${module}:auth agents`,
    );
  }
  // PostgreSQL instead of the data file: every host's module on that database serves one mesh.
  const databaseUrl = raw.database_url || null;
  if (databaseUrl !== null && !isPostgresUrl(databaseUrl))
    throw fix('database_url', 'a postgres:// URL (empty: the data file)', 'postgres://mesh@db.example:5432/mesh');
  return {
    host: raw.host,
    port,
    dataFile: databaseUrl === null ? dataFilePath(raw.data_file, pm2Home) : null,
    databaseUrl,
    healthInterval: seconds('health_interval', '10'),
    timeout: seconds('timeout', '20'),
    retention: seconds('retention', '3600'),
    token: raw.token || undefined,
    allowedHosts: commaList(raw.allowed_hosts),
    allowedOrigins: commaList(raw.allowed_origins),
    ...(auth === 'agents' ? { secretFile: secretFileIn(pm2Home) } : {}),
    ...(raw.policies ? { policies: raw.policies } : {}),
    ...(raw.policy_file ? { policyFile: isAbsolute(raw.policy_file) ? raw.policy_file : resolve(pm2Home, raw.policy_file) } : {}),
    ...optional('maxAgents', count('max_agents', '20000')),
    ...optional('registrationRate', count('registration_rate', '600')),
    ...(raw.tls_mode || raw.tls_cert || raw.tls_ca
      ? { tls: { mode: raw.tls_mode || undefined, cert: raw.tls_cert || undefined, key: raw.tls_key || undefined, ca: raw.tls_ca || undefined } }
      : {}),
    ...(raw.gateway_port === '' ? {} : { gateway: gatewaySettings(raw, fix) }),
  };
}

/** `pm2 set mesh:gateway_port 8001` turns the gateway on (empty = off); host and token have their own keys. */
function gatewaySettings(raw: Record<ConfigKey, string>, fix: (key: ConfigKey, what: string, example: string) => ConfigError) {
  const port = Number(raw.gateway_port);
  if (!/^\d+$/.test(raw.gateway_port) || port < 1 || port > 65535)
    throw fix('gateway_port', 'a port number 1-65535, or empty for no gateway', '8001');
  return { port, host: raw.gateway_host || '127.0.0.1', ...(raw.gateway_token ? { token: raw.gateway_token } : {}) };
}

/** Empty: under PM2_HOME. Relative: against PM2_HOME too (the module's own folder is replaced on reinstall). */
export function dataFilePath(value: string, pm2Home: string): string | null {
  if (IN_MEMORY.has(value)) return null;
  if (!value) return join(pm2Home, 'mesh', 'registry.db');
  return isAbsolute(value) ? value : resolve(pm2Home, value);
}

const commaList = (value: string): string[] =>
  value
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);

const optional = <K extends string>(key: K, value: number | undefined) => (value === undefined ? {} : ({ [key]: value } as Record<K, number>));
