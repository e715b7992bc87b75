// An agent without a mesh: MCP_MESH_STANDALONE=true makes no registry request at all; with the registry merely
// absent the agent serves all the same and keeps retrying in the background.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import test from 'ava';
import { callTool, connectClient, getJson, sleep, startAgent, stopAll, waitFor } from './support/agents.js';

let fakeRegistry: Server;
let fakeUrl: string;
let registryRequests = 0;

test.before(async () => {
  // Stands where a registry would be, and only counts: a standalone agent must never knock.
  fakeRegistry = createServer((req, res) => {
    registryRequests += 1;
    res.writeHead(503).end();
  });
  await new Promise<void>((r) => fakeRegistry.listen(0, '127.0.0.1', r));
  fakeUrl = `http://127.0.0.1:${(fakeRegistry.address() as AddressInfo).port}`;
});

test.after.always(async () => {
  await stopAll();
  fakeRegistry.closeAllConnections();
  await new Promise((r) => fakeRegistry.close(r));
});

test.serial('MCP_MESH_STANDALONE=true: tools work, dependencies are undefined, no registry traffic', async (t) => {
  const planner = await startAgent('planner', { MCP_MESH_STANDALONE: 'true', MCP_MESH_REGISTRY_URL: fakeUrl, MCP_MESH_HEALTH_INTERVAL: '0.2' });
  const client = await connectClient(planner.mcpUrl);
  t.teardown(() => client.close());
  const plan = await callTool(client, 'plan_trip', { city: 'Rome' });
  t.regex((plan.structuredContent as any).advice, /No weather service/);
  const packing = await callTool(client, 'packing_list', { conditions: 'sunny', temperature_c: 30 });
  t.true((packing.structuredContent as any).items.includes('sunscreen'));
  const health = await getJson(`${planner.endpoint}/health`);
  t.is(health.registry, 'standalone');
  await sleep(1_000);
  t.is(registryRequests, 0);
  t.false(planner.lines.some((l) => /heartbeat/.test(l.text)));
});

test.serial('registry absent: the agent serves anyway and retries with backoff', async (t) => {
  const time = await startAgent('time-service', { MCP_MESH_REGISTRY_URL: 'http://127.0.0.1:9', MCP_MESH_HEALTH_INTERVAL: '1' });
  const client = await connectClient(time.mcpUrl);
  t.teardown(() => client.close());
  const now = await callTool(client, 'now');
  t.regex((now.content[0] as any).text, /^\d{4}-\d\d-\d\dT/);
  const failures = await waitFor('two failed heartbeats', () => {
    const lines = time.lines.filter((l) => /heartbeat failed: .*retry in \d+s/.test(l.text));
    return lines.length >= 2 ? lines : undefined;
  });
  t.regex(failures[0]!.text, /retry in 1s/);
  t.regex(failures[1]!.text, /retry in 2s/);
  t.is((await getJson(`${time.endpoint}/health`)).registry, 'unreachable');
});
