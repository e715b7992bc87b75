// Real child processes for the tests: where the built files are, the environment a child gets, and `Proc`, a child
// whose output lines are kept and can be waited for. Every process started here is killed by its pid in
// `stopAll()` (or by the test itself); nothing is ever killed by name.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

/** The repository root: this file is dist/test/support/processes.js once built. */
export const ROOT = fileURLToPath(new URL('../../../', import.meta.url)).replace(/\/$/, '');
export const DIST = join(ROOT, 'dist');
export const REGISTRY_MAIN = join(DIST, 'registry', 'main.js');
export const CLI = join(DIST, 'plugin', 'cli.js');

/** The test process's environment without MCP_MESH_*, PM2 or terminal-size variables, plus `extra`. */
export function childEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (key.startsWith('MCP_MESH_') || key.startsWith('MESH_') || key.startsWith('PM2_')) continue;
    if (key === 'pm_id' || key === 'NODE_APP_INSTANCE' || key === 'COLUMNS') continue;
    env[key] = value;
  }
  if (process.env.MESH_TEST_VERBOSE) env.MESH_TEST_VERBOSE = process.env.MESH_TEST_VERBOSE;
  return { ...env, ...extra };
}

export interface Line {
  text: string;
  at: number;
}

/** A child process whose stdout and stderr lines are kept (with the time they were read) and can be waited for. */
export class Proc {
  readonly lines: Line[] = [];
  /**
   * The exit code, or the signal's name when a signal ended it; resolved on 'close', once all its output is read (on
   * 'exit' the last lines of a process that ends at once can still be in the pipes).
   */
  readonly exited: Promise<number | string>;
  readonly startedAt = Date.now();
  private waiters: { re: RegExp; from: number; resolve: (line: Line) => void }[] = [];

  constructor(
    readonly label: string,
    readonly child: ReturnType<typeof spawn>,
  ) {
    for (const stream of [child.stdout!, child.stderr!]) createInterface({ input: stream }).on('line', (text) => this.push(text));
    this.exited = new Promise((resolve) => child.once('close', (code, signal) => resolve(code ?? signal ?? -1)));
  }

  get pid(): number {
    return this.child.pid!;
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  private push(text: string): void {
    const line = { text, at: Date.now() };
    this.lines.push(line);
    if (process.env.MESH_TEST_VERBOSE) console.log(`  ${this.label} | ${text}`);
    this.waiters = this.waiters.filter((w) => {
      if (this.lines.length - 1 >= w.from && w.re.test(text)) {
        w.resolve(line);
        return false;
      }
      return true;
    });
  }

  /** The first line matching `re` at index ≥ `from` (default: any line so far or to come). */
  waitForLine(re: RegExp, timeoutMs = 20_000, from = 0): Promise<Line> {
    const found = this.lines.slice(from).find((l) => re.test(l.text));
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w.resolve !== done);
        reject(new Error(`${this.label}: no line matching ${re} within ${timeoutMs} ms; output:\n${this.output()}`));
      }, timeoutMs);
      const done = (line: Line) => {
        clearTimeout(timer);
        resolve(line);
      };
      this.waiters.push({ re, from, resolve: done });
    });
  }

  /** Everything it printed so far, one line each. */
  output(): string {
    return this.lines.map((l) => l.text).join('\n');
  }

  signal(signal: NodeJS.Signals): void {
    if (this.alive) this.child.kill(signal);
  }

  /** Sends `signal` (default SIGTERM) and waits for the exit. */
  stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | string> {
    this.signal(signal);
    return this.exited;
  }
}

const started = new Set<Proc>();

/** Starts `program args` as a tracked `Proc`, in the repository root, with `childEnv()` unless `env` is given. */
export function launch(
  label: string,
  program: string,
  args: string[],
  { env = childEnv(), cwd = ROOT }: { env?: NodeJS.ProcessEnv; cwd?: string } = {},
): Proc {
  const proc = new Proc(label, spawn(program, args, { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] }));
  started.add(proc);
  void proc.exited.then(() => started.delete(proc));
  return proc;
}

/** Starts `node [nodeArgs] script [args]` as a tracked `Proc`. */
export function launchNode(label: string, script: string, args: string[] = [], options: { env?: NodeJS.ProcessEnv; nodeArgs?: string[] } = {}): Proc {
  return launch(label, process.execPath, [...(options.nodeArgs ?? []), script, ...args], { env: options.env });
}

/** Kills (SIGKILL) every process started through `launch` that is still running, and waits for them. */
export async function stopAll(): Promise<void> {
  const procs = [...started];
  for (const p of procs) p.signal('SIGKILL');
  await Promise.all(procs.map((p) => p.exited));
}

/** A fresh temp directory and its removal. */
export function tempDir(prefix = 'mesh-test-'): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A loopback port nobody listens on right now (for a process that must come back on the same port later). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
