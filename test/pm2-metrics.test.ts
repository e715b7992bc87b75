// Mesh metrics in PM2 itself, under a real PM2 7 daemon in its own PM2_HOME: the registry run the way PM2 runs the
// module (the package's entry, its settings in its environment) and two example agents as PM2 apps. `pm2 show`
// lists the metrics they send over PM2's own channel, `pm2 show mesh` masks the token, `pm2 trigger mesh` runs the
// actions.
import test from 'ava';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { connectClient, callTool } from './support/agents.js';
import { ECOSYSTEM, pm2, pm2Home } from './support/pm2.js';
import { DIST, freePort } from './support/processes.js';
import { waitFor } from './support/wait.js';

const { home, kill } = pm2Home('mesh-pm2m-');
const TOKEN = 's3cret-token-value';
let registryUrl = '';

async function agents(): Promise<{ id: string; name: string; status: string; endpoint: string }[]> {
  const res = await fetch(`${registryUrl}/agents`, { headers: { authorization: `Bearer ${TOKEN}` } });
  return ((await res.json()) as { agents: { id: string; name: string; status: string; endpoint: string }[] }).agents;
}

async function show(app: string): Promise<string> {
  const result = await pm2(home, ['show', app]);
  if (result.code !== 0) throw new Error(`pm2 show ${app} failed: ${result.stdout}${result.stderr}`);
  return result.stdout;
}

/** The value column of a `pm2 show` table row. */
const rowValue = (screen: string, key: string) => new RegExp(`│ ${key}\\s*│([^│]*)│`).exec(screen)?.[1]?.trim();

test.before(async (t) => {
  t.timeout(120_000);
  const port = await freePort();
  registryUrl = `http://127.0.0.1:${port}`;
  // What `pm2 set mesh:<key>` gives the module: each key as its own variable (PM2 drops the JSON one, named after the
  // app, for an app started by hand).
  const settings = { port: String(port), host: '127.0.0.1', data_file: '', token: TOKEN };
  const started = await pm2(home, ['start', join(DIST, 'plugin', 'module.js'), '--name', 'mesh'], { env: settings });
  if (started.code !== 0) throw new Error(`pm2 start mesh failed: ${started.stdout}${started.stderr}`);
  const env = { MCP_MESH_REGISTRY_URL: registryUrl, MCP_MESH_REGISTRY_TOKEN: TOKEN, MCP_MESH_HEALTH_INTERVAL: '1' };
  // Two apps of the ecosystem file, as a user starts them (it reads the registry URL and token from the environment).
  const apps = await pm2(home, ['start', ECOSYSTEM, '--only', 'time-service,greeter'], { env });
  if (apps.code !== 0) throw new Error(`pm2 start ecosystem failed: ${apps.stdout}${apps.stderr}`);
  await waitFor('both agents healthy', async () => (await agents()).filter((a) => a.status === 'healthy').length === 2, 60_000, 200);
});

test.after.always(async () => {
  await kill();
});

test.serial('pm2 show <agent> lists the mesh metrics: calls/s, dependency calls/s, errors, p95, dependencies resolved', async (t) => {
  const greeter = (await agents()).find((a) => a.name === 'greeter')!;
  const client = await connectClient(`${greeter.endpoint}/mcp`);
  try {
    for (let i = 0; i < 20; i++) await callTool(client, 'hello', { name: 'Ann' });
  } finally {
    await client.close();
  }
  const screen = await waitFor(
    'metrics with served calls',
    async () => {
      const out = await show('greeter');
      return /Calls served\/s/.test(out) && Number(rowValue(out, 'p95 latency')?.split(' ')[0]) > 0 ? out : undefined;
    },
    20_000,
    500,
  );
  t.regex(screen, /Code metrics value/);
  t.regex(rowValue(screen, 'Dependencies') ?? '', /^1\/2 resolved$/, 'time_service resolved, storage not');
  t.regex(rowValue(screen, 'Dependency calls\\/s') ?? '', /req\/s$/);
  t.regex(rowValue(screen, 'Errors') ?? '', /^0 /);
  t.is(rowValue(screen, 'Registry'), 'connected');
  const time = await show('time-service');
  t.regex(rowValue(time, 'Dependencies') ?? '', /^0\/0 resolved$/);
});

test.serial("the ecosystem file's apps log with a timestamp on every line (log_date_format)", async (t) => {
  const lines = readFileSync(join(home, 'logs', 'greeter-out.log'), 'utf8')
    .trim()
    .split('\n');
  t.true(lines.length > 0);
  for (const line of lines) t.regex(line, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} [+-]\d\d:\d\d: \[mesh\] greeter-[0-9a-f]{8} /);
});

test.serial("pm2 show mesh: settings with the token masked and empty ones empty, the mesh's health, its actions", async (t) => {
  const screen = await waitFor(
    'module metrics',
    async () => {
      const out = await show('mesh');
      return rowValue(out, 'Agents healthy') === '2/2' ? out : undefined;
    },
    20_000,
    500,
  );
  t.regex(screen, /Process configuration/);
  t.false(screen.includes(TOKEN), 'the token never appears');
  t.is(rowValue(screen, 'token'), '•••••• (set)');
  t.is(rowValue(screen, 'data_file'), '');
  t.regex(rowValue(screen, 'Heartbeats\\/s') ?? '', /hb\/s$/);
  t.regex(rowValue(screen, 'Registrations\\/min') ?? '', /reg\/min$/);
  t.regex(screen, /Actions available[\s\S]*snapshot[\s\S]*purge_unhealthy/);
});

test.serial('pm2 trigger mesh purge_unhealthy removes the agents of a stopped app; snapshot saves the data file', async (t) => {
  const greeter = (await agents()).find((a) => a.name === 'greeter')!;
  t.is((await pm2(home, ['stop', 'greeter'])).code, 0);
  await waitFor('greeter unhealthy', async () => (await agents()).find((a) => a.id === greeter.id)?.status === 'unhealthy', 20_000, 200);
  const purge = await pm2(home, ['trigger', 'mesh', 'purge_unhealthy']);
  t.is(purge.code, 0, purge.stderr);
  t.regex(purge.stdout, new RegExp(`"purged":\\["${greeter.id}"\\]`));
  t.false((await agents()).some((a) => a.id === greeter.id));
  const snapshot = await pm2(home, ['trigger', 'mesh', 'snapshot']);
  t.is(snapshot.code, 0, snapshot.stderr);
  t.regex(snapshot.stdout, new RegExp(`"saved":"${join(home, 'mesh', 'registry.db').replace(/[/.]/g, '\\$&')}"`));
});
