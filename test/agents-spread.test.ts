// Spreading calls over equally good providers, with real processes: three identical `weather` providers and one
// consumer (fair shares; kill -9 of one: the others share and no call fails; back: used again), a preferred tag, the
// consumer's own selection function and ranking filter (and ones that throw), weights 1:3 and a lower version that
// stays failover only, and `pm2-mesh call` and `pm2-mesh deps` over the same providers.
import test from 'ava';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { painter } from '../core/text/colour.js';
import type { AgentCallsResponse } from '../core/wire.js';
import { DashboardDataSource } from '../tui/data-source.js';
import { wiringLines } from '../tui/view-model.js';
import { callTool, connectClient, fixtureAgentPath, startAgent, type AgentProc } from './support/agents.js';
import { startGateway } from './support/gateway.js';
import { cli } from './support/pm2.js';
import { stopAll, tempDir } from './support/processes.js';
import { agentPayload, postHeartbeat, spawnRegistry, type RegistryProc } from './support/registry.js';
import { sleep, waitFor } from './support/wait.js';

const PROVIDER = fixtureAgentPath('spread-provider');
const home = tempDir('mesh-spread-'); // a PM2_HOME with no daemon, for the CLI
const mesh = (args: string[]) => cli(home.dir, [...args, '--registry', registry.url], { timeoutMs: 30_000 });
let registry: RegistryProc;
let consumer: AgentProc;
let client: Client;
const weather: Record<string, AgentProc> = {};
let env: Record<string, string>;

/** Starts a provider with a fixed agent id (so that it comes back as itself). */
const startProvider = (id: string, extra: Record<string, string> = {}) =>
  startAgent(PROVIDER, { ...env, MCP_MESH_AGENT_ID: id, MCP_MESH_AGENT_NAME: id.replace(/-\d+$/, ''), ...extra });

interface Fan {
  by: Record<string, number>;
  failed: number;
  errors: string[];
}

async function fan(dep: string, n: number, parallel = 4): Promise<Fan> {
  const result = await callTool(client, 'fan', { dep, n, parallel });
  if (result.isError) throw new Error(JSON.stringify(result.content));
  return result.structuredContent as unknown as Fan;
}

const calls = async (): Promise<AgentCallsResponse> => (await fetch(`${consumer.endpoint}/calls`)).json() as Promise<AgentCallsResponse>;

/** Waits until the consumer's wiring of `dep` has `sharing` providers sharing (as GET /calls reports it). */
const waitSharing = (dep: string, sharing: number) =>
  waitFor(`${dep} shared by ${sharing}`, async () => {
    const d = (await calls()).dependencies.find((x) => x.key === dep);
    return d && d.providers.filter((p) => p.sharing).length === sharing ? d : undefined;
  });

test.before(async () => {
  registry = await spawnRegistry({ args: ['--timeout', '3', '--health-interval', '1'] });
  env = { MCP_MESH_REGISTRY_URL: registry.url, MCP_MESH_HEALTH_INTERVAL: '1' };
  const started = await Promise.all([
    startProvider('weather-1'),
    startProvider('weather-2'),
    startProvider('weather-3', { SPREAD_TAGS: 'eu' }),
    startProvider('gauge-light', { SPREAD_CAPABILITY: 'gauge', MCP_MESH_WEIGHT: '1' }),
    startProvider('gauge-heavy', { SPREAD_CAPABILITY: 'gauge', MCP_MESH_WEIGHT: '3' }),
    startProvider('gauge-old', { SPREAD_CAPABILITY: 'gauge', MCP_MESH_AGENT_VERSION: '0.9.0', MCP_MESH_WEIGHT: '100' }),
    startAgent(fixtureAgentPath('spread-consumer'), env),
  ]);
  for (const p of started.slice(0, 3)) weather[p.agentId] = p;
  consumer = started.at(-1)!;
  client = await connectClient(consumer.mcpUrl);
  await waitSharing('plain', 3);
  await waitSharing('weighted', 2);
});

test.after.always(async () => {
  await client?.close();
  await stopAll();
  home.remove();
});

test.serial('three equal providers share the calls fairly; the topology line says so', async (t) => {
  const result = await fan('plain', 300, 4);
  t.is(result.failed, 0, result.errors.join('; '));
  // Fair share is 100 each; least-inflight follows the providers' real speed, so hold only half of it.
  for (const id of Object.keys(weather)) t.true((result.by[id] ?? 0) >= 50, `${id}: ${JSON.stringify(result.by)}`);
  const sequential = await fan('rr', 300, 1);
  t.deepEqual(Object.values(sequential.by).sort(), [100, 100, 100], 'round-robin, one at a time: exactly a third each');
  t.truthy(
    consumer.lines.find((l) => /fan\.plain→weather-1\/forecast\(3 sharing\)/.test(l.text)),
    consumer.output(),
  );
  const report = (await calls()).dependencies.find((d) => d.key === 'plain')!;
  t.is(report.strategy, 'least-inflight');
  t.is(report.calls, 300);
  t.is(Math.round(report.providers.reduce((sum, p) => sum + p.share, 0) * 100), 100);
  t.log(`least-inflight, 4 in flight: ${JSON.stringify(result.by)}; round-robin one at a time: ${JSON.stringify(sequential.by)}`);
});

test.serial('kill -9 of one: no call fails, the other two share; it comes back: it is used again', async (t) => {
  const during = fan('plain', 600, 4);
  await sleep(150);
  weather['weather-1']!.signal('SIGKILL');
  await weather['weather-1']!.exited;
  const first = await during;
  t.is(first.failed, 0, first.errors.join('; '));
  // One call at a time, so the share does not depend on how the machine schedules the providers: no call is ever in
  // flight when the next one is placed, and least-inflight turns round-robin among the equal providers.
  const after = await fan('plain', 200, 1);
  t.is(after.failed, 0, after.errors.join('; '));
  t.deepEqual(after.by, { 'weather-2': 100, 'weather-3': 100 });
  await waitSharing('plain', 2);
  weather['weather-1'] = await startProvider('weather-1');
  await waitSharing('plain', 3);
  const back = await fan('plain', 300, 1);
  t.is(back.failed, 0);
  t.deepEqual(back.by, { 'weather-1': 100, 'weather-2': 100, 'weather-3': 100 }, 'the provider that came back has its third again');
  t.log(`during the kill: ${JSON.stringify(first.by)}; after: ${JSON.stringify(after.by)}; back: ${JSON.stringify(back.by)}`);
});

test.serial('a preferred tag ranks one provider first: it alone serves, the others are failover', async (t) => {
  const result = await fan('preferEu', 60);
  t.deepEqual(result.by, { 'weather-3': 60 });
  const report = (await calls()).dependencies.find((d) => d.key === 'preferEu')!;
  t.deepEqual(
    report.providers.map((p) => [p.agent_id, p.sharing, p.rank]),
    [
      ['weather-3', true, 0],
      ['weather-1', false, 1],
      ['weather-2', false, 1],
    ],
  );
});

test.serial('the consumer’s own selection function and ranking filter are honoured', async (t) => {
  t.deepEqual((await fan('pickEu', 60)).by, { 'weather-3': 60 }, 'select: the one tagged eu');
  const filtered = await fan('notEu', 100);
  t.deepEqual(Object.keys(filtered.by).sort(), ['weather-1', 'weather-2'], 'filter: all but the one tagged eu share');
  const report = (await calls()).dependencies.find((d) => d.key === 'notEu')!;
  t.true(report.filter);
  t.deepEqual(
    report.providers.map((p) => [p.agent_id, p.sharing]),
    [
      ['weather-1', true],
      ['weather-2', true],
      ['weather-3', false],
    ],
  );
});

test.serial('a selection function or filter that throws falls back to the default, logged once', async (t) => {
  for (const dep of ['badSelect', 'badFilter']) {
    const result = await fan(dep, 90);
    t.is(result.failed, 0);
    t.deepEqual(Object.keys(result.by).sort(), ['weather-1', 'weather-2', 'weather-3'], `${dep}: ${JSON.stringify(result.by)}`);
  }
  await fan('badSelect', 30);
  t.is(
    consumer.lines.filter((l) => /fan\.badSelect: selection function threw \(selection broke\); using least-inflight/.test(l.text)).length,
    1,
    consumer.output(),
  );
  t.is(consumer.lines.filter((l) => /fan\.badFilter: ranking filter threw \(filter broke\)/.test(l.text)).length, 1, consumer.output());
});

test.serial('weights 1:3 give about 1:3; a lower version stays failover only', async (t) => {
  const result = await fan('weighted', 400, 4);
  t.is(result.failed, 0);
  const light = result.by['gauge-light'] ?? 0;
  const heavy = result.by['gauge-heavy'] ?? 0;
  // Smooth weighted round-robin is exact over any window; hold 2.5-3.5 so that a failed-over call cannot break it.
  t.true(heavy / light >= 2.5 && heavy / light <= 3.5, JSON.stringify(result.by));
  t.false('gauge-old' in result.by, 'the 0.9.0 provider (weight 100) gets nothing while 1.0.0 ones are up');
  const report = (await calls()).dependencies.find((d) => d.key === 'weighted')!;
  t.deepEqual(
    report.providers.map((p) => [p.agent_id, p.sharing, p.weight]),
    [
      ['gauge-heavy', true, 3],
      ['gauge-light', true, 1],
      ['gauge-old', false, 100],
    ],
  );
  t.log(`weights 1:3 → ${light}:${heavy}`);
});

test.serial('pm2-mesh deps shows the providers sharing each dependency and their share; pm2-mesh call spreads too', async (t) => {
  const deps = await mesh(['deps', consumer.agentId]);
  t.is(deps.code, 0, deps.stderr);
  t.regex(deps.stdout, /fan\.plain\s+least-inflight\s+weather-2\s+sharing\s+\d+\s+\d+\.\d%/);
  const json = JSON.parse((await mesh(['deps', consumer.agentId, '--json'])).stdout);
  const report = json.calls as AgentCallsResponse;
  t.true(
    report.dependencies.every((d) => d.providers.every((p) => p.in_flight === 0)),
    'every call ended, through rewires too',
  );
  const plain = report.dependencies.find((d) => d.key === 'plain')!;
  t.is(plain.providers.filter((p) => p.sharing).length, 3);
  const served = new Set<string>();
  for (let i = 0; i < 12 && served.size < 2; i++) {
    const out = await mesh(['call', 'weather', '--json']);
    t.is(out.code, 0, out.stderr);
    served.add(JSON.parse(out.stdout).provider.agent_id);
  }
  t.true(served.size >= 2, `pm2-mesh call spread over ${[...served].join(', ')}`);
  t.log(deps.stdout);
});

test.serial('the dashboard’s wiring pane shows the providers sharing each dependency and their share', async (t) => {
  const source = new DashboardDataSource({ registryUrl: registry.url, pollIntervalMs: 200 });
  source.start();
  try {
    await waitFor('the consumer listed', () => source.state.agents.find((a) => a.id === consumer.agentId));
    source.watchCalls(consumer.agentId);
    const state = await waitFor('its figures read', () => (source.state.calls?.report ? source.state : undefined));
    const agent = state.agents.find((a) => a.id === consumer.agentId)!;
    const lines = wiringLines(agent, state.agents, 120, painter(false), state.calls);
    t.true(
      lines.some((l) => /^ {6}shared: (\S+ \d+%( · )?){3} \(\d+ calls, least-inflight\)$/.test(l)),
      lines.join('\n'),
    );
    t.true(
      lines.some((l) => /^ {6}shared: gauge-heavy 75% · gauge-light 25% \(400 calls, weighted\)$/.test(l)),
      lines.join('\n'),
    );
    t.log(lines.join('\n'));
  } finally {
    source.stop();
  }
});

test.serial('the gateway spreads a tool’s calls over the same equal providers', async (t) => {
  const gateway = await startGateway(['--registry', registry.url, '--capability', 'weather']);
  const host = await connectClient(gateway.url);
  try {
    // The gateway names a capability's tool after its providers' tool (`forecast`) when that name is free.
    await waitFor('the gateway offers forecast', async () => (await host.listTools()).tools.some((tool) => tool.name === 'forecast'));
    const by: Record<string, number> = {};
    for (let i = 0; i < 60; i++) {
      const result = await callTool(host, 'forecast');
      const who = (result.structuredContent as { by: string }).by;
      by[who] = (by[who] ?? 0) + 1;
    }
    t.deepEqual(Object.keys(by).sort(), ['weather-1', 'weather-2', 'weather-3'], JSON.stringify(by));
    t.log(`through the gateway, one call at a time: ${JSON.stringify(by)}`);
  } finally {
    await host.close();
    gateway.signal('SIGKILL');
  }
});

test.serial('a weight travels as the tool’s kwargs.weight: MCP Mesh’s kwargs are kept and handed back; a bad weight is a 400', async (t) => {
  const tool = (kwargs: Record<string, unknown>) => [{ function_name: 'f', capability: 'kw_cap', kwargs }];
  const bad = await postHeartbeat(registry.url, agentPayload('kw-bad', { tools: tool({ weight: -2 }) as never }));
  t.is(bad.status, 400);
  t.is(bad.body.error, 'tools.0.kwargs.weight: must be a positive number');
  t.is(
    (await postHeartbeat(registry.url, agentPayload('kw-provider', { tools: tool({ weight: 2, timeout: 30, streaming: false }) as never }))).status,
    200,
  );
  const consumerAnswer = await postHeartbeat(
    registry.url,
    agentPayload('kw-consumer', { http_port: 9001, tools: [{ function_name: 'g', dependencies: [{ capability: 'kw_cap' }] }] }),
  );
  t.deepEqual(
    consumerAnswer.body.dependencies_resolved.g![0]!.kwargs,
    { weight: 2, timeout: 30, streaming: false },
    'as MCP Mesh 3.7.1 answers them',
  );
  t.like(consumerAnswer.body.dependency_alternatives.g![0]![0], {
    agent_id: 'kw-provider',
    rank: 0,
    version: '1.0.0',
    tags: [],
    kwargs: { weight: 2, timeout: 30, streaming: false },
  });
});
