// The module's PM2 bus watcher (plugin/bus-watcher.ts) against a real PM2 daemon in its own home: it reports an app's
// stop and its kill -9 with the app's pm_id and name, leaves out the pm_id it is told to ignore, and gives up with a
// message when no daemon answers.
import test from 'ava';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { watchProcessExits, type ProcessExit } from '../plugin/bus-watcher.js';
import { jlist, pm2, pm2Home } from './support/pm2.js';
import { waitFor } from './support/wait.js';

const { home, kill } = pm2Home('mesh-bus-');
test.after.always(kill);

test.serial('exits of PM2 apps arrive through the bus; the ignored pm_id does not', async (t) => {
  t.timeout(90_000);
  const script = join(home, 'idle.cjs');
  writeFileSync(script, 'setInterval(() => {}, 1000);\n');
  for (const name of ['idle-a', 'idle-b']) {
    const started = await pm2(home, ['start', script, '--name', name]);
    t.is(started.code, 0, started.stderr);
  }
  const apps = await jlist(home);
  const a = apps.find((app) => app.name === 'idle-a')!;
  const b = apps.find((app) => app.name === 'idle-b')!;
  const exits: ProcessExit[] = [];
  const watcher = await watchProcessExits((exit) => exits.push(exit), { pm2Home: home, ignorePmId: b.pm_id });
  try {
    process.kill(a.pid, 'SIGKILL');
    const crashed = await waitFor('the kill -9 on the bus', () => exits.find((e) => e.pmId === a.pm_id && e.event === 'exit'));
    t.is(crashed.name, 'idle-a');
    const stopped = await pm2(home, ['stop', 'idle-b', 'idle-a']);
    t.is(stopped.code, 0, stopped.stderr);
    await waitFor('the stop on the bus', () => exits.find((e) => e.pmId === a.pm_id && e.event === 'stop'));
    t.false(
      exits.some((e) => e.pmId === b.pm_id),
      'the ignored app is not reported',
    );
  } finally {
    watcher.close();
  }
});

test('no daemon: the watcher gives up, naming the socket', async (t) => {
  const empty = mkdtempSync(join(tmpdir(), 'mesh-nobus-'));
  try {
    const error = await t.throwsAsync(watchProcessExits(() => undefined, { pm2Home: empty, connectTimeoutMs: 500 }));
    t.regex(error!.message, /no PM2 daemon answered on .*pub\.sock within 0\.5 s/);
  } finally {
    rmSync(empty, { recursive: true, force: true });
  }
});
