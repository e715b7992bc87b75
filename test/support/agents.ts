// Test harness for real processes on loopback: a registry (node dist/registry/main.js) and agents
// (node dist/examples/<name>.js), with their stdout lines timestamped, and SDK clients to call them.
// Everything started here is killed by pid in `stopAll()`; nothing is ever killed by name.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';

const DIST = fileURLToPath(new URL('../../', import.meta.url));
export const REGISTRY_MAIN = `${DIST}registry/main.js`;
export const examplePath = (name: string) => `${DIST}examples/${name}.js`;

export interface Line {
  text: string;
  at: number;
}

/** A child process whose output lines are kept and can be waited for. */
export class Proc {
  readonly lines: Line[] = [];
  readonly exited: Promise<number | null>;
  private waiters: { re: RegExp; from: number; resolve: (l: Line) => void }[] = [];
  readonly startedAt = Date.now();

  constructor(
    readonly label: string,
    readonly child: ChildProcess,
  ) {
    for (const stream of [child.stdout!, child.stderr!]) {
      createInterface({ input: stream }).on('line', (text) => this.push(text));
    }
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
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
      const done = (l: Line) => {
        clearTimeout(timer);
        resolve(l);
      };
      this.waiters.push({ re, from, resolve: done });
    });
  }

  output(): string {
    return this.lines.map((l) => `  ${l.text}`).join('\n');
  }

  signal(sig: NodeJS.Signals): void {
    if (this.alive) this.child.kill(sig);
  }
}

const started = new Set<Proc>();

/** The test process's environment without MCP_MESH_* or PM2 variables, so children only see what a test sets. */
function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!k.startsWith('MCP_MESH_') && k !== 'pm_id' && k !== 'NODE_APP_INSTANCE') env[k] = v;
  }
  return { ...env, ...extra };
}

function launch(label: string, script: string, args: string[], env: Record<string, string>): Proc {
  const child = spawn(process.execPath, [script, ...args], { env: cleanEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  const proc = new Proc(label, child);
  started.add(proc);
  void proc.exited.then(() => started.delete(proc));
  return proc;
}

export interface RegistryProc extends Proc {
  url: string;
  port: number;
}

/** A registry on a free port (or `port`, to restart one where agents expect it); in memory unless args say otherwise. */
export async function startRegistry(options: { port?: number; args?: string[] } = {}): Promise<RegistryProc> {
  const args = ['--host', '127.0.0.1', '--port', String(options.port ?? 0), ...(options.args ?? [])];
  const proc = launch('registry', REGISTRY_MAIN, args, {}) as RegistryProc;
  const line = await proc.waitForLine(/registry listening on (http:\/\/\S+)/);
  proc.url = /registry listening on (http:\/\/\S+)/.exec(line.text)![1]!;
  proc.port = Number(new URL(proc.url).port);
  return proc;
}

export interface AgentProc extends Proc {
  agentId: string;
  endpoint: string;
  mcpUrl: string;
}

/** Starts an example agent (or any runtime script) and waits until it serves. */
export async function startAgent(nameOrPath: string, env: Record<string, string> = {}): Promise<AgentProc> {
  const script = nameOrPath.includes('/') ? nameOrPath : examplePath(nameOrPath);
  const label = env.MCP_MESH_AGENT_NAME ?? nameOrPath.split('/').pop()!.replace(/\.js$/, '');
  const proc = launch(label, script, [], env) as AgentProc;
  const line = await proc.waitForLine(/\[mesh\] (\S+) serving (http:\/\/\S+)\/mcp/);
  const [, agentId, endpoint] = /\[mesh\] (\S+) serving (http:\/\/\S+)\/mcp/.exec(line.text)!;
  proc.agentId = agentId!;
  proc.endpoint = endpoint!;
  proc.mcpUrl = `${endpoint}/mcp`;
  return proc;
}

/** Kills (SIGKILL) every process this harness started and is still running. */
export async function stopAll(): Promise<void> {
  const procs = [...started];
  for (const p of procs) p.signal('SIGKILL');
  await Promise.all(procs.map((p) => p.exited));
}

/** The SDK's own client over Streamable HTTP: what any MCP client would use. */
export async function connectClient(mcpUrl: string): Promise<Client> {
  const client = new Client({ name: 'mesh-test', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(mcpUrl)));
  return client;
}

export async function callTool(client: Client, name: string, args: Record<string, unknown> = {}): Promise<CallToolResult> {
  return (await client.callTool({ name, arguments: args })) as CallToolResult;
}

export async function getJson<T = any>(url: string): Promise<T> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`GET ${url}: ${res.status}`);
  return (await res.json()) as T;
}

export interface RegistryAgent {
  id: string;
  name: string;
  status: string;
  endpoint: string;
  dependency_resolutions?: { function_name: string; capability: string; provider_agent_id?: string; status: string }[];
}

export async function registryAgents(registryUrl: string): Promise<RegistryAgent[]> {
  return (await getJson<{ agents: RegistryAgent[] }>(`${registryUrl}/agents`)).agents;
}

/** Polls `check` until it returns a truthy value. */
export async function waitFor<T>(what: string, check: () => Promise<T> | T, timeoutMs = 20_000, everyMs = 100): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value as NonNullable<T>;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Waits until every agent id is registered and healthy. */
export function waitHealthy(registryUrl: string, ids: string[], timeoutMs = 20_000): Promise<RegistryAgent[]> {
  return waitFor(`${ids.join(', ')} healthy`, async () => {
    const agents = await registryAgents(registryUrl);
    return ids.every((id) => agents.some((a) => a.id === id && a.status === 'healthy')) ? agents : undefined;
  }, timeoutMs);
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
