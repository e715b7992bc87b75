// A registry for the tests, two ways: in this process (`startRegistry`, createRegistry on a free port) or as the
// real foreground process (`spawnRegistry`, `node dist/registry/main.js`); and the HTTP calls tests make to it.
import { spawn } from 'node:child_process';
import { createRegistry, type Registry, type RegistryOptions } from '../../registry/index.js';
import type { HeartbeatRequest, HeartbeatResponse } from '../../core/wire.js';
import { childEnv, launchNode, REGISTRY_MAIN, type Proc } from './processes.js';
import { waitFor } from './wait.js';

/** An in-process registry on a free loopback port, in memory unless options.dataFile; its log lines are kept. */
export async function startRegistry(options: RegistryOptions = {}): Promise<Registry & { lines: string[] }> {
  const lines: string[] = [];
  const registry = await createRegistry({
    port: 0,
    host: '127.0.0.1',
    dataFile: null,
    ...options,
    log: (line) => {
      lines.push(line);
      options.log?.(line);
    },
  });
  return Object.assign(registry, { lines });
}

export interface RegistryProc extends Proc {
  url: string;
  port: number;
}

const LISTENING = /registry listening on (https?:\/\/\S+)/;

/**
 * The foreground registry as a real process on 127.0.0.1 (a free port unless `port` or `--port` in `args`, to come back
 * where agents expect it), in memory unless `args` name a data file; resolves once it prints its listening line.
 */
export async function spawnRegistry(options: { args?: string[]; env?: NodeJS.ProcessEnv; port?: number } = {}): Promise<RegistryProc> {
  const args = options.args ?? [];
  const argv = ['--host', '127.0.0.1', ...(args.includes('--port') ? [] : ['--port', String(options.port ?? 0)]), ...args];
  const proc = launchNode('registry', REGISTRY_MAIN, argv, { env: childEnv(options.env) }) as RegistryProc;
  const line = await Promise.race([
    proc.waitForLine(LISTENING),
    proc.exited.then((code) => Promise.reject(new Error(`registry exited (${code}) before listening:\n${proc.output()}`))),
  ]).catch((error: unknown) => {
    proc.signal('SIGKILL');
    throw error;
  });
  proc.url = LISTENING.exec(line.text)![1]!;
  proc.port = Number(new URL(proc.url).port);
  return proc;
}

/**
 * Runs main.js to its end (for runs expected to stop at start), with everything it printed. Resolves on 'close', not
 * 'exit': a process that ends at once can exit before its last output has been read from the pipes.
 */
export function runRegistryToExit(args: string[], env: NodeJS.ProcessEnv = {}, waitMs = 20_000): Promise<{ code: number | string; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [REGISTRY_MAIN, ...args], { env: childEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), waitMs);
    child.once('close', (code, signal) => {
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

/** GET a JSON path (of a registry or an agent); the status and parsed body. */
export async function getJson<T = any>(url: string, path: string, token?: string): Promise<{ status: number; body: T }> {
  const response = await fetch(url + path, { headers: authHeaders(token) });
  const text = await response.text();
  return { status: response.status, body: (text ? JSON.parse(text) : undefined) as T };
}

export interface RegistryAgent {
  id: string;
  name: string;
  status: string;
  endpoint: string;
  dependency_resolutions?: { function_name: string; capability: string; provider_agent_id?: string; status: string }[];
}

/** GET /agents → its agents (throws unless 200). */
export async function registryAgents(registryUrl: string): Promise<RegistryAgent[]> {
  const { status, body } = await getJson<{ agents: RegistryAgent[] }>(registryUrl, '/agents');
  if (status !== 200) throw new Error(`GET ${registryUrl}/agents: ${status}`);
  return body.agents;
}

/** Waits until every agent id is registered and healthy; the registry's agents then. */
export function waitHealthy(registryUrl: string, ids: string[], timeoutMs = 20_000): Promise<RegistryAgent[]> {
  return waitFor(
    `${ids.join(', ')} healthy`,
    async () => {
      const agents = await registryAgents(registryUrl);
      return ids.every((id) => agents.some((a) => a.id === id && a.status === 'healthy')) ? agents : undefined;
    },
    timeoutMs,
  );
}
