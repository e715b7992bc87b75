#!/usr/bin/env node
// Standalone entry: `node dist/tui/main.js [--registry URL] [--token T]` (what `pm2-mesh dash` runs too).
import { clientTlsOptions, loadTls, tlsFilesFromEnv } from '../core/tls.js';
import { DEFAULT_REGISTRY_URL } from '../core/defaults.js';
import { numberOption, optionsHelp, parseFlags, stringOption, withEnvironment, type Options, type Values } from '../core/flags.js';
import { runDashboard } from './index.js';

const FLAGS: Options = {
  registry: { type: 'string', valueName: 'url', env: 'MCP_MESH_REGISTRY_URL', description: `registry base URL (default ${DEFAULT_REGISTRY_URL})` },
  token: { type: 'string', valueName: 'token', env: 'MCP_MESH_REGISTRY_TOKEN', description: 'bearer token' },
  interval: { type: 'string', valueName: 'ms', description: 'milliseconds between polls (default 1000, at least 100)' },
  all: { type: 'boolean', description: 'show past instances too (the a key toggles)' },
};

const USAGE = ['usage: main.js [options]', '', 'Options:', ...optionsHelp(FLAGS), 'Colour is off when NO_COLOR is set.'].join('\n');

async function main(): Promise<number> {
  let values: Values;
  let interval: number | undefined;
  try {
    values = withEnvironment(FLAGS, parseFlags(FLAGS, process.argv.slice(2)).values, process.env);
    if (values.help) {
      process.stdout.write(USAGE + '\n');
      return 0;
    }
    interval = values.interval === undefined ? undefined : numberOption(values, 'interval', 1000, { min: 100 });
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (!process.stdout.isTTY) {
    process.stderr.write('the dashboard needs a terminal (stdout is not a TTY); try `pm2-mesh list` instead\n');
    return 2;
  }
  const controller = new AbortController();
  for (const signal of ['SIGTERM', 'SIGHUP'] as const) process.once(signal, () => controller.abort());
  return runDashboard({
    registryUrl: stringOption(values, 'registry') ?? DEFAULT_REGISTRY_URL,
    token: stringOption(values, 'token'),
    tls: clientTlsOptions(loadTls(tlsFilesFromEnv(process.env), false)),
    pollIntervalMs: interval,
    showAll: values.all === true,
    signal: controller.signal,
  });
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`pm2-mesh dash: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
