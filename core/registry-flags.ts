// The registry's command-line flags, shared by `node dist/registry/main.js` (which parses them, registry/options.ts)
// and `pm2-mesh registry` (whose help lists them): one definition, one help text.
import {
  DEFAULT_BODY_LIMIT_BYTES,
  DEFAULT_HEALTH_CHECK_INTERVAL_S,
  DEFAULT_MAX_EVENTS,
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
  token: { type: 'string', valueName: 'token', env: 'MCP_MESH_REGISTRY_TOKEN', description: 'require Authorization: Bearer <token>' },
  'public-read': { type: 'boolean', env: 'MCP_MESH_REGISTRY_PUBLIC_READ', description: 'with a token: GET requests need none, writes still do' },
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
  'body-limit': {
    type: 'string',
    valueName: 'bytes',
    env: 'MCP_MESH_REGISTRY_BODY_LIMIT',
    description: `largest request body, 413 above (default ${DEFAULT_BODY_LIMIT_BYTES})`,
  },
} as const satisfies Options;

export const REGISTRY_SUMMARY =
  'Runs the mesh registry in the foreground. --port 0 picks a free port. Without --data-file it keeps everything in memory. Flags win over the environment variables.';
