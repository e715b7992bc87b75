// Agent credentials under a real PM2 daemon (isolated PM2_HOME): `pm2-mesh up` starts the example fleet and every
// app registers with a credential of its own, with no step by the user; an app started by hand without one is
// refused with the command that gets it one, and registers once started with that command's token.
import test from 'ava';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { cli, EXAMPLE_APPS, pm2, pm2Home } from './support/pm2.js';
import { freePort, ROOT } from './support/processes.js';
import { waitFor } from './support/wait.js';

const { home, kill } = pm2Home('mesh-sec-');
test.after.always(kill);

interface Agent {
  id: string;
  name: string;
  status: string;
  metadata?: { pm2_name?: string };
}

test.serial('the example fleet starts with per-app credentials; a hand-started app is refused with how to get one', async (t) => {
  t.timeout(300_000);
  const port = await freePort();
  const registry = `http://127.0.0.1:${port}`;
  const up = await cli(home, ['up', '--port', String(port)], { timeoutMs: 240_000 });
  t.is(up.code, 0, up.stderr);

  // One secret, private to the user; each app its own token, bound to its name.
  const secret = join(home, 'mesh', 'secret');
  t.is(statSync(secret).mode & 0o777, 0o600);
  const listed = await pm2(home, ['jlist']);
  const processes = JSON.parse(
    listed.stdout
      .split('\n')
      .reverse()
      .find((l) => l.startsWith('[{'))!,
  ) as { name: string; pm2_env: Record<string, unknown> }[];
  const tokens = processes.filter((p) => EXAMPLE_APPS.includes(p.name)).map((p) => p.pm2_env.MCP_MESH_REGISTRY_TOKEN as string);
  t.is(tokens.length, EXAMPLE_APPS.length);
  t.true(
    tokens.every((token) => typeof token === 'string' && token.startsWith('mesh1.')),
    'each app has a credential',
  );
  t.is(new Set(tokens).size, tokens.length, 'and no two apps share one');

  const agents = async () => ((await (await fetch(`${registry}/agents`)).json()) as { agents: Agent[] }).agents;
  const healthy = (await agents())
    .filter((a) => a.status === 'healthy')
    .map((a) => a.name)
    .sort();
  t.deepEqual(healthy, [...EXAMPLE_APPS].sort());

  // By hand, as a user would add an agent of their own: refused, and the app's log says how to get a credential.
  const script = join(ROOT, 'dist', 'examples', 'time-service.js');
  const started = await pm2(home, ['start', script, '--name', 'clock'], { env: { MCP_MESH_REGISTRY_URL: registry, MCP_MESH_AGENT_NAME: 'clock' } });
  t.is(started.code, 0, started.stderr);
  const outLog = join(home, 'logs', 'clock-out.log');
  const errLog = join(home, 'logs', 'clock-error.log');
  const read = (file: string) => {
    try {
      return readFileSync(file, 'utf8');
    } catch {
      return '';
    }
  };
  const refusal = await waitFor('the app to log the refusal', () => /POST answered 401: .*/.exec(read(outLog) + read(errLog))?.[0], 30_000, 200);
  t.log(refusal);
  t.regex(refusal, /agent "clock" has no credential: apps started from ecosystem\.config\.js .* get their own from the mesh module/);
  t.regex(refusal, /MCP_MESH_REGISTRY_TOKEN=\$\(pm2-mesh token create --agent clock --capability …\) pm2 start <script> --name clock --update-env/);
  t.false(
    (await agents()).some((a) => a.name === 'clock'),
    'nothing registered',
  );
  const events = (await (await fetch(`${registry}/events?type=refused`)).json()) as { events: { agent_name: string }[] };
  t.true(
    events.events.some((e) => e.agent_name === 'clock'),
    'a refused event names the app',
  );

  // Doing what the message says registers it.
  const token = await cli(home, ['token', 'create', '--agent', 'clock', '--capability', 'time_service']);
  t.is(token.code, 0, token.stderr);
  const restarted = await pm2(home, ['restart', 'clock', '--update-env'], {
    env: { MCP_MESH_REGISTRY_URL: registry, MCP_MESH_AGENT_NAME: 'clock', MCP_MESH_REGISTRY_TOKEN: token.stdout.trim() },
  });
  t.is(restarted.code, 0, restarted.stderr);
  await waitFor('clock healthy', async () => (await agents()).find((a) => a.name === 'clock' && a.status === 'healthy'), 30_000, 200);

  // The credential is in no log the module or the apps wrote.
  const logs = ['mesh-out.log', 'mesh-error.log', 'clock-out.log', 'clock-error.log', 'planner-out.log']
    .map((f) => read(join(home, 'logs', f)))
    .join('\n');
  for (const credential of [...tokens, token.stdout.trim()]) t.false(logs.includes(credential.split('.')[2]!), 'no token in the logs');
  t.false(logs.includes(readFileSync(secret, 'utf8').trim()), 'nor the secret');
});

test.serial('a TLS fleet under PM2: pm2-mesh certs, pm2 set mesh:tls_*, pm2-mesh up; every agent on https with its own credential', async (t) => {
  t.timeout(300_000);
  const tls = pm2Home('mesh-sec-tls-');
  t.teardown(tls.kill);
  const made = await cli(tls.home, ['certs', 'registry']);
  t.is(made.code, 0, made.stderr);
  const dir = join(tls.home, 'mesh', 'tls');
  for (const [key, value] of [
    ['mode', 'strict'],
    ['ca', 'ca.pem'],
    ['cert', 'registry.pem'],
    ['key', 'registry-key.pem'],
  ]) {
    const set = await pm2(tls.home, ['set', `mesh:tls_${key}`, key === 'mode' ? value! : join(dir, value!)]);
    t.is(set.code, 0, set.stderr);
  }
  const port = await freePort();
  const up = await cli(tls.home, ['up', '--port', String(port)], { timeoutMs: 240_000 });
  t.is(up.code, 0, up.stderr);
  t.regex(up.stdout, new RegExp(`^registry\\s+https://127\\.0\\.0\\.1:${port}\\s+healthy`, 'm'));
  const listed = await cli(tls.home, ['list', '--json']);
  t.is(listed.code, 0, listed.stderr);
  const { agents } = JSON.parse(listed.stdout) as { agents: { name: string; status: string; endpoint: string }[] };
  t.deepEqual(
    agents
      .filter((a) => a.status === 'healthy' && a.endpoint.startsWith('https://'))
      .map((a) => a.name)
      .sort(),
    [...EXAMPLE_APPS].sort(),
  );
  const call = await cli(tls.home, ['call', 'trip_planning', '{"city":"Oslo"}']);
  t.is(call.code, 0, call.stderr);
  t.regex(call.stdout, /"source":"weather-fast"/, 'planner → weather-fast → time-service over mutual TLS');
  // Without the mesh's certificate nothing gets an answer, not even a read.
  t.not(
    await fetch(`https://127.0.0.1:${port}/health`).then(
      (r) => r.status,
      () => 0,
    ),
    200,
  );
});
