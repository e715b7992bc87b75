// The dashboard in a real terminal: tmux (own socket) runs `node dist/tui/main.js` against a live registry with
// real example agents plus one agent registered over HTTP with PM2 metadata; we read the screen with capture-pane.
import test from 'ava';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { connectClient, startAgent, type AgentProc } from './support/agents.js';
import { callInLoop } from './support/mesh.js';
import { stopAll } from './support/processes.js';
import { spawnRegistry, waitHealthy, type RegistryProc } from './support/registry.js';

const run = promisify(execFile);
const TUI_MAIN = fileURLToPath(new URL('../tui/main.js', import.meta.url));
const WIDTH = 100;
const HEIGHT = 30;

/** One tmux server of our own (its own socket, no user config); never the user's server. */
class Tmux {
  constructor(private readonly socket: string) {}

  async cmd(...args: string[]): Promise<string> {
    return (await run('tmux', ['-S', this.socket, '-f', '/dev/null', ...args])).stdout;
  }

  /** The visible text of a window's pane; with escapes, its colours too. */
  capture(target: string, escapes = false): Promise<string> {
    return this.cmd('capture-pane', '-p', ...(escapes ? ['-e'] : []), '-t', target);
  }

  keys(target: string, ...keys: string[]): Promise<string> {
    return this.cmd('send-keys', '-t', target, ...keys);
  }

  /** Polls the screen until `check` holds (bounded), and says when it first did. */
  async waitForScreen(
    target: string,
    what: string,
    check: (screen: string) => boolean,
    withinMs = 15_000,
    everyMs = 20,
  ): Promise<{ screen: string; at: number }> {
    const deadline = Date.now() + withinMs;
    let screen = '';
    for (;;) {
      screen = await this.capture(target);
      const at = Date.now();
      if (check(screen)) return { screen, at };
      if (at > deadline) throw new Error(`screen never showed ${what} within ${withinMs} ms; last screen:\n${screen}`);
      await new Promise((r) => setTimeout(r, everyMs));
    }
  }

  async kill(): Promise<void> {
    await this.cmd('kill-server').catch(() => undefined);
  }
}

/** The agents-table row of an agent (the first screen line starting with its name inside the border). */
const rowOf = (screen: string, name: string) => screen.split('\n').find((l) => new RegExp(`^\\S\\s${name}\\s`).test(l)) ?? '';
/** SGR parameters that set a colour (not the defaults 39/49, not bold/inverse). */
const colourCodes = (text: string) =>
  [...text.matchAll(/\x1b\[([0-9;]*)m/g)]
    .flatMap((m) => m[1]!.split(';').map(Number))
    .filter((n) => (n >= 30 && n <= 38) || (n >= 40 && n <= 48) || (n >= 90 && n <= 107));

let dir: string;
let tmux: Tmux;
let registry: RegistryProc;
let time: AgentProc;
let greeter: AgentProc;
let dataFile: string;
let keeper: NodeJS.Timeout | undefined;
const billing = 'billing-0a0b0c0d';
const delays: string[] = [];

/** The shell command of a tmux window: the dashboard, then its exit code and the terminal modes it left behind. */
function dashboardCommand(name: string, env: Record<string, string>): string {
  const vars = Object.entries({ LANG: 'C.UTF-8', NCURSES_NO_UTF8_ACS: '1', ...env })
    .map(([k, v]) => `${k}='${v}'`)
    .join(' ');
  return `env ${vars} '${process.execPath}' '${TUI_MAIN}' --registry '${registry.url}'; echo $? > '${dir}/${name}.exit'; stty -a > '${dir}/${name}.stty'; echo 'dashboard exited'; sleep 600`;
}

function billingPayload() {
  return {
    agent_id: billing,
    name: 'billing',
    version: '2.0.0',
    agent_type: 'mcp_agent',
    http_host: '127.0.0.1',
    http_port: 9555,
    tools: [
      {
        function_name: 'invoice',
        capability: 'invoicing',
        version: '2.0.0',
        tags: ['eu'],
        dependencies: [{ capability: 'time_service' }, { capability: 'ledger' }],
      },
    ],
    metadata: { pm_id: 7, pm2_name: 'billing-app', pid: process.pid },
  };
}

async function registerBilling(): Promise<void> {
  const res = await fetch(`${registry.url}/heartbeat`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(billingPayload()),
  });
  if (res.status !== 200) throw new Error(`POST /heartbeat answered ${res.status}: ${await res.text()}`);
}

/** Heartbeats for the HTTP-registered agent, as its runtime would send them (HEAD; POST again on 410/202). */
function keepBillingAlive(): void {
  keeper = setInterval(() => {
    void fetch(`${registry.url}/heartbeat/${billing}`, { method: 'HEAD' })
      .then((res) => (res.status === 410 || res.status === 202 ? registerBilling() : undefined))
      .catch(() => undefined); // registry down: try again next time
  }, 1000);
}

test.before(async () => {
  try {
    await run('tmux', ['-V']);
  } catch {
    throw new Error('tmux is needed for the dashboard tests (apt-get install -y tmux; .ci/run does it)');
  }
  dir = mkdtempSync(join(tmpdir(), 'mesh-dash-'));
  dataFile = join(dir, 'registry.db');
  tmux = new Tmux(join(dir, 'tmux.sock'));
  registry = await spawnRegistry({ args: ['--data-file', dataFile] });
  const env = { MCP_MESH_REGISTRY_URL: registry.url, MCP_MESH_HEALTH_INTERVAL: '1' };
  [time, greeter] = await Promise.all([startAgent('time-service', env), startAgent('greeter', env)]);
  await registerBilling();
  keepBillingAlive();
  await waitHealthy(registry.url, [time.agentId, greeter.agentId, billing]);
  await tmux.cmd('new-session', '-d', '-s', 'dash', '-x', String(WIDTH), '-y', String(HEIGHT), '-n', 'color', dashboardCommand('color', {}));
});

test.after.always(async () => {
  if (keeper) clearInterval(keeper);
  await tmux?.kill();
  await stopAll();
  if (delays.length) console.log(`  dashboard delays (registry change → on screen): ${delays.join('; ')}`);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test.serial('the fleet appears: agents with status, endpoint, PM2 app and pid, capabilities, deps, wiring', async (t) => {
  const { screen } = await tmux.waitForScreen(
    'dash:color',
    'three healthy agents and their wiring',
    (s) =>
      ['time-service', 'greeter', 'billing'].every((n) => /\shealthy\s/.test(rowOf(s, n))) &&
      s.includes('→ time-service.now') &&
      /register +billing/.test(s),
  );
  t.regex(
    rowOf(screen, 'billing'),
    new RegExp(`billing\\s+healthy\\s+127\\.0\\.0\\.1:9555\\s+billing-app#7 ${process.pid}\\s+invoicing\\s+1/2\\s+\\d+s`),
  );
  // Real agent processes outside PM2 report their pid only.
  t.regex(rowOf(screen, 'greeter'), new RegExp(`greeter\\s+healthy\\s+127\\.0\\.0\\.1:\\d+\\s+pid ${greeter.pid}\\s+greeting\\s+1/2`));
  t.regex(rowOf(screen, 'time-service'), new RegExp(`time-service\\s+healthy\\s+127\\.0\\.0\\.1:\\d+\\s+pid ${time.pid}\\s+time_service\\s+0/0`));
  t.regex(screen, new RegExp(`pm2-mesh dash · ${registry.url.replace(/\./g, '\\.')} · 3 agents: 3 healthy, 0 unhealthy`));
  // Wiring of the selected (first) agent, billing: each dependency → who serves it now, or unresolved.
  t.regex(screen, /time_service → time-service\.now/);
  t.regex(screen, /ledger → unresolved/);
  // Capabilities: time-service's `now` is given to consumers, billing is selected so it is marked ">".
  t.regex(screen, /time_service\s.*>time-service\s+billing,greeter/);
  t.regex(screen, /register +greeter/);
  t.regex(screen, /Events \(live\)/);
  t.regex(screen, /3 healthy 0 unhealthy 0 unknown/);
  if (process.env.MESH_DASHBOARD_CAPTURE) writeFileSync(process.env.MESH_DASHBOARD_CAPTURE, screen);
});

test.serial('keys: j/k select, enter shows details, ? shows help, / filters, tab moves the focus', async (t) => {
  await tmux.keys('dash:color', 'j');
  await tmux.waitForScreen('dash:color', 'the wiring of greeter', (s) => s.includes('Wiring of greeter'));
  await tmux.keys('dash:color', 'Enter');
  const details = await tmux.waitForScreen('dash:color', 'greeter details', (s) => s.includes('Agent greeter') && /id\s+greeter-[0-9a-f]{8}/.test(s));
  t.regex(details.screen, /storage \+fast → unresolved/);
  await tmux.keys('dash:color', 'Escape');
  await tmux.waitForScreen('dash:color', 'details closed', (s) => !s.includes('Agent greeter'));
  await tmux.keys('dash:color', '?');
  await tmux.waitForScreen('dash:color', 'help', (s) => s.includes('q  C-c       quit'));
  await tmux.keys('dash:color', 'Escape');
  await tmux.waitForScreen('dash:color', 'help closed', (s) => !s.includes('C-c       quit'));
  await tmux.keys('dash:color', '/', 't', 'i', 'm', 'e');
  const filtered = await tmux.waitForScreen('dash:color', 'filtered agents', (s) => s.includes('1/3 match "time"'));
  t.is(rowOf(filtered.screen, 'greeter'), '');
  t.regex(filtered.screen, /filter: time█/);
  await tmux.keys('dash:color', 'Escape');
  await tmux.waitForScreen('dash:color', 'filter cleared', (s) => /Agents 3/.test(s) && rowOf(s, 'greeter') !== '');
  await tmux.keys('dash:color', 'Tab');
  await tmux.waitForScreen('dash:color', 'focus on capabilities', (s) => s.includes('▸ Capabilities'));
  await tmux.keys('dash:color', 'BTab');
  await tmux.waitForScreen('dash:color', 'focus back on agents', (s) => s.includes('▸ Agents'));
  t.pass();
});

test.serial('c: the calls view shows the greeter → time_service edge and its rate while calls flow; enter drills into a trace', async (t) => {
  const client = await connectClient(greeter.mcpUrl);
  const calls = callInLoop(client, 'hello', { name: 'Ann' }, (r) => r, 20);
  try {
    await tmux.keys('dash:color', 'c');
    const shown = await tmux.waitForScreen(
      'dash:color',
      'the edge with a call rate above zero',
      // The rate is the counter's growth between two polls: 0.0 until spans of the running loop arrive between them.
      (s) => /greeter → time_service @time-service\s+(?!0\.0\s)\d+(\.\d)?\s+0\s+[\d.]+ m?s\s+[\d.]+ m?s\s+\d+/.test(s),
      30_000,
    );
    const rate = Number(/@time-service\s+(\d+(?:\.\d)?)/.exec(shown.screen)![1]);
    t.true(rate > 0, shown.screen);
    await tmux.keys('dash:color', 'Enter');
    const trace = await tmux.waitForScreen(
      'dash:color',
      'the drill-down',
      (s) => /Trace [0-9a-f]{8}/.test(s) && s.includes('└─ now @time-service'),
      30_000,
    );
    t.regex(trace.screen, /hello @greeter/);
    t.regex(trace.screen, /→ time_service \(time-service\)/);
    await tmux.keys('dash:color', 'Escape');
    await tmux.waitForScreen('dash:color', 'back to the calls view', (s) => s.includes('Calls per dependency edge'));
  } finally {
    await calls.stop();
    await client.close();
    // Closed whatever happened: the next tests need the panes.
    for (let i = 0; i < 2; i++) await tmux.keys('dash:color', 'Escape');
    await tmux.waitForScreen('dash:color', 'calls view closed', (s) => !s.includes('Calls per dependency edge') && !/Trace [0-9a-f]{8}/.test(s));
  }
  t.true(calls.outcomes.filter((o) => o.error).length === 0);
});

test.serial('NO_COLOR renders without colour; by default statuses are coloured', async (t) => {
  await tmux.cmd('new-window', '-d', '-t', 'dash', '-n', 'mono', dashboardCommand('mono', { NO_COLOR: '1' }));
  await tmux.waitForScreen('dash:mono', 'agents without colour', (s) => /\shealthy\s/.test(rowOf(s, 'billing')));
  const mono = await tmux.capture('dash:mono', true);
  t.deepEqual(colourCodes(mono), [], 'no colour escape in the NO_COLOR window');
  const color = await tmux.capture('dash:color', true);
  t.true(colourCodes(color).includes(32), 'healthy is green');
  await tmux.keys('dash:mono', 'q');
  await tmux.waitForScreen('dash:mono', 'the mono dashboard to exit', (s) => s.includes('dashboard exited'));
  t.is(readFileSync(join(dir, 'mono.exit'), 'utf8').trim(), '0');
});

test.serial('an agent stops: the screen shows it unhealthy and the event within a second', async (t) => {
  // Over HTTP: DELETE /agents/:id, timed from the request.
  clearInterval(keeper);
  keeper = undefined;
  const sent = Date.now();
  const res = await fetch(`${registry.url}/agents/${billing}`, { method: 'DELETE' });
  t.is(res.status, 204);
  const { at, screen } = await tmux.waitForScreen(
    'dash:color',
    'billing unhealthy + its unregister event',
    (s) => /\sunhealthy\s/.test(rowOf(s, 'billing')) && /unregister billing/.test(s),
    15_000,
    5,
  );
  delays.push(`DELETE → screen ${at - sent} ms`);
  t.log(`DELETE /agents/${billing} → on screen: ${at - sent} ms`);
  t.regex(screen, /2 healthy, 1 unhealthy/);

  // A real agent process: SIGTERM → it unregisters itself; timed from the registry's event timestamp.
  time.signal('SIGTERM');
  const shown = await tmux.waitForScreen(
    'dash:color',
    'time-service unhealthy + its event',
    (s) => /\sunhealthy\s/.test(rowOf(s, 'time-service')) && /unregister time-service/.test(s),
    15_000,
    5,
  );
  const events = (await (await fetch(`${registry.url}/events?agent_id=${time.agentId}&type=unregister`)).json()) as {
    events: { timestamp: string }[];
  };
  const eventAt = Date.parse(events.events[0]!.timestamp);
  delays.push(`event → screen ${shown.at - eventAt} ms`);
  t.log(`time-service unregister event → on screen: ${shown.at - eventAt} ms`);
  // greeter and billing lost their provider: the wiring says so.
  await tmux.waitForScreen('dash:color', 'greeter rewired to nothing', (s) => /greeter\s+healthy.*0\/2/.test(rowOf(s, 'greeter')));
  t.pass();
});

test.serial('registry stopped: banner, stale state kept; registry back: reconnects by itself', async (t) => {
  registry.signal('SIGTERM');
  await registry.exited;
  const down = await tmux.waitForScreen('dash:color', 'the unreachable banner', (s) =>
    s.includes(`registry unreachable at ${registry.url}, retrying`),
  );
  t.regex(down.screen, /Agents 3 \(stale\)/);
  t.not(rowOf(down.screen, 'greeter'), '', 'the last known agents stay on screen');

  registry = await spawnRegistry({ port: registry.port, args: ['--data-file', dataFile] });
  const listening = Date.now();
  const back = await tmux.waitForScreen(
    'dash:color',
    'the dashboard back online',
    (s) => !s.includes('unreachable') && /pm2-mesh dash · .* agents/.test(s),
  );
  delays.push(`registry back → online ${back.at - listening} ms`);
  t.log(`registry listening again → dashboard online: ${back.at - listening} ms`);
  t.notRegex(back.screen, /\(stale\)/);
  // The agents come back by themselves (their heartbeat backoff decides when).
  await tmux.waitForScreen('dash:color', 'greeter healthy again', (s) => /\shealthy\s/.test(rowOf(s, 'greeter')), 40_000);
  // The event stream resumed too: a new registration shows up in the log.
  await registerBilling();
  await tmux.waitForScreen(
    'dash:color',
    'billing registered again',
    (s) => /\shealthy\s/.test(rowOf(s, 'billing')) && /(register|healthy|update) +billing/.test(s.split('Events')[1] ?? ''),
  );
});

test.serial('80×24: every pane still fits; resizing re-lays it out', async (t) => {
  await tmux.cmd('resize-window', '-t', 'dash:color', '-x', '80', '-y', '24');
  const small = await tmux.waitForScreen(
    'dash:color',
    'the 80×24 layout',
    (s) => s.split('\n')[0]!.length <= 80 && s.includes('Heartbeats/s') && s.includes('↑↓/jk select'),
  );
  for (const pane of ['Agents', 'Capabilities', 'Wiring', 'Events', 'Heartbeats/s']) t.true(small.screen.includes(pane), pane);
  t.regex(rowOf(small.screen, 'greeter'), /greeter\s+healthy/);
  t.true(small.screen.split('\n').every((l) => [...l].length <= 80));
  await tmux.cmd('resize-window', '-t', 'dash:color', '-x', String(WIDTH), '-y', String(HEIGHT));
  await tmux.waitForScreen('dash:color', 'the full-size layout again', (s) => s.split('\n').some((l) => [...l].length > 80));
});

test.serial('q quits with exit code 0 and gives the terminal back', async (t) => {
  await tmux.keys('dash:color', 'q');
  const after = await tmux.waitForScreen('dash:color', 'the dashboard to exit', (s) => s.includes('dashboard exited'));
  t.is(readFileSync(join(dir, 'color.exit'), 'utf8').trim(), '0');
  // Left the alternate screen, cursor visible, and the tty back in cooked mode with echo.
  t.is((await tmux.cmd('display-message', '-p', '-t', 'dash:color', '#{alternate_on} #{cursor_flag}')).trim(), '0 1');
  const stty = readFileSync(join(dir, 'color.stty'), 'utf8');
  t.regex(stty, /(^|\s)icanon(\s|$)/);
  t.regex(stty, /(^|\s)echo(\s|$)/);
  t.notRegex(after.screen, /Agents/);
  t.true(existsSync(join(dir, 'color.exit')));
});
