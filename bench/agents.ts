// Starting benchmark agents as real processes and reading what they print (the runtime's greppable log lines).
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { join } from 'node:path';
import { sleep, spawnTracked, type Line, type Spawned } from './processes.js';
import { MESH_CONSUMER_HEADER } from '../core/mesh-session.js';

export interface AgentProcess {
  proc: Spawned;
  id: string;
  mcpUrl: string;
  /** Its first `heartbeat registered` line (absent when standalone). */
  registered?: Line;
}

export interface AgentSpec {
  name: string;
  provides: string;
  dependsOn?: string;
  registryUrl?: string;
  env?: NodeJS.ProcessEnv;
  /** V8 flags on the node command line (the module's node_args). */
  nodeFlags?: readonly string[];
}

const START_TIMEOUT_MS = 30_000;

export function benchAgentScript(distDir: string): string {
  return join(distDir, 'bench', 'fixtures', 'bench-agent.js');
}

/** Every capability the bench agent provides (fixtures/bench-agent.ts): what its credential must allow. */
export function benchAgentCapabilities(provides: string, dependsOn?: string): string[] {
  return [provides, `${provides}_memory`, ...(dependsOn ? [`${provides}_local`, `${provides}_drive`] : [])];
}

export function agentEnv(spec: AgentSpec): NodeJS.ProcessEnv {
  return {
    MCP_MESH_AGENT_NAME: spec.name,
    BENCH_PROVIDES: spec.provides,
    BENCH_DEPENDS: spec.dependsOn ?? '',
    ...(spec.registryUrl ? { MCP_MESH_REGISTRY_URL: spec.registryUrl } : { MCP_MESH_STANDALONE: 'true' }),
    ...spec.env,
  };
}

/** A provider and a consumer depending on it, as `startPair` starts them: names and capabilities by prefix. */
export interface PairSpec {
  /** `<prefix>-provider` provides `<capability>_echo`, `<prefix>-consumer` provides `<capability>_consumer` and depends on it. */
  prefix: string;
  capability: string;
  registryUrl: string;
  env?: NodeJS.ProcessEnv;
  nodeFlags?: readonly string[];
}

/** How long an agent may take to be wired to its dependency. */
export const WIRE_TIMEOUT_MS = 30_000;

/** Starts a provider and a consumer of its echo tool (both pushed to `started`), and waits until the consumer is wired to it. */
export async function startPair(
  distDir: string,
  spec: PairSpec,
  started: AgentProcess[],
): Promise<{ provider: AgentProcess; consumer: AgentProcess }> {
  const { prefix, capability, registryUrl, env, nodeFlags } = spec;
  const provider = await startAgent(distDir, { name: `${prefix}-provider`, provides: `${capability}_echo`, registryUrl, env, nodeFlags });
  started.push(provider);
  const consumer = await startAgent(distDir, {
    name: `${prefix}-consumer`,
    provides: `${capability}_consumer`,
    dependsOn: `${capability}_echo`,
    registryUrl,
    env,
    nodeFlags,
  });
  started.push(consumer);
  await waitForTopology(consumer, new RegExp(`drive\\.${capability}_echo→${provider.id}/echo`), WIRE_TIMEOUT_MS);
  return { provider, consumer };
}

/** Spawns the bench agent and waits until it serves (and, with a registry, has registered). */
export async function startAgent(distDir: string, spec: AgentSpec): Promise<AgentProcess> {
  const proc = spawnTracked(process.execPath, [...(spec.nodeFlags ?? []), '--expose-gc', benchAgentScript(distDir)], agentEnv(spec));
  try {
    const serving = await proc.waitForLine(/^\[mesh\] (\S+) serving (http:\/\/\S+\/mcp)/, START_TIMEOUT_MS);
    const [, id, mcpUrl] = serving.text.match(/^\[mesh\] (\S+) serving (http:\/\/\S+\/mcp)/)!;
    const registered = spec.registryUrl ? await proc.waitForLine(/ heartbeat registered/, START_TIMEOUT_MS) : undefined;
    return { proc, id: id!, mcpUrl: mcpUrl!, ...(registered ? { registered } : {}) };
  } catch (error) {
    await proc.stop('SIGKILL');
    throw error;
  }
}

/** The first `topology` line of `agent` at index ≥ `from` whose summary matches `pattern`. */
export function waitForTopology(agent: AgentProcess, pattern: RegExp, timeoutMs: number, from = 0): Promise<Line> {
  return agent.proc.waitForLine(new RegExp(`^\\[mesh\\] \\S+ topology \\S+ .*${pattern.source}`), timeoutMs, from);
}

/**
 * An SDK client session. The bench's control sessions to its agents (drive, memory) are 'mesh' ones: sent as a mesh
 * consumer, so the agent answers them on its own JSON session transport; a 'default' session would make the agent
 * load the SDK's SSE transport (hono, undici) for the bench's sake, and the memory rows would carry it. The gateway
 * rows compare what any MCP client gets: 'default'.
 */
export async function connect(mcpUrl: string, session: 'mesh' | 'default' = 'mesh'): Promise<Client> {
  const client = new Client({ name: 'pm2-mesh-bench', version: '1.0.0' });
  const headers = session === 'mesh' ? { [MESH_CONSUMER_HEADER]: 'pm2-mesh-bench' } : undefined;
  await client.connect(new StreamableHTTPClientTransport(new URL(mcpUrl), headers ? { requestInit: { headers } } : {}));
  return client;
}

/** Calls a tool and returns its structured result; a tool error is thrown with its text. */
export async function callStructured<T>(client: Client, name: string, args: Record<string, unknown>, timeoutMs = 120_000): Promise<T> {
  const result = await client.callTool({ name, arguments: args }, undefined, { timeout: timeoutMs });
  if (result.isError) {
    const text = (result.content as Array<{ type: string; text?: string }>).map((c) => c.text ?? '').join(' ');
    throw new Error(`${name} failed: ${text}`);
  }
  return result.structuredContent as T;
}

async function statusOf(registryUrl: string, agentId: string): Promise<string | undefined> {
  const response = await fetch(`${registryUrl}/agents`);
  const body = (await response.json()) as { agents?: Array<{ id: string; status: string }> };
  return body.agents?.find((a) => a.id === agentId)?.status;
}

/** Polls the registry's GET /agents every 20 ms until it stops calling the agent healthy; ms since `since` (NaN: never). */
export async function untilNotHealthy(registryUrl: string, agentId: string, since: number, timeoutMs: number): Promise<number> {
  while (performance.now() - since < timeoutMs) {
    const status = await statusOf(registryUrl, agentId).catch(() => 'healthy');
    if (status !== 'healthy') return performance.now() - since;
    await sleep(20);
  }
  return Number.NaN;
}

/** The agent's heap in use after a full GC (its `memory` tool). */
export async function heapUsed(client: Client): Promise<number> {
  return (await callStructured<{ heapUsed: number }>(client, 'memory', {})).heapUsed;
}
