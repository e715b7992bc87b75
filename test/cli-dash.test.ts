// `pm2 mesh:dash` in a real terminal: tmux (its own socket, never the user's server) runs bash with the
// function from `pm2-mesh shell-init`, which hands `mesh:dash` to the CLI, which opens the dashboard.
import test from 'ava';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { agentPayload, postHeartbeat, startRegistry } from './support/registry.js';
import { pm2 } from './support/pm2.js';
import { CLI } from './support/processes.js';
import { waitFor } from './support/wait.js';

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'mesh-dash-'));
const socket = join(dir, 'tmux.sock');
const tmux = (...args: string[]) => run('tmux', ['-S', socket, '-f', '/dev/null', ...args]);

test.after.always(async () => {
  await tmux('kill-server').catch(() => undefined);
  if (existsSync(join(dir, 'pm2.pid'))) await pm2(dir, ['kill']);
  rmSync(dir, { recursive: true, force: true });
});

test('pm2 mesh:dash opens the dashboard on the registry; q quits with exit code 0', async (t) => {
  t.timeout(60_000);
  try {
    await run('tmux', ['-V']);
  } catch {
    t.fail('tmux is needed (apt-get install -y tmux; .ci/run does it)');
    return;
  }
  const registry = await startRegistry();
  t.teardown(() => registry.close());
  await postHeartbeat(registry.url, agentPayload('dashcheck-1a2b3c4d', { name: 'dashcheck' }));

  const rcFile = join(dir, 'rc');
  const script = join(dir, 'session.sh');
  writeFileSync(
    script,
    [
      `export PM2_HOME=${JSON.stringify(dir)} NO_COLOR=1`,
      `eval "$(${JSON.stringify(process.execPath)} ${JSON.stringify(CLI)} shell-init)"`,
      `pm2 mesh:dash --registry ${registry.url}`,
      `echo "rc=$?" > ${JSON.stringify(rcFile)}`,
      'sleep 30',
    ].join('\n'),
  );
  await tmux('new-session', '-d', '-s', 'dash', '-x', '160', '-y', '40', `bash --norc --noprofile ${script}`);
  const screen = await waitFor(
    'the agent on the dashboard',
    async () => {
      const { stdout } = await tmux('capture-pane', '-p', '-t', 'dash');
      return stdout.includes('dashcheck') ? stdout : undefined;
    },
    20_000,
    100,
  );
  t.truthy(screen, 'the agent shows on the dashboard');
  await tmux('send-keys', '-t', 'dash', 'q');
  const rc = await waitFor(
    'the exit code of pm2 mesh:dash',
    async () => (existsSync(rcFile) ? readFileSync(rcFile, 'utf8').trim() : undefined),
    15_000,
    100,
  );
  t.is(rc, 'rc=0');
});
