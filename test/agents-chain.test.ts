// The example mesh as a user runs it: a registry and five example agents as real processes on loopback.
// planner → weather (fast preferred over precise) → time-service, planner's self proxy, greeter's unresolved dep.
import test from 'ava';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { callTool, connectClient, type AgentProc } from './support/agents.js';
import { startExampleMesh } from './support/mesh.js';
import { stopAll } from './support/processes.js';
import { getJson, registryAgents, type RegistryProc } from './support/registry.js';

let registry: RegistryProc;
let time: AgentProc, fast: AgentProc, precise: AgentProc, planner: AgentProc, greeter: AgentProc;
let client: Client;

test.before(async () => {
  const mesh = await startExampleMesh();
  registry = mesh.registry;
  ({ 'time-service': time, 'weather-fast': fast, 'weather-precise': precise, planner, greeter } = mesh.agents as Required<typeof mesh.agents>);
  client = await connectClient(planner.mcpUrl);
});

test.after.always(async () => {
  await client?.close();
  await stopAll();
});

const mcpRequests = async (a: AgentProc) => (await getJson<{ mcp_requests: number }>(a.endpoint, '/health')).body.mcp_requests;

test.serial('a call crosses the chain planner → weather → time-service', async (t) => {
  const timeBefore = await mcpRequests(time);
  const result = await callTool(client, 'plan_trip', { city: 'Lisbon' });
  t.falsy(result.isError, JSON.stringify(result));
  const plan = result.structuredContent as any;
  t.is(plan.city, 'Lisbon');
  t.is(plan.weather.source, 'weather-fast');
  t.regex(plan.weather.observed_at, /^\d{4}-\d\d-\d\dT/);
  t.true(Array.isArray(plan.packing) && plan.packing.includes('water'));
  // The last hop really happened: the time service served a request.
  t.true((await mcpRequests(time)) > timeBefore);
});

test.serial('the registry shows the resolution; +fast wins over the higher version, precise is the alternative', async (t) => {
  const agents = await registryAgents(registry.url);
  const p = agents.find((a) => a.id === planner.agentId)!;
  const weather = p.dependency_resolutions!.find((d) => d.capability === 'weather')!;
  t.is(weather.status, 'available');
  t.is(weather.provider_agent_id, fast.agentId);
  const result = await callTool(client, 'plan_trip', { city: 'Oslo' });
  t.is((result.structuredContent as any).served_by.weather, fast.agentId);
  const { body: topology } = await getJson(registry.url, `/agents/${planner.agentId}/topology`);
  t.deepEqual(
    topology.dependency_alternatives.plan_trip[0].map((d: any) => d.agent_id),
    [fast.agentId, precise.agentId],
  );
});

test.serial('a self proxy makes no HTTP request', async (t) => {
  const before = await mcpRequests(planner);
  const result = await callTool(client, 'plan_trip', { city: 'Paris' });
  const after = await mcpRequests(planner);
  t.is((result.structuredContent as any).served_by.packing, 'self');
  // Exactly one request reached the planner's /mcp: our own tools/call. The packing_list call stayed in-process.
  t.is(after - before, 1);
});

test.serial("the SDK's own Client lists and calls a mesh agent's tools", async (t) => {
  const { tools } = await client.listTools();
  t.deepEqual(tools.map((x) => x.name).sort(), ['packing_list', 'plan_trip']);
  const planTrip = tools.find((x) => x.name === 'plan_trip')!;
  t.deepEqual(planTrip.inputSchema.required, ['city']);
  const packing = await callTool(client, 'packing_list', { conditions: 'rain', temperature_c: 3 });
  t.deepEqual((packing.structuredContent as any).items, ['water', 'phone charger', 'umbrella', 'rain jacket', 'warm coat', 'gloves']);
  const bad = await callTool(client, 'packing_list', { conditions: 'rain' });
  t.true(bad.isError);
  t.regex((bad.content[0] as any).text, /temperature_c/);
});

test.serial('an unresolved dependency is undefined and the handler decides', async (t) => {
  const g = await connectClient(greeter.mcpUrl);
  try {
    const result = await callTool(g, 'hello', { name: 'Ada' });
    const text = (result.content[0] as any).text as string;
    t.regex(text, /^Hello Ada, it is \d{4}-\d\d-\d\dT/);
    t.notRegex(text, /remember/);
  } finally {
    await g.close();
  }
  const agents = await registryAgents(registry.url);
  const storage = agents.find((a) => a.id === greeter.agentId)!.dependency_resolutions!.find((d) => d.capability === 'storage')!;
  t.is(storage.status, 'unresolved');
});

test.serial('agents report their PM2-independent metadata and health endpoints', async (t) => {
  const { body: agent } = await getJson(registry.url, `/agents/${planner.agentId}`);
  t.is(agent.metadata?.pid, planner.pid);
  t.is(agent.metadata?.pm_id, undefined);
  const { body: health } = await getJson(planner.endpoint, '/health');
  t.is(health.status, 'healthy');
  t.is(health.registry, 'connected');
  t.deepEqual(health.dependencies, { resolved: 2, total: 2 });
  t.is((await fetch(`${planner.endpoint}/ready`)).status, 200);
  t.is((await fetch(`${planner.endpoint}/livez`)).status, 200);
});
