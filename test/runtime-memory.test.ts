// Memory kept per call, in real agent processes: a provider serving calls over a mesh proxy session, and a consumer
// making them (MCP proxy) and calling its own tool (self proxy). Live heap is read after full GCs (--expose-gc) around
// thousands of calls; what is still there per call is memory that grows with traffic. A bound on bytes, not on time.
import test from 'ava';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { connectClient, callTool, fixtureAgentPath, startAgent } from './support/agents.js';
import { stopAll } from './support/processes.js';
import { spawnRegistry, type RegistryProc } from './support/registry.js';
import { waitFor } from './support/wait.js';

const CALLS = 5_000;
const WARM_UP_CALLS = 1_000;
/** Generous: the leaks this guards against kept 4-5.5 KB per call; a flat heap keeps ~0. */
const MAX_BYTES_PER_CALL = 1024;

let registry: RegistryProc;

/** test/fixtures/agents/memory.ts under --expose-gc, named `name`, with an SDK client connected to it. */
async function startMemoryAgent(name: string, env: Record<string, string>): Promise<Client> {
  const proc = await startAgent(fixtureAgentPath('memory'), { MCP_MESH_AGENT_NAME: name, MCP_MESH_REGISTRY_URL: registry.url, ...env }, [
    '--expose-gc',
  ]);
  return connectClient(proc.mcpUrl);
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
  registry = await spawnRegistry();
  provider = await startMemoryAgent('mem-provider', { PROVIDES: 'mem_echo' });
  consumer = await startMemoryAgent('mem-consumer', { PROVIDES: 'mem_consumer', DEPENDS: 'mem_echo' });
  await waitFor('consumer wired to the provider', async () => {
    const result = await consumer.callTool({ name: 'drive', arguments: { mode: 'proxy', calls: 1, concurrency: 1 } });
    return !result.isError;
  });
});

test.after.always(async () => {
  await provider?.close().catch(() => undefined);
  await consumer?.close().catch(() => undefined);
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
