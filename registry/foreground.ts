// Runs the registry in the foreground: `node dist/registry/main.js` and `pm2-mesh registry` both call this.
// Prints "registry listening on <url>" once serving, one line per registration change; SIGTERM/SIGINT save and exit 0.
import { consoleLines, logFormat, type LineLog } from '../core/log-format.js';
import { createRegistry } from './index.js';
import { parseRegistryArgs, REGISTRY_USAGE, UsageError } from './options.js';

/** Resolves once the registry is serving; the process then lives until a signal. Returns the exit code on failure. */
export async function runRegistryForeground(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<number | null> {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(REGISTRY_USAGE);
    return 0;
  }
  let registry;
  let log: LineLog = consoleLines('mesh-registry', 'text');
  try {
    log = consoleLines('mesh-registry', logFormat(env));
    const options = parseRegistryArgs(argv, env);
    registry = await createRegistry({ ...options, log: log.info });
  } catch (error) {
    log.error(`registry: ${(error as Error).message}`);
    return error instanceof UsageError || /MCP_MESH_LOG_FORMAT/.test((error as Error).message) ? 2 : 1;
  }
  log.info(`registry listening on ${registry.url}`);
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    log.info(`registry: ${signal}, saving and exiting`);
    registry.close().then(
      () => process.exit(0),
      (error: Error) => {
        log.error(`registry: could not save on exit: ${error.message}`);
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  return null;
}
