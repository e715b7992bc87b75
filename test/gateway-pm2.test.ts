// The gateway under PM2: the module runs it beside the registry when `pm2 set mesh:gateway_port` is set, and stops
// it when the setting is emptied. A real PM2 7 daemon in its own PM2_HOME, the package linked as the module.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import test from 'ava';
import { startAgent } from './support/agents.js';
import { connectWatching, toolNames } from './support/gateway.js';
import { cli, pm2, pm2Home } from './support/pm2.js';
import { freePort, stopAll } from './support/processes.js';
import { sleep, waitFor } from './support/wait.js';

const { home, kill } = pm2Home('mesh-gw-');
let port = 0;
let gatewayPort = 0;

const answers = async (url: string) => {
  try {
    return (await fetch(url, { signal: AbortSignal.timeout(1000) })).status;
  } catch {
    return 0;
  }
};

test.before(async (t) => {
  t.timeout(300_000);
  [port, gatewayPort] = [await freePort(), await freePort()];
  for (const [key, value] of [
    ['port', port],
    ['gateway_port', gatewayPort],
  ] as const) {
    const set = await pm2(home, ['set', `mesh:${key}`, String(value)]);
    if (set.code !== 0) throw new Error(`pm2 set failed: ${set.stdout}${set.stderr}`);
  }
  const install = await cli(home, ['install'], { timeoutMs: 240_000 });
  if (install.code !== 0) throw new Error(`pm2-mesh install failed:\n${install.stdout}\n${install.stderr}`);
});

test.after.always(async () => {
  await stopAll();
  await kill();
});

test.serial('pm2 set mesh:gateway_port runs the gateway in the module; it offers what agents register', async (t) => {
  t.timeout(120_000);
  const url = `http://127.0.0.1:${gatewayPort}/mcp`;
  await waitFor('the gateway answering', async () => (await answers(`http://127.0.0.1:${gatewayPort}/health`)) === 200, 30_000);
  const host = await connectWatching(url);
  const change = host.nextChange(30_000);
  // An agent started by hand needs a credential from the module (auth agents, the default).
  const credential = await cli(home, ['token', 'create', '--agent', 'time-service', '--capability', 'time_service']);
  t.is(credential.code, 0, credential.stderr);
  await startAgent('time-service', { MCP_MESH_REGISTRY_URL: `http://127.0.0.1:${port}`, MCP_MESH_REGISTRY_TOKEN: credential.stdout.trim() });
  await change;
  t.deepEqual(await toolNames(host.client), ['now']);
  const result = await host.client.callTool({ name: 'now', arguments: {} });
  t.regex((result.content as { text: string }[])[0]!.text, /^\d{4}-\d\d-\d\dT/);
  await host.client.close();
  const log = readFileSync(join(home, 'logs', 'mesh-out.log'), 'utf8');
  t.regex(log, new RegExp(`\\[mesh\\] gateway listening on http://127\\.0\\.0\\.1:${gatewayPort}/mcp`));
});

test.serial('an empty mesh:gateway_port turns it off; the registry keeps serving', async (t) => {
  t.timeout(120_000);
  const set = await pm2(home, ['set', 'mesh:gateway_port', '']);
  t.is(set.code, 0, set.stdout + set.stderr);
  await waitFor('the gateway gone', async () => (await answers(`http://127.0.0.1:${gatewayPort}/health`)) === 0, 30_000);
  await waitFor('the registry back', async () => (await answers(`http://127.0.0.1:${port}/health`)) === 200, 30_000);
  // The module starts the gateway right after its registry: still nothing there a second later means it is off.
  await sleep(1000);
  t.is(await answers(`http://127.0.0.1:${gatewayPort}/health`), 0);
});
