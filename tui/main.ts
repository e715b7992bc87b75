#!/usr/bin/env node
// Standalone entry: `node dist/tui/main.js [--registry URL] [--token T]` (what `pm2-mesh dash` runs too).
import { parseArgs } from 'node:util';
import { DEFAULT_REGISTRY_URL } from '../core/defaults.js';
import { runDashboard } from './index.js';

const USAGE = `usage: main.js [--registry URL] [--token TOKEN] [--interval MS]
  --registry  registry base URL (env MCP_MESH_REGISTRY_URL, default ${DEFAULT_REGISTRY_URL})
  --token     bearer token (env MCP_MESH_REGISTRY_TOKEN)
  --interval  milliseconds between polls (default 1000)
Colour is off when NO_COLOR is set.`;

async function main(): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        registry: { type: 'string' },
        token: { type: 'string' },
        interval: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(USAGE + '\n');
    return 0;
  }
  const interval = values.interval === undefined ? undefined : Number(values.interval);
  if (interval !== undefined && !(interval >= 100)) {
    process.stderr.write(`--interval must be a number of milliseconds ≥ 100, got ${values.interval}\n`);
    return 2;
  }
  if (!process.stdout.isTTY) {
    process.stderr.write('the dashboard needs a terminal (stdout is not a TTY); try `pm2-mesh list` instead\n');
    return 2;
  }
  const controller = new AbortController();
  for (const signal of ['SIGTERM', 'SIGHUP'] as const) process.once(signal, () => controller.abort());
  return runDashboard({
    registryUrl: values.registry ?? process.env.MCP_MESH_REGISTRY_URL ?? DEFAULT_REGISTRY_URL,
    token: values.token ?? process.env.MCP_MESH_REGISTRY_TOKEN,
    pollIntervalMs: interval,
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
