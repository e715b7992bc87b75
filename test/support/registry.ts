// Test helpers around the registry: start one in-process, spawn `node dist/registry/main.js` as a real process,
// and talk to it (register an agent, light heartbeat). Shared by every area's tests.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRegistry, type Registry, type RegistryOptions } from '../../registry/index.js';
import type { HeartbeatRequest, HeartbeatResponse } from '../../core/wire.js';

/** dist/registry/main.js, next to this compiled file's dist/test/support/. */
export const REGISTRY_MAIN = fileURLToPath(new URL('../../registry/main.js', import.meta.url));

/** A fresh temp directory and its removal. */
export function tempDir(prefix = 'mesh-registry-'): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** An in-process registry on a free loopback port, in memory unless options.dataFile; its log lines are kept. */
export async function startRegistry(options: RegistryOptions = {}): Promise<Registry & { lines: string[] }> {
  const lines: string[] = [];
  const registry = await createRegistry({ port: 0, host: '127.0.0.1', dataFile: null, ...options, log: (line) => {
    lines.push(line);
    options.log?.(line);
  } });
  return Object.assign(registry, { lines });
}

export interface SpawnedRegistry {
  url: string;
  child: ChildProcess;
  pid: number;
  /** Everything it printed so far (stdout and stderr). */
  output(): string;
  /** Resolves with the exit code (or signal name) once the process has ended. */
  exited: Promise<number | string>;
  /** SIGTERM (default) or another signal, then waits for the exit. */
  stop(signal?: NodeJS.Signals): Promise<number | string>;
}

/** Spawns the foreground registry (`--port 0` unless given) and waits for its "registry listening on" line. */
export async function spawnRegistry(args: string[] = [], env: NodeJS.ProcessEnv = {}, waitMs = 20_000): Promise<SpawnedRegistry> {
  const argv = args.includes('--port') ? args : ['--port', '0', ...args];
  const child = spawn(process.execPath, [REGISTRY_MAIN, ...argv], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? -1)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`registry did not print its listening line within ${waitMs} ms:\n${output}`));
    }, waitMs);
    const poll = setInterval(() => {
      const match = /registry listening on (http:\/\/\S+)/.exec(output);
      if (match) done(() => resolve(match[1]!));
    }, 20);
    void exited.then((code) => done(() => reject(new Error(`registry exited (${code}) before listening:\n${output}`))));
    const done = (settle: () => void) => {
      clearTimeout(timer);
      clearInterval(poll);
      settle();
    };
  });
  return {
    url,
    child,
    pid: child.pid!,
    output: () => output,
    exited,
    stop: (signal = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

/** Runs main.js to its end (for runs expected to fail at start), with its output. */
export function runRegistryToExit(args: string[], env: NodeJS.ProcessEnv = {}, waitMs = 20_000): Promise<{ code: number | string; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [REGISTRY_MAIN, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), waitMs);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? signal ?? -1, output });
    });
  });
}

/** A registration payload: one agent, its tools (default: none), on a made-up port. */
export function agentPayload(agentId: string, fields: Partial<HeartbeatRequest> = {}): HeartbeatRequest {
  const name = agentId.replace(/-[0-9a-f]{8}$/, '');
  return { agent_id: agentId, name, version: '1.0.0', agent_type: 'mcp_agent', http_host: '127.0.0.1', http_port: 9000, tools: [], ...fields };
}

function authHeaders(token?: string): Record<string, string> {
  return token ? { authorization: `Bearer ${token}` } : {};
}

/** POST /heartbeat; the answer's status and parsed body. */
export async function postHeartbeat(
  url: string,
  payload: HeartbeatRequest | Record<string, unknown>,
  token?: string,
): Promise<{ status: number; body: HeartbeatResponse & { error?: string } }> {
  const response = await fetch(`${url}/heartbeat`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...authHeaders(token) },
    body: JSON.stringify(payload),
  });
  return { status: response.status, body: (await response.json()) as HeartbeatResponse & { error?: string } };
}

/** HEAD /heartbeat/:id; the status (200, 202, 410, 503). */
export async function headHeartbeat(url: string, agentId: string, token?: string): Promise<number> {
  const response = await fetch(`${url}/heartbeat/${encodeURIComponent(agentId)}`, { method: 'HEAD', headers: authHeaders(token) });
  return response.status;
}

/** GET a JSON path; the status and parsed body. */
export async function getJson<T = any>(url: string, path: string, token?: string): Promise<{ status: number; body: T }> {
  const response = await fetch(url + path, { headers: authHeaders(token) });
  const text = await response.text();
  return { status: response.status, body: (text ? JSON.parse(text) : undefined) as T };
}

/** Polls `check` every `everyMs` until it is true (or throws after `withinMs`): for waits on background work. */
export async function eventually(check: () => boolean | Promise<boolean>, withinMs = 10_000, everyMs = 25): Promise<void> {
  const deadline = Date.now() + withinMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${withinMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
