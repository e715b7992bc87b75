// Every process the bench starts goes through here, so that all of them are killed by pid at the end.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

const OUTPUT_KEPT = 64 * 1024;
const LINES_KEPT = 20_000;
const live = new Set<ChildProcess>();
const cleanups: Array<() => Promise<void> | void> = [];

export interface Line {
  text: string;
  /** performance.now() when the line arrived. */
  at: number;
}

export interface Spawned {
  pid: number;
  /** performance.now() just before the spawn. */
  spawnedAt: number;
  /** Output lines (stdout and stderr), timestamped on arrival; the first 20 000 are kept. */
  lines: Line[];
  /** The first line at index ≥ `from` matching `pattern` (already seen or to come). */
  waitForLine(pattern: RegExp, timeoutMs: number, from?: number): Promise<Line>;
  /** The last 64 KiB of stdout + stderr, for error messages. */
  output(): string;
  /** Resolves with the first match of `pattern` in the output (already seen or to come). */
  waitForOutput(pattern: RegExp, timeoutMs: number): Promise<RegExpMatchArray>;
  /** Resolves with the exit code (or signal name) once the process is gone. */
  exited: Promise<number | string>;
  /** Sends `signal`, then SIGKILL if it is still alive after `graceMs`; resolves once it exited. */
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<number | string>;
}

export function spawnTracked(command: string, args: string[], env: NodeJS.ProcessEnv = {}, cwd?: string): Spawned {
  const spawnedAt = performance.now();
  const child = spawn(command, args, { env: { ...process.env, ...env }, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  if (child.pid === undefined) throw new Error(`could not start ${command}`);
  live.add(child);
  let output = '';
  let partial = '';
  const lines: Line[] = [];
  const listeners = new Set<() => void>();
  const onData = (chunk: Buffer) => {
    const text = chunk.toString('utf8');
    const at = performance.now();
    output = (output + text).slice(-OUTPUT_KEPT);
    const parts = (partial + text).split('\n');
    partial = parts.pop()!;
    for (const line of parts) if (lines.length < LINES_KEPT) lines.push({ text: line, at });
    for (const listener of listeners) listener();
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exited = new Promise<number | string>((resolve) => {
    child.on('exit', (code, signal) => {
      live.delete(child);
      resolve(code ?? signal ?? 'unknown');
    });
  });
  const pid = child.pid;
  /** Resolves with `find()`'s first answer, checked now and on every output chunk; rejects on timeout or exit. */
  const waitUntil = <T>(find: () => T | undefined, what: string, timeoutMs: number) =>
    new Promise<T>((resolve, reject) => {
      const check = () => {
        const found = find();
        if (found === undefined) return;
        done();
        resolve(found);
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`no ${what} from pid ${pid} within ${timeoutMs} ms; output:\n${output.slice(-2000)}`));
      }, timeoutMs);
      const onExit = (code: number | string) => {
        if (!listeners.has(check)) return;
        done();
        reject(new Error(`pid ${pid} exited (${code}) before ${what}; output:\n${output.slice(-2000)}`));
      };
      const done = () => {
        clearTimeout(timer);
        listeners.delete(check);
      };
      listeners.add(check);
      void exited.then(onExit);
      check();
    });
  return {
    pid,
    spawnedAt,
    lines,
    output: () => output,
    exited,
    waitForLine(pattern, timeoutMs, from = 0) {
      const find = () => lines.slice(from).find((line) => pattern.test(line.text));
      return waitUntil(find, `a line matching ${pattern}`, timeoutMs);
    },
    waitForOutput(pattern, timeoutMs) {
      return waitUntil(() => output.match(pattern) ?? undefined, `printing ${pattern}`, timeoutMs);
    },
    async stop(signal = 'SIGTERM', graceMs = 10_000) {
      if (!live.has(child)) return exited;
      child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

/** Registers work to run at the end (e.g. `pm2 kill` of an isolated PM2_HOME). */
export function atCleanup(task: () => Promise<void> | void): void {
  cleanups.push(task);
}

/** Kills every process still alive that the bench spawned, by pid, then runs the registered cleanups. */
export async function cleanupAll(): Promise<void> {
  const waits = [...live].map(
    (child) =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGKILL');
      }),
  );
  await Promise.all(waits);
  for (const task of cleanups.splice(0).reverse()) {
    try {
      await task();
    } catch (error) {
      console.error(`cleanup failed: ${(error as Error).message}`);
    }
  }
}

// Last resort if the bench dies on an exception: nothing it started outlives it.
process.on('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

/**
 * Seconds after a process registered (or served) at which its idle RSS is read: three heartbeats on, once V8's
 * memory reducer has given back what start-up left over (~8 s after it).
 */
export const IDLE_READ_S = 15;

/** Resident set size of a process in bytes, from /proc (Linux only). */
export function rssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = status.match(/^VmRSS:\s+(\d+)\s+kB/m);
  if (!match) throw new Error(`no VmRSS in /proc/${pid}/status`);
  return Number(match[1]) * 1024;
}

/** RSS of a bare Node process (a timer, nothing loaded) started with `nodeFlags`, read after `settleMs`: the floor. */
export async function bareNodeRss(nodeFlags: readonly string[], settleMs = 2000): Promise<number> {
  const bare = spawnTracked(process.execPath, [...nodeFlags, '-e', 'setInterval(() => {}, 1000)']);
  try {
    await sleep(settleMs);
    return rssBytes(bare.pid);
  } finally {
    await bare.stop('SIGKILL');
  }
}

/** A port free on loopback right now (bind port 0, read it, close). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Polls `url` until it answers 2xx; resolves with the time it took in ms. */
export async function waitForHttp(url: string, timeoutMs: number, since = performance.now()): Promise<number> {
  const deadline = since + timeoutMs;
  for (;;) {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(1000) });
      await response.arrayBuffer();
      if (response.ok) return performance.now() - since;
    } catch {
      // not listening yet
    }
    if (performance.now() > deadline) throw new Error(`${url} did not answer within ${timeoutMs} ms`);
    await sleep(10);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
