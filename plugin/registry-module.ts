// What the PM2 module runs: the registry in this process, configured by `pm2 set mesh:<key>`, plus the
// PM2 bus watcher that marks an agent unhealthy the moment its app's process exits, and the MCP gateway when
// `mesh:gateway_port` is set.
import { mkdirSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname } from 'node:path';
import { createRegistry, describeUrl, type Registry } from '../registry/index.js';
import { watchProcessExits, type BusWatcher } from './bus-watcher.js';
import { consoleLines } from '../core/log-format.js';
import { underPm2 } from '../core/pm2-io.js';
import { rawSettings, readModuleConfig } from './config.js';
import { reportModuleToPm2 } from './module-pm2.js';
import { moduleName, readPackageJson } from './package-info.js';
import { cliTls } from './connection.js';
import { readModuleSettings, resolvePm2Home } from './pm2-home.js';
import type { StartedGateway } from '../gateway/index.js';

const EXIT_REASON = 'process exit';

/** Said to an agent that registers without a credential: the two ways to get one under PM2. */
const pm2CredentialHelp = (name: string) =>
  'apps started from ecosystem.config.js (or pm2-mesh up) get their own from the mesh module; ' +
  `for an app started by hand: MCP_MESH_REGISTRY_TOKEN=$(pm2-mesh token create --agent ${name} --capability …) pm2 start <script> --name ${name} --update-env`;

export async function startModule(): Promise<void> {
  const name = moduleName();
  const log = consoleLines(name);
  let registry: Registry | undefined;
  let watcher: BusWatcher | undefined;
  let gateway: StartedGateway | undefined;
  let stopping = false;
  // Installed first: PM2 may signal at any moment (`pm2 set` right after a start), and a signal must never
  // kill the process while the data file is being saved.
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    log.info(`[${name}] ${signal}: closing the registry`);
    if (!registry) process.exit(0); // still starting: nothing to save yet
    const started = Date.now();
    watcher?.close();
    // PM2 kills a module 1.6 s after SIGINT: the gateway closes beside the registry's save, not before it.
    void gateway?.close().catch(() => undefined);
    registry.close().then(
      () => {
        log.info(`[${name}] registry closed and saved in ${Date.now() - started} ms`);
        process.exit(0);
      },
      (error: Error) => {
        log.error(`[${name}] could not close cleanly: ${error.message}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);

  const defaults = readPackageJson().config ?? {};
  const config = readModuleConfig(name, process.env, defaults, resolvePm2Home({}).dir);
  if (config.dataFile) mkdirSync(dirname(config.dataFile), { recursive: true, mode: 0o700 });
  registry = await createRegistry({ ...config, credentialHelp: pm2CredentialHelp, log: log.info });
  log.info(
    `[${name}] registry listening on ${registry.url} (${config.databaseUrl ? `PostgreSQL ${describeUrl(config.databaseUrl)}` : `data file ${config.dataFile ?? 'none: in memory'}`}; ` +
      `ready ${Math.round(performance.now())} ms after the process started)`,
  );

  if (config.gateway) {
    const { startGateway } = await import('../gateway/index.js');
    // The module's own TLS files: its CA verifies the registry and the agents, its certificate is the mesh's.
    const gatewayTls = cliTls(readModuleSettings(resolvePm2Home({}).dir, name));
    gateway = await startGateway({
      registryUrl: registry.url,
      registryToken: config.token,
      ...(gatewayTls ? { tls: gatewayTls } : {}),
      version: readPackageJson().version,
      host: config.gateway.host,
      port: config.gateway.port,
      token: config.gateway.token,
      // The names the machine is reached by are the same for the registry and the gateway.
      allowedHosts: config.allowedHosts,
      allowedOrigins: config.allowedOrigins,
    }).catch((error: Error) => {
      log.error(`[${name}] gateway not started: ${error.message} (pm2 set ${name}:gateway_port <another port>, or empty to turn it off)`);
      return undefined;
    });
    if (stopping) void gateway?.close();
  }

  // Only under PM2 is there a bus; connecting elsewhere would start a PM2 daemon as a side effect.
  const ownPmId = process.env.pm_id !== undefined ? Number(process.env.pm_id) : undefined;
  if (ownPmId === undefined) return;
  const serving = registry;
  if (underPm2()) reportModuleToPm2(serving, rawSettings(name, process.env, defaults), log.info);
  watcher = await watchProcessExits(
    ({ pmId, name: app, event }) => {
      // pm_ids repeat across hosts: with registries on several hosts, this host's module marks only its own agents.
      const ids = serving.markProcessExited(pmId, EXIT_REASON, hostname());
      if (ids.length) log.info(`[${name}] ${app} (pm_id ${pmId}) ${event}: marked unhealthy ${ids.join(', ')}`);
    },
    { ignorePmId: ownPmId },
  ).catch((error: Error) => {
    log.error(`[${name}] PM2 bus unavailable (${error.message}); exits are detected by the heartbeat timeout only`);
    return undefined;
  });
  // Closed while connecting: do not leave the bus connection open.
  if (stopping) watcher?.close();
}
