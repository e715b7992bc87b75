// The registry's command-line flags, shared by `node dist/registry/main.js` (which parses them, registry/options.ts)
// and `pm2-mesh registry` (whose help lists them): one definition, one help text.
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
} from './defaults.js';
import type { Options } from './flags.js';

/** The registry's flags, each with the RegistryOptions key it sets and its environment variable. */
export const REGISTRY_FLAGS = {
  host: { type: 'string', valueName: 'host', env: 'MCP_MESH_REGISTRY_HOST', description: `address to bind (default ${DEFAULT_REGISTRY_HOST})` },
  port: {
    type: 'string',
    valueName: 'port',
    env: 'MCP_MESH_REGISTRY_PORT',
    description: `port; 0 = any free port (default ${DEFAULT_REGISTRY_PORT})`,
  },
  'data-file': {
    type: 'string',
    valueName: 'file',
    env: 'MCP_MESH_REGISTRY_DATA_FILE',
    description: 'the sql.js data file (default: none, memory only)',
  },
  'database-url': {
    type: 'string',
    valueName: 'postgres://…',
    env: 'DATABASE_URL',
    description: 'keep the state in PostgreSQL instead; every registry on that database serves one mesh (replicas)',
  },
  token: {
    type: 'string',
    valueName: 'token',
    env: 'MCP_MESH_REGISTRY_TOKEN',
    description: 'a shared token (Authorization: Bearer <token>); with --secret-file an operator credential, alone the key every agent shares',
  },
  'public-read': {
    type: 'boolean',
    env: 'MCP_MESH_REGISTRY_PUBLIC_READ',
    description: 'GET requests need no credential from anywhere (writes still do)',
  },
  'secret-file': {
    type: 'string',
    valueName: 'file',
    env: 'MCP_MESH_REGISTRY_SECRET_FILE',
    description: 'signs agent credentials (made 0600 if missing): every agent then needs its own (pm2-mesh token create --agent NAME)',
  },
  'policy-file': {
    type: 'string',
    valueName: 'file',
    env: 'MCP_MESH_REGISTRY_POLICY_FILE',
    description: 'which capabilities each agent may provide: {"agents": {"<name>": {"capabilities": ["<cap>", "prefix*"]}}}',
  },
  policies: {
    type: 'string',
    valueName: 'agent=cap,…;…',
    env: 'MCP_MESH_REGISTRY_POLICIES',
    description: 'the same, inline (e.g. weather=weather;planner=trip_planning)',
  },
  'allowed-hosts': {
    type: 'string',
    valueName: 'name,…',
    env: 'MCP_MESH_ALLOWED_HOSTS',
    description: 'more names the registry is reached by (Host header) beyond its bind address and loopback; * = no Host check',
  },
  'allowed-origins': {
    type: 'string',
    valueName: 'url,…',
    env: 'MCP_MESH_ALLOWED_ORIGINS',
    description: 'web origins allowed to change the mesh (default none)',
  },
  insecure: {
    type: 'boolean',
    env: 'MCP_MESH_REGISTRY_INSECURE',
    description: 'serve beyond loopback with no credentials at all (anyone reaching the port changes the mesh)',
  },
  'max-agents': {
    type: 'string',
    valueName: 'n',
    env: 'MCP_MESH_REGISTRY_MAX_AGENTS',
    description: `agents held at most, 429 beyond; 0 = no cap (default ${DEFAULT_MAX_AGENTS})`,
  },
  'registration-rate': {
    type: 'string',
    valueName: 'n',
    env: 'MCP_MESH_REGISTRY_REGISTRATION_RATE',
    description: `new agents one source address may register per minute, 429 beyond; 0 = no limit (default ${DEFAULT_REGISTRATION_RATE_PER_MIN})`,
  },
  timeout: {
    type: 'string',
    valueName: 'seconds',
    env: 'MCP_MESH_REGISTRY_TIMEOUT',
    description: `seconds without a heartbeat before an agent turns unhealthy (default ${DEFAULT_TIMEOUT_S})`,
  },
  'health-interval': {
    type: 'string',
    valueName: 'seconds',
    env: 'MCP_MESH_REGISTRY_HEALTH_INTERVAL',
    description: `longest gap between health sweeps (purge, event cap) (default ${DEFAULT_HEALTH_CHECK_INTERVAL_S})`,
  },
  retention: {
    type: 'string',
    valueName: 'seconds',
    env: 'MCP_MESH_REGISTRY_RETENTION',
    description: `seconds an unhealthy agent is kept before it is purged (default ${DEFAULT_RETENTION_S})`,
  },
  'max-events': {
    type: 'string',
    valueName: 'n',
    env: 'MCP_MESH_REGISTRY_MAX_EVENTS',
    description: `events kept in the log (default ${DEFAULT_MAX_EVENTS})`,
  },
  'tls-mode': {
    type: 'string',
    valueName: 'off|auto|strict',
    env: 'MCP_MESH_TLS_MODE',
    description: 'HTTPS (auto: client certificates checked when sent; strict: required); default auto with a certificate, else off',
  },
  'tls-cert': {
    type: 'string',
    valueName: 'file',
    env: 'MCP_MESH_TLS_CERT',
    description: "the registry's certificate (PEM; pm2-mesh certs makes one)",
  },
  'tls-key': { type: 'string', valueName: 'file', env: 'MCP_MESH_TLS_KEY', description: 'its private key (PEM)' },
  'tls-ca': {
    type: 'string',
    valueName: 'file',
    env: 'MCP_MESH_TLS_CA',
    description: "the CA that signs the mesh's certificates: agents' client certificates must come from it",
  },
  'max-spans': {
    type: 'string',
    valueName: 'n',
    env: 'MCP_MESH_REGISTRY_MAX_SPANS',
    description: `recent spans kept for GET /traces (default ${DEFAULT_MAX_SPANS})`,
  },
  'body-limit': {
    type: 'string',
    valueName: 'bytes',
    env: 'MCP_MESH_REGISTRY_BODY_LIMIT',
    description: `largest request body, 413 above (default ${DEFAULT_BODY_LIMIT_BYTES})`,
  },
} as const satisfies Options;

export const REGISTRY_SUMMARY =
  'Runs the mesh registry in the foreground. --port 0 picks a free port. Without --data-file or --database-url it keeps everything in memory. ' +
  'With --secret-file every agent needs its own credential; beyond loopback it needs --secret-file or --token (or --insecure). ' +
  'Flags win over the environment variables.';

/** A --database-url / mesh:database_url value the PostgreSQL storage takes. */
export function isPostgresUrl(url: string): boolean {
  return /^postgres(ql)?:\/\//i.test(url);
}
