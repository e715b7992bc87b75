// The PM2 module entry (package main): the registry in this process, configured by `pm2 set mesh:<key>`,
// plus the PM2 bus watcher that marks an agent unhealthy the moment its app's process exits.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { createRegistry, type Registry } from '../registry/index.js';
import { watchProcessExits, type BusWatcher } from './bus-watcher.js';
import { readModuleConfig } from './config.js';
import { moduleName, readPackageJson } from './package-info.js';
import { resolvePm2Home } from './pm2-home.js';

const EXIT_REASON = 'process exit';

async function startModule(): Promise<void> {
  const name = moduleName();
  const config = readModuleConfig(name, process.env, readPackageJson().config ?? {}, resolvePm2Home({}).dir);
  if (config.dataFile) mkdirSync(dirname(config.dataFile), { recursive: true });
  const registry: Registry = await createRegistry({ ...config, log: (line) => console.log(line) });
  console.log(`[${name}] registry listening on ${registry.url} (data file ${config.dataFile ?? 'none: in memory'})`);

  // Only under PM2 is there a bus; connecting elsewhere would start a PM2 daemon as a side effect.
  let watcher: BusWatcher | undefined;
  const ownPmId = process.env.pm_id !== undefined ? Number(process.env.pm_id) : undefined;
  if (ownPmId !== undefined) {
    watcher = await watchProcessExits(
      ({ pmId, name: app, event }) => {
        const ids = registry.markProcessExited(pmId, EXIT_REASON);
        if (ids.length) console.log(`[${name}] ${app} (pm_id ${pmId}) ${event}: marked unhealthy ${ids.join(', ')}`);
      },
      { ignorePmId: ownPmId },
    ).catch((error: Error) => {
      console.error(`[${name}] PM2 bus unavailable (${error.message}); exits are detected by the heartbeat timeout only`);
      return undefined;
    });
  }

  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    console.log(`[${name}] ${signal}: closing the registry`);
    watcher?.close();
    registry.close().then(
      () => process.exit(0),
      (error: Error) => {
        console.error(`[${name}] could not close cleanly: ${error.message}`);
        process.exit(1);
      },
    );
  };
  // `on`, not `once`: a second signal while closing must not kill the process before the data file is saved.
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

try {
  await startModule();
} catch (error) {
  console.error(`[${moduleName()}] cannot start: ${(error as Error).message}`);
  process.exit(1);
}
