// Measured figures, printed, never asserted (shared machine): start → first heartbeat, and tool calls per second
// to the time-service process through a mesh MCP proxy vs the SDK's own client.
import test from 'ava';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { Client as SdkClient } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { agent, type MeshAgent, type MeshProxy } from 'mesh/runtime';
import { MESH_CONSUMER_HEADER } from '../core/mesh-session.js';
import { callTool, connectClient, startAgent, type AgentProc } from './support/agents.js';
import { stopAll } from './support/processes.js';
import { spawnRegistry, type RegistryProc } from './support/registry.js';
import { waitFor } from './support/wait.js';

const CALLS = 600;
const CONCURRENCY = 8;

let registry: RegistryProc;
let time: AgentProc;
let consumer: MeshAgent;
let deps: { time_service?: MeshProxy } = {};

test.before(async () => {
  registry = await spawnRegistry();
  time = await startAgent('time-service', { MCP_MESH_REGISTRY_URL: registry.url });
});

test.after.always(async () => {
  await consumer?.stop();
  await stopAll();
});

/** Calls/s of `call` run CALLS times, `concurrency` at a time. */
async function rate(call: () => Promise<unknown>, concurrency: number): Promise<number> {
  for (let i = 0; i < 200; i++) await call(); // warm-up (JIT, sockets)
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next++ < CALLS) await call();
    }),
  );
  return Math.round(CALLS / ((performance.now() - started) / 1000));
}

test.serial('start → first heartbeat → wired', async (t) => {
  const t0 = performance.now();
  consumer = agent({ name: 'bench-consumer', registryUrl: registry.url, handleSignals: false, logLevel: 'warn' }).tool(
    'grab',
    { dependencies: ['time_service'] },
    (_args, d) => {
      deps = d;
      return 'ok';
    },
  );
  const { mcpUrl } = await consumer.start();
  const serving = performance.now() - t0;
  await waitFor('registered', async () => (await fetch(`${registry.url}/agents/${consumer.id}`)).ok, 10_000, 2);
  const registered = performance.now() - t0;
  const client = await connectClient(mcpUrl);
  await waitFor('wired', async () => (await callTool(client, 'grab'), deps.time_service), 10_000, 5);
  const wired = performance.now() - t0;
  await client.close();
  t.log(
    `in-process agent: start() → serving ${serving.toFixed(0)} ms → registered ${registered.toFixed(0)} ms → dependency wired ${wired.toFixed(0)} ms`,
  );
  const processLine = await time.waitForLine(/heartbeat registered/);
  t.log(`agent process: spawn → first heartbeat ${processLine.at - time.startedAt} ms (includes node start-up)`);
  t.truthy(deps.time_service);
});

test.serial('calls/s: mesh MCP proxy vs the raw SDK client, same provider', async (t) => {
  const proxy = deps.time_service!;
  const raw: Client = await connectClient(time.mcpUrl);
  // The SDK client with the header a mesh consumer sends: JSON answers instead of SSE, same as the proxy gets.
  const rawJson = new SdkClient({ name: 'bench', version: '1' });
  await rawJson.connect(
    new StreamableHTTPClientTransport(new URL(time.mcpUrl), { requestInit: { headers: { [MESH_CONSUMER_HEADER]: 'bench-json' } } }),
  );
  t.teardown(async () => {
    await raw.close();
    await rawJson.close();
  });
  const rows: string[] = [];
  for (const concurrency of [1, CONCURRENCY]) {
    const viaProxy = await rate(() => proxy(), concurrency);
    const viaSdk = await rate(() => raw.callTool({ name: 'now', arguments: {} }), concurrency);
    const viaSdkJson = await rate(() => rawJson.callTool({ name: 'now', arguments: {} }), concurrency);
    rows.push(
      `concurrency ${concurrency}: mesh proxy ${viaProxy}/s · SDK client (SSE answers) ${viaSdk}/s · SDK client (JSON answers) ${viaSdkJson}/s`,
    );
  }
  for (const row of rows) t.log(row);
  t.pass();
});
