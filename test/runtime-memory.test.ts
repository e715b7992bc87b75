// Memory kept per call, in real agent processes: a provider serving calls over a mesh proxy session, and a consumer
// making them (MCP proxy) and calling its own tool (self proxy). Live heap is read after full GCs (--expose-gc) around
// thousands of calls; what is still there per call is memory that grows with traffic. A bound on bytes, not on time.
import test from 'ava';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { callTool, connectClient, Proc, startRegistry, stopAll, waitFor, type RegistryProc } from './support/agents.js';

const CALLS = 5_000;
const WARM_UP_CALLS = 1_000;
/** Generous: the leaks this guards against kept 4-5.5 KB per call; a flat heap keeps ~0. */
const MAX_BYTES_PER_CALL = 1024;

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const RUNTIME = new URL('../runtime/index.js', import.meta.url).href;

/** The agent both processes run: `echo`, a `memory` tool (live heap after full GCs) and, for the consumer, `drive`. */
const AGENT = `
import { z } from 'zod';
const { agent } = await import(process.env.MESH_RUNTIME);
const provides = process.env.PROVIDES, dependsOn = process.env.DEPENDS, local = provides + '_local';
const mesh = agent({ name: process.env.MCP_MESH_AGENT_NAME });
mesh.tool('echo', { capability: provides, inputSchema: { text: z.string() } }, ({ text }) => text);
mesh.tool('memory', { capability: provides + '_memory' }, async () => {
  // Several GCs with turns between them, so that finalizers (undici's, AbortSignal's) have run.
  for (let i = 0; i < 4; i++) { globalThis.gc(); await new Promise((r) => setTimeout(r, 20)); }
  return { heapUsed: process.memoryUsage().heapUsed };
});
if (dependsOn) {
  mesh.tool('local_echo', { capability: local, inputSchema: { text: z.string() } }, ({ text }) => text);
  mesh.tool('drive', {
    inputSchema: { mode: z.enum(['proxy', 'self']), calls: z.number(), concurrency: z.number() },
    dependencies: [dependsOn, local],
  }, async ({ mode, calls, concurrency }, deps) => {
    const proxy = mode === 'self' ? deps[local] : deps[dependsOn];
    if (!proxy) throw new Error(mode + ' proxy not wired yet');
    let issued = 0, wrong = 0;
    await Promise.all(Array.from({ length: concurrency }, async () => {
      while (issued++ < calls) if ((await proxy({ text: 'hello' })) !== 'hello') wrong++;
    }));
    return { local: proxy.local, wrong };
  });
}
await mesh.start();
`;

let registry: RegistryProc;
const agents: Proc[] = [];

async function startAgent(name: string, env: Record<string, string>): Promise<Client> {
  const child = spawn(process.execPath, ['--expose-gc', '--input-type=module', '-e', AGENT], {
    cwd: REPO,
    env: { ...process.env, MCP_MESH_AGENT_NAME: name, MCP_MESH_REGISTRY_URL: registry.url, MCP_MESH_LOG_LEVEL: 'warn', MESH_RUNTIME: RUNTIME, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const proc = new Proc(name, child);
  agents.push(proc);
  // The serving line is at info level: wait for the health endpoint's port instead, from the registry.
  const endpoint = await waitFor(`${name} registered`, async () => {
    const body = (await (await fetch(`${registry.url}/agents`)).json()) as { agents: { name: string; endpoint: string; status: string }[] };
    return body.agents.find((a) => a.name === name && a.status === 'healthy')?.endpoint;
  });
  return connectClient(`${endpoint}/mcp`);
}

async function heapUsed(client: Client): Promise<number> {
  return ((await callTool(client, 'memory')).structuredContent as { heapUsed: number }).heapUsed;
}

async function drive(client: Client, mode: 'proxy' | 'self', calls: number, concurrency: number): Promise<{ local: boolean; wrong: number }> {
  const result = await client.callTool({ name: 'drive', arguments: { mode, calls, concurrency } }, undefined, { timeout: 110_000 });
  if (result.isError) throw new Error(JSON.stringify(result.content));
  return result.structuredContent as { local: boolean; wrong: number };
}

let provider: Client;
let consumer: Client;

test.before(async () => {
  registry = await startRegistry();
  provider = await startAgent('mem-provider', { PROVIDES: 'mem_echo' });
  consumer = await startAgent('mem-consumer', { PROVIDES: 'mem_consumer', DEPENDS: 'mem_echo' });
  await waitFor('consumer wired to the provider', async () => {
    const result = await consumer.callTool({ name: 'drive', arguments: { mode: 'proxy', calls: 1, concurrency: 1 } });
    return !result.isError;
  });
});

test.after.always(async () => {
  await provider?.close().catch(() => undefined);
  await consumer?.close().catch(() => undefined);
  for (const proc of agents) proc.signal('SIGKILL');
  await Promise.all(agents.map((p) => p.exited));
  await stopAll();
});

test.serial('MCP proxy: neither the provider nor the consumer keeps memory per call', async (t) => {
  await drive(consumer, 'proxy', WARM_UP_CALLS, 10);
  const [providerBefore, consumerBefore] = [await heapUsed(provider), await heapUsed(consumer)];
  const { local, wrong } = await drive(consumer, 'proxy', CALLS, 10);
  const [providerAfter, consumerAfter] = [await heapUsed(provider), await heapUsed(consumer)];
  t.false(local);
  t.is(wrong, 0);
  const providerPerCall = (providerAfter - providerBefore) / CALLS;
  const consumerPerCall = (consumerAfter - consumerBefore) / CALLS;
  t.log(`${CALLS} proxied calls: provider kept ${providerPerCall.toFixed(0)} B/call, consumer ${consumerPerCall.toFixed(0)} B/call`);
  t.true(providerPerCall < MAX_BYTES_PER_CALL, `provider kept ${providerPerCall.toFixed(0)} B per call served`);
  t.true(consumerPerCall < MAX_BYTES_PER_CALL, `consumer kept ${consumerPerCall.toFixed(0)} B per proxied call`);
});

test.serial('self proxy: the consumer keeps no memory per call', async (t) => {
  const calls = 4 * CALLS;
  await drive(consumer, 'self', WARM_UP_CALLS, 1);
  const before = await heapUsed(consumer);
  const { local, wrong } = await drive(consumer, 'self', calls, 1);
  const perCall = ((await heapUsed(consumer)) - before) / calls;
  t.true(local);
  t.is(wrong, 0);
  t.log(`${calls} self-proxy calls: consumer kept ${perCall.toFixed(0)} B/call`);
  t.true(perCall < MAX_BYTES_PER_CALL, `consumer kept ${perCall.toFixed(0)} B per self-proxy call`);
});
