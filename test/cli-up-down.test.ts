// What `npm start` / `npm stop` run, against an isolated PM2 home: `pm2-mesh up` installs the module (a link
// to this checkout), starts the fleet and waits for it; `status` shows the PM2 side; `down` undoes it all and
// kills the isolated daemon. Then `install --pack` / `uninstall`, the tarball form, in a second home.
import test from 'ava';
import { existsSync, lstatSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli, EXAMPLE_APPS, jlist, pm2Home } from './support/pm2.js';
import { freePort } from './support/processes.js';
import { waitFor } from './support/wait.js';

const first = pm2Home();
const second = pm2Home();
const decoy = mkdtempSync(join(tmpdir(), 'mesh-decoy-'));

test.after.always(async () => {
  await Promise.all([first.kill(), second.kill()]);
  rmSync(decoy, { recursive: true, force: true });
});

interface Status {
  registry: { url: string; reachable: boolean; health: { agents: { healthy: number } } };
  pm2: { home: string; daemon: boolean; module: { name: string; status: string } | null };
  agents: { name: string; status: string; pm2: { name: string; status: string } | null }[];
}

test.serial('up: module installed, fleet started and healthy, status printed; --pm2-home wins over PM2_HOME', async (t) => {
  t.timeout(180_000);
  const port = await freePort();
  const up = await cli(decoy, ['up', '--pm2-home', first.home, '--port', String(port)], { timeoutMs: 170_000 });
  t.is(up.code, 0, up.stderr);
  t.log(`pm2-mesh up (link install, 5 agents healthy): ${up.ms} ms`);
  t.regex(up.stderr, /installing the PM2 module mesh \(link to /);
  t.regex(up.stderr, new RegExp(`registry listening at http://127\\.0\\.0\\.1:${port}`));
  t.regex(up.stdout, /^registry\s+http:\/\/127\.0\.0\.1:\d+\s+healthy/m);
  for (const name of EXAMPLE_APPS) t.regex(up.stdout, new RegExp(`^${name}\\s+${name}-[0-9a-f]{8}\\s+healthy\\s.*${name}#\\d+\\s+online`, 'm'));
  t.false(existsSync(join(decoy, 'module_conf.json')), 'the PM2_HOME of the environment was not touched');

  const status = await cli(first.home, ['status', '--json']);
  t.is(status.code, 0, status.stderr);
  const parsed = JSON.parse(status.stdout) as Status;
  t.is(parsed.registry.url, `http://127.0.0.1:${port}`);
  t.is(parsed.pm2.module?.status, 'online');
  t.is(parsed.registry.health.agents.healthy, EXAMPLE_APPS.length);
  for (const agent of parsed.agents) t.is(agent.pm2?.status, 'online', agent.name);
});

test.serial('up again: the module restarts with the fresh build, the fleet is restarted and healthy', async (t) => {
  t.timeout(180_000);
  const up = await cli(first.home, ['up', '--json'], { timeoutMs: 170_000 });
  t.is(up.code, 0, up.stderr);
  t.regex(up.stderr, /restarting the PM2 module mesh/);
  const status = JSON.parse(up.stdout) as Status;
  const healthy = status.agents
    .filter((a) => a.status === 'healthy')
    .map((a) => a.name)
    .sort();
  t.deepEqual(healthy, [...EXAMPLE_APPS].sort(), 'one healthy agent per app (the old ones are unhealthy)');
});

test.serial('down: apps deleted, module uninstalled, the isolated daemon killed; the data file stays', async (t) => {
  t.timeout(120_000);
  const daemonPid = Number(readFileSync(join(first.home, 'pm2.pid'), 'utf8'));
  const down = await cli(first.home, ['down']); // PM2_HOME from the environment
  t.is(down.code, 0, down.stderr);
  t.regex(down.stderr, /deleted the ecosystem\.config\.js apps/);
  t.regex(down.stderr, /uninstalled the PM2 module mesh/);
  t.regex(down.stderr, /killed the PM2 daemon/);
  const alive = () => {
    try {
      process.kill(daemonPid, 0);
      return true;
    } catch {
      return false;
    }
  };
  t.truthy(await waitFor('the daemon gone', async () => !alive(), 10_000));
  t.true(existsSync(join(first.home, 'mesh', 'registry.db')));
  const again = await cli(first.home, ['down']);
  t.is(again.code, 0);
  t.regex(again.stdout, /^nothing runs in /);
});

test.serial('install --pack / uninstall: the npm pack tarball as the module, then removed cleanly', async (t) => {
  t.timeout(600_000);
  const port = await freePort();
  const install = await cli(second.home, ['install', '--pack', '--port', String(port)], { timeoutMs: 590_000 });
  t.is(install.code, 0, install.stderr);
  t.log(`pm2-mesh install --pack: ${install.ms} ms`);
  t.regex(install.stdout, new RegExp(`module mesh installed; registry at http://127\\.0\\.0\\.1:${port}`));
  const module = (await jlist(second.home)).find((p) => p.name === 'mesh');
  t.is(module?.status, 'online');
  t.false(lstatSync(join(second.home, 'modules', 'mesh', 'node_modules', 'mesh')).isSymbolicLink(), 'a copy, not a link');
  const uninstall = await cli(second.home, ['uninstall']);
  t.is(uninstall.code, 0, uninstall.stderr);
  t.regex(uninstall.stdout, /module mesh uninstalled/);
  t.is((await jlist(second.home)).filter((p) => p.name === 'mesh').length, 0);
});
