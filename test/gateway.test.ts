// The gateway as an MCP host sees it: the example mesh (planner → weather → time-service, greeter) plus a test
// provider, as real processes; `pm2-mesh gateway` as a real process; the SDK's own Client over Streamable HTTP.
import test from 'ava';
import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';
import { connectClient, fixtureAgentPath, startAgent, type AgentProc } from './support/agents.js';
import { connectWatching, startGateway, toolNames, type GatewayProc, type WatchingClient } from './support/gateway.js';
import { startExampleMesh } from './support/mesh.js';
import { stopAll } from './support/processes.js';
import { spawnRegistry, waitHealthy, type RegistryProc } from './support/registry.js';
import { waitFor } from './support/wait.js';

let registry: RegistryProc;
let gateway: GatewayProc;
let host: WatchingClient;
let env: Record<string, string>;
const agents: Record<string, AgentProc> = {};
// Agents heartbeat every second, so that the registry can time out a killed one after 3 s.
const REGISTRY_ARGS = ['--timeout', '3'];

test.before(async () => {
  const mesh = await startExampleMesh({ registryArgs: REGISTRY_ARGS, env: { MCP_MESH_HEALTH_INTERVAL: '1' } });
  ({ registry, env } = mesh);
  Object.assign(agents, mesh.agents);
  agents.fixture = await startAgent(fixtureAgentPath('gateway-provider'), { ...env, MCP_MESH_AGENT_NAME: 'fixture', FIXTURE_MARINE: '1' });
  await waitHealthy(registry.url, [agents.fixture.agentId]);
  gateway = await startGateway(['--registry', registry.url, '--timeout', '2']);
  host = await connectWatching(gateway.url);
});

test.after.always(async () => {
  await host?.client.close().catch(() => undefined);
  await stopAll();
});

const healthOf = async () => (await fetch(gateway.healthUrl)).json() as Promise<{ registry: string; tools: number; calls_in_flight: number }>;

test.serial('each capability is one tool, with the definition its provider serves; a shared name is told apart by capability', async (t) => {
  const { tools } = await host.client.listTools();
  t.deepEqual(tools.map((tool) => tool.name).sort(), [
    'count',
    'fail',
    'hang',
    'hello',
    'marine_weather',
    'now',
    'packing_list',
    'plan_trip',
    'weather',
  ]);
  const count = tools.find((tool) => tool.name === 'count')!;
  t.is(count.title, 'Count slowly');
  t.is(count.description, 'Counts to n, one progress notification per step');
  t.deepEqual(count.annotations, { readOnlyHint: true });
  t.deepEqual(Object.keys(count.inputSchema.properties ?? {}).sort(), ['n', 'step_ms']);
  // Two providers of `weather`, ranked as the resolver ranks them: the higher version first, with its output schema.
  const weather = tools.find((tool) => tool.name === 'weather')!;
  t.is(weather.description, 'Weather for a city (one decimal, humidity)');
  t.truthy(weather.outputSchema);
  t.is(tools.find((tool) => tool.name === 'marine_weather')!.description, 'Sea state for a coast');
});

test.serial('a call crosses planner → weather → time-service', async (t) => {
  const result = await host.client.callTool({ name: 'plan_trip', arguments: { city: 'Lisbon' } });
  t.falsy(result.isError, JSON.stringify(result));
  const plan = result.structuredContent as { city: string; weather: { clock: string; source: string } };
  t.is(plan.city, 'Lisbon');
  t.is(plan.weather.clock, 'time_service');
  t.is(plan.weather.source, 'weather-fast');
  const marine = await host.client.callTool({ name: 'marine_weather', arguments: { coast: 'Algarve' } });
  t.deepEqual(marine.structuredContent, { coast: 'Algarve', waves_m: 1.5 });
});

test.serial('an unknown tool is an MCP error naming it and the near names', async (t) => {
  const error = await t.throwsAsync(host.client.callTool({ name: 'plan_trp', arguments: {} }), { instanceOf: McpError });
  t.is((error as McpError).code, ErrorCode.InvalidParams);
  t.regex(error!.message, /unknown tool "plan_trp"; did you mean "plan_trip"/);
});

test.serial("error results and the provider's own argument errors pass through unchanged", async (t) => {
  const failed = await host.client.callTool({ name: 'fail', arguments: {} });
  t.deepEqual(failed, { content: [{ type: 'text', text: 'it failed on purpose' }], isError: true });
  const direct = await connectClient(agents.planner!.mcpUrl);
  const straight = await direct.callTool({ name: 'plan_trip', arguments: { city: '' } });
  await direct.close();
  const through = await host.client.callTool({ name: 'plan_trip', arguments: { city: '' } });
  t.true(through.isError === true);
  t.deepEqual(through, straight);
});

test.serial('progress notifications reach the caller as the provider sends them', async (t) => {
  const seen: { progress: number; total?: number; message?: string }[] = [];
  const result = await host.client.callTool({ name: 'count', arguments: { n: 5, step_ms: 10 } }, undefined, { onprogress: (p) => seen.push(p) });
  t.deepEqual(result.structuredContent, { counted: 5 });
  t.deepEqual(
    seen,
    [1, 2, 3, 4, 5].map((i) => ({ progress: i, total: 5, message: `step ${i}` })),
  );
});

test.serial("the caller's cancellation reaches the provider", async (t) => {
  const fixture = agents.fixture!;
  const abort = new AbortController();
  const call = host.client.callTool({ name: 'hang', arguments: { label: 'c1' } }, undefined, { signal: abort.signal });
  await fixture.waitForLine(/hang started c1/);
  abort.abort('changed my mind');
  await t.throwsAsync(call);
  await fixture.waitForLine(/hang cancelled c1 \(0 hanging\)/);
  await waitFor('no call in flight', async () => (await healthOf()).calls_in_flight === 0);
  t.pass();
});

test.serial('a call that hangs ends with a timeout error and leaves nothing behind', async (t) => {
  const fixture = agents.fixture!;
  const started = Date.now();
  const error = await t.throwsAsync(host.client.callTool({ name: 'hang', arguments: { label: 't1' } }), { instanceOf: McpError });
  t.log(`timed out after ${Date.now() - started} ms (gateway --timeout 2)`);
  t.is((error as McpError).code, ErrorCode.RequestTimeout);
  t.regex(error!.message, /hang: fixture-\S+ gave no answer within 2 s; the call was cancelled/);
  // The provider was told: its handler saw the cancellation, nothing hangs there or in the gateway.
  await fixture.waitForLine(/hang cancelled t1 \(0 hanging\)/);
  t.is((await healthOf()).calls_in_flight, 0);
});

test.serial('tools/list_changed arrives when an agent stops and when one joins; the list follows', async (t) => {
  let change = host.nextChange();
  const stoppedAt = Date.now();
  agents.greeter!.signal('SIGTERM');
  await change;
  t.log(`greeter SIGTERM → list_changed in ${Date.now() - stoppedAt} ms`);
  t.false((await toolNames(host.client)).includes('hello'));
  change = host.nextChange();
  const startedAt = Date.now();
  agents.greeter = await startAgent('greeter', env);
  await change;
  t.log(`greeter spawned → list_changed in ${Date.now() - startedAt} ms`);
  t.true((await toolNames(host.client)).includes('hello'));
});

test.serial('the provider a call goes to is killed with -9: calls keep succeeding on the other one', async (t) => {
  const before = await host.client.callTool({ name: 'weather', arguments: { city: 'Oslo' } });
  t.is((before.structuredContent as { source: string }).source, 'weather-precise');
  agents['weather-precise']!.signal('SIGKILL');
  await agents['weather-precise']!.exited;
  const sources = new Set<string>();
  for (let i = 0; i < 20; i++) {
    const result = await host.client.callTool({ name: 'weather', arguments: { city: `City ${i}` } });
    t.falsy(result.isError, JSON.stringify(result));
    sources.add((result.structuredContent as { source: string }).source);
  }
  t.deepEqual([...sources], ['weather-fast']);
});

test.serial('the registry is killed: calls keep succeeding; the list catches up when it is back', async (t) => {
  // Greeter leaves first, so that the registry's return has news for the gateway.
  let change = host.nextChange();
  agents.greeter!.signal('SIGTERM');
  await change;
  const linesBefore = gateway.lines.length;
  registry.signal('SIGKILL');
  await registry.exited;
  await gateway.waitForLine(/registry unreachable at .*serving the last tool list and calling known providers/, 20_000, linesBefore);
  for (let i = 0; i < 10; i++) {
    const result = await host.client.callTool({ name: 'plan_trip', arguments: { city: `Town ${i}` } });
    t.falsy(result.isError, JSON.stringify(result));
  }
  t.is((await healthOf()).registry, 'down');
  const unreachableLines = gateway.lines.slice(linesBefore).filter((l) => /registry unreachable/.test(l.text));
  t.is(unreachableLines.length, 1, 'says so once');

  registry = await spawnRegistry({ port: registry.port, args: REGISTRY_ARGS });
  await gateway.waitForLine(/registry back at/, 30_000, linesBefore);
  change = host.nextChange(30_000);
  agents.greeter = await startAgent('greeter', env);
  await change;
  await waitFor('hello listed', async () => (await toolNames(host.client)).includes('hello'));
  const result = await host.client.callTool({ name: 'hello', arguments: { name: 'Ada' } });
  t.regex((result.content as { text: string }[])[0]!.text, /Hello Ada/);
});
