// The example fleet: `pm2 start ecosystem.config.js` (or `npm start`, which also installs the registry module).
// PM2 loads this file with require(): in this "type": "module" package that works only as `export const apps`
// (Node >= 20.19 require(esm)); `module.exports` and `export default` are not seen by PM2.
//
// Every agent finds the registry of the PM2 module "mesh": port from MESH_PORT (the module's `pm2 set mesh:port`,
// default 8000), or a whole URL from MCP_MESH_REGISTRY_URL. Agents serve on free ports (MCP_MESH_HTTP_PORT=0).
//
// Each app gets its own credential in MCP_MESH_REGISTRY_TOKEN, bound to its agent name and the capabilities listed
// here, signed with the module's secret ($PM2_HOME/mesh/secret, made on first use): nothing to set up, and one
// app's credential cannot register another name or capability. Add your own apps with agent(name, [capabilities]).
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { appCredential } from './dist/core/credentials.js';

const root = fileURLToPath(new URL('.', import.meta.url));
// The V8 flags the module's own process runs with (package.json apps[0].node_args; README: Memory): a small young
// generation, optimisation only for what is really hot, a heap that grows slowly. Use them for your agents too.
const nodeArgs = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8')).apps[0].node_args;
const registryUrl = process.env.MCP_MESH_REGISTRY_URL || `http://${process.env.MESH_HOST || '127.0.0.1'}:${process.env.MESH_PORT || '8000'}`;

const pm2Home = process.env.PM2_HOME || join(homedir(), '.pm2');

const meshEnv = {
  MCP_MESH_REGISTRY_URL: registryUrl,
  MCP_MESH_HTTP_HOST: '127.0.0.1',
  MCP_MESH_HTTP_PORT: '0',
  // A TLS mesh (pm2-mesh certs): the same MCP_MESH_TLS_* for every app, passed on from the environment.
  ...Object.fromEntries(Object.entries(process.env).filter(([key, value]) => key.startsWith('MCP_MESH_TLS_') && value)),
};

/** MESH_TOKEN (set by pm2-mesh up for a module with `pm2 set mesh:auth off` and one shared token) wins over the app's own. */
const credential = (name, capabilities) => process.env.MESH_TOKEN || appCredential(pm2Home, name, capabilities);

/** One example agent: dist/examples/<name>.js, named after its file so `pm2 logs <name>` finds it. */
const agent = (name, capabilities, env = {}) => ({
  name,
  script: `${root}dist/examples/${name}.js`,
  cwd: root,
  env: { ...meshEnv, MCP_MESH_REGISTRY_TOKEN: credential(name, capabilities), ...env },
  node_args: nodeArgs,
  // PM2 loads its bundled @pm2/io into every process it starts unless told not to: ~9.5 MB per agent, for metrics
  // the mesh sends PM2 itself (core/pm2-io.ts). `pm2 show`, `pm2 monit` and `pm2 trigger` work the same without it.
  pmx: false,
  // PM2 turns on source maps in every process it starts: Node then reads the .js.map of every module loaded (~4 MB
  // per agent). Stack traces in `pm2 logs` point into dist/*.js instead; set it to false while you debug.
  disable_source_map_support: true,
  // A timestamp on every line of `pm2 logs` and the log files (MCP_MESH_LOG_FORMAT=json lines carry their own).
  log_date_format: 'YYYY-MM-DD HH:mm:ss.SSS Z',
  // Zero-downtime reloads: an agent sends 'ready' once registered, so `pm2 reload` replaces a process only when its
  // successor takes calls (listen_timeout: how long PM2 waits for it, e.g. while the registry is away).
  wait_ready: true,
  listen_timeout: 10000,
  // On SIGINT an agent stops taking calls, finishes those under way and unregisters: give it the time.
  kill_timeout: 3000,
  // Cluster mode works as is: `exec_mode: 'cluster', instances: 2` (or `pm2 start … -i 2`) runs workers that share
  // one port and appear as one agent; any worker answers any call, and `pm2 reload` costs callers nothing.
  max_restarts: 10,
  restart_delay: 1000,
});

export const apps = [
  // planner → weather (fast preferred, precise as fallback) → time-service: the chained call of the README.
  agent('time-service', ['time_service']),
  agent('weather-fast', ['weather']),
  agent('weather-precise', ['weather']),
  agent('planner', ['trip_planning', 'packing_list']),
  // greeter → time-service, plus a dependency (storage) nobody provides.
  agent('greeter', ['greeting']),
];
