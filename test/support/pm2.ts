// A PM2 daemon for the tests and the pm2-mesh CLI: an isolated PM2 home per test file (its daemon is killed by that
// home, never by name), pm2 and the CLI as real processes, the packed tarball, what `pm2 jlist` and `list --json` say.
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EXAMPLE_AGENTS } from './mesh.js';
import { childEnv, CLI, launchNode, ROOT, type Proc } from './processes.js';

export const PM2_BIN = join(ROOT, 'node_modules', '.bin', 'pm2');
export const ECOSYSTEM = join(ROOT, 'ecosystem.config.js');
/** The apps of ecosystem.config.js: the example agents. */
export const EXAMPLE_APPS: readonly string[] = EXAMPLE_AGENTS;

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
}

/** The environment of a child in one PM2 home: `childEnv` plus PM2_HOME, PM2's temp files kept in the home. */
export function pm2Env(home: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  // PM2 backs a module up under os.tmpdir()/<name> when reinstalling: keep that out of the shared /tmp.
  const tmp = join(home, 'tmp');
  mkdirSync(tmp, { recursive: true });
  return childEnv({ PM2_HOME: home, TMPDIR: tmp, NO_COLOR: '1', ...extra });
}

function run(file: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<Run> {
  const started = Date.now();
  return new Promise((resolve) => {
    execFile(file, args, { env, cwd: ROOT, timeout: timeoutMs, maxBuffer: 32 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr), ms: Date.now() - started });
    });
  });
}

/** `pm2 <args>` against one home (node_modules/.bin/pm2, i.e. the pm2 7 of our dependencies). */
export function pm2(home: string, args: string[], { env = {} as NodeJS.ProcessEnv, timeoutMs = 120_000 } = {}): Promise<Run> {
  return run(PM2_BIN, args, pm2Env(home, env), timeoutMs);
}

/** `pm2-mesh <args>` (dist/plugin/cli.js) with PM2_HOME = home. */
export function cli(home: string, args: string[], { env = {} as NodeJS.ProcessEnv, timeoutMs = 120_000 } = {}): Promise<Run> {
  return run(process.execPath, [CLI, ...args], pm2Env(home, env), timeoutMs);
}

/** A long-running `pm2-mesh <args>` (events -f, registry) whose output lines are kept. */
export function spawnCli(home: string, args: string[], env: NodeJS.ProcessEnv = {}): Proc {
  return launchNode('pm2-mesh', CLI, args, { env: pm2Env(home, env) });
}

/** A fresh PM2 home under the temp dir; `kill` stops its daemon (by that home) and removes it. */
export function pm2Home(prefix = 'mesh-pm2-'): { home: string; kill: () => Promise<void> } {
  // Short path: PM2's unix sockets live in the home and socket paths are limited to ~100 bytes.
  const home = mkdtempSync(join(tmpdir(), prefix));
  return {
    home,
    async kill() {
      await pm2(home, ['kill'], { timeoutMs: 30_000 });
      rmSync(home, { recursive: true, force: true });
    },
  };
}

/** `npm pack` of the built repository into dir; the tarball's absolute path (PM2 needs it absolute). */
export async function packTarball(dir: string): Promise<string> {
  const result = await run('npm', ['pack', '--pack-destination', dir, '--loglevel=error'], { ...process.env }, 120_000);
  if (result.code !== 0) throw new Error(`npm pack failed: ${result.stderr}`);
  return join(dir, result.stdout.trim().split('\n').at(-1)!.trim());
}

export interface Pm2App {
  name: string;
  pm_id: number;
  pid: number;
  status: string;
  module: boolean;
}

/** `pm2 jlist`, reduced to what the tests look at. */
export async function jlist(home: string): Promise<Pm2App[]> {
  const result = await pm2(home, ['jlist']);
  const line = result.stdout
    .split('\n')
    .reverse()
    .find((l) => l.startsWith('[{') || l.trim() === '[]');
  if (!line) throw new Error(`pm2 jlist printed no list: ${result.stdout}${result.stderr}`);
  const processes = JSON.parse(line) as {
    name: string;
    pm_id: number;
    pid: number;
    pm2_env: { status: string; pmx_module?: boolean };
  }[];
  return processes.map((p) => ({ name: p.name, pm_id: p.pm_id, pid: p.pid, status: p.pm2_env.status, module: !!p.pm2_env.pmx_module }));
}

export interface ListedAgent {
  id: string;
  name: string;
  status: string;
  status_reason: string | null;
  endpoint: string;
  metadata: { pm_id?: number; pm2_name?: string; pid?: number };
}

/** `pm2-mesh list --json` → its agents (throws with the CLI's message when it fails). */
export async function listAgents(home: string, args: string[] = []): Promise<ListedAgent[]> {
  const result = await cli(home, ['list', '--json', ...args], { timeoutMs: 20_000 });
  if (result.code !== 0) throw new Error(`pm2-mesh list failed (${result.code}): ${result.stderr}`);
  return (JSON.parse(result.stdout) as { agents: ListedAgent[] }).agents;
}

/** The agent registered by the app's current process, when it is healthy. */
export function healthyAgentOf(agents: ListedAgent[], app: Pm2App): ListedAgent | undefined {
  return agents.find((a) => a.status === 'healthy' && a.metadata.pm_id === app.pm_id && a.metadata.pid === app.pid);
}
