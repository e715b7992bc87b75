// The example fleet: `pm2 start ecosystem.config.js` (or `npm start`, which also installs the registry module).
// PM2 loads this file with require(): in this "type": "module" package that works only as `export const apps`
// (Node >= 20.19 require(esm)); `module.exports` and `export default` are not seen by PM2.
//
// Every agent finds the registry of the PM2 module "mesh": port from MESH_PORT (the module's `pm2 set mesh:port`,
// default 8000), or a whole URL from MCP_MESH_REGISTRY_URL. Agents serve on free ports (MCP_MESH_HTTP_PORT=0).
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('.', import.meta.url));
const registryUrl = process.env.MCP_MESH_REGISTRY_URL || `http://${process.env.MESH_HOST || '127.0.0.1'}:${process.env.MESH_PORT || '8000'}`;

const meshEnv = {
  MCP_MESH_REGISTRY_URL: registryUrl,
  MCP_MESH_HTTP_HOST: '127.0.0.1',
  MCP_MESH_HTTP_PORT: '0',
  ...(process.env.MCP_MESH_REGISTRY_TOKEN ? { MCP_MESH_REGISTRY_TOKEN: process.env.MCP_MESH_REGISTRY_TOKEN } : {}),
};

/** One example agent: dist/examples/<name>.js, named after its file so `pm2 logs <name>` finds it. */
const agent = (name, env = {}) => ({
  name,
  script: `${root}dist/examples/${name}.js`,
  cwd: root,
  env: { ...meshEnv, ...env },
  // Long enough for the agent's graceful DELETE /agents/:id on SIGINT.
  kill_timeout: 3000,
  max_restarts: 10,
  restart_delay: 1000,
});

export const apps = [
  // planner → weather (fast preferred, precise as fallback) → time-service: the chained call of the README.
  agent('time-service'),
  agent('weather-fast'),
  agent('weather-precise'),
  agent('planner'),
  // greeter → time-service, plus a dependency (storage) nobody provides.
  agent('greeter'),
];
