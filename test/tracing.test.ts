// Tracing through the example chain as a user runs it: `pm2-mesh call plan_trip` → planner → weather-fast →
// time-service (and planner's self proxy) gives one trace whose spans link parent → child, at the registry
// (GET /traces, `pm2-mesh trace`) and at an OTLP/HTTP receiver run here that decodes what the real exporter sends.
import test from 'ava';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readOrCreateSecret, signCredential } from '../core/credentials.js';
import type { Span, TraceResponse, TracesResponse } from '../core/span-wire.js';
import { connectClient } from './support/agents.js';
import { startGateway } from './support/gateway.js';
import { startExampleMesh } from './support/mesh.js';
import { cli } from './support/pm2.js';
import { stopAll } from './support/processes.js';
import { getJson, startRegistry, type RegistryProc } from './support/registry.js';
import { waitFor } from './support/wait.js';

/** What the receiver decoded: OTLP/JSON spans with their resource's service.name. */
interface OtlpSpan {
  service: string;
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes: Record<string, unknown>;
}

const home = mkdtempSync(join(tmpdir(), 'mesh-trace-'));
const received: OtlpSpan[] = [];
const otlpRequests: { path: string; contentType: string }[] = [];
let receiver: Server;
let registry: RegistryProc;

function startReceiver(): Promise<string> {
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      otlpRequests.push({ path: req.url ?? '', contentType: req.headers['content-type'] ?? '' });
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as any;
      for (const rs of body.resourceSpans ?? []) {
        const service = rs.resource.attributes.find((a: any) => a.key === 'service.name')?.value.stringValue;
        for (const ss of rs.scopeSpans ?? []) {
          for (const s of ss.spans ?? []) {
            const attributes = Object.fromEntries((s.attributes ?? []).map((a: any) => [a.key, Object.values(a.value)[0]]));
            received.push({
              service,
              traceId: s.traceId,
              spanId: s.spanId,
              parentSpanId: s.parentSpanId || undefined,
              name: s.name,
              kind: s.kind,
              attributes,
            });
          }
        }
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  return new Promise((resolve) => receiver.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(receiver.address() as AddressInfo).port}`)));
}

test.before(async (t) => {
  t.timeout(90_000);
  const otlp = await startReceiver();
  ({ registry } = await startExampleMesh({
    agents: ['time-service', 'weather-fast', 'weather-precise', 'planner'],
    env: { OTEL_EXPORTER_OTLP_ENDPOINT: otlp, MCP_MESH_METRICS: 'true' },
  }));
});

test.after.always(async () => {
  await stopAll();
  receiver?.close();
  rmSync(home, { recursive: true, force: true });
});

const mesh = (args: string[]) => cli(home, [...args, '--registry', registry.url], { timeoutMs: 30_000 });

/** Each span's parent, by span id: the check that a trace is one tree, not loose spans. */
function parentOf(spans: Span[], span: Span): Span | undefined {
  return spans.find((s) => s.span_id === span.parent_span_id);
}

test.serial('pm2-mesh call starts one trace: cli → planner → weather-fast → time-service, linked parent → child', async (t) => {
  const called = await mesh(['call', 'trip_planning', '{"city":"Lisbon"}', '--json']);
  t.is(called.code, 0, called.stderr);
  const { trace_id: traceId, result } = JSON.parse(called.stdout) as { trace_id: string; result: { structuredContent: { trace_id: string } } };
  t.regex(traceId, /^[0-9a-f]{32}$/);
  t.is(result.structuredContent.trace_id, traceId, 'the handler reads its trace id with traceContext(extra)');

  // Agents send spans about once a second: wait for all seven hops.
  const trace = await waitFor('the whole trace at the registry', async () => {
    const { status, body } = await getJson<TraceResponse>(registry.url, `/traces/${traceId}`);
    return status === 200 && body.spans.length >= 7 ? body : undefined;
  });
  const spans = trace.spans;
  const find = (kind: string, agent: string, name: string) => spans.find((s) => s.kind === kind && s.agent_name === agent && s.name === name);
  const cliSpan = find('client', 'pm2-mesh', 'plan_trip')!;
  const plan = find('server', 'planner', 'plan_trip')!;
  const callWeather = spans.find((s) => s.kind === 'client' && s.agent_name === 'planner' && s.capability === 'weather')!;
  const forecast = find('server', 'weather-fast', 'forecast')!;
  const callTime = spans.find((s) => s.kind === 'client' && s.agent_name === 'weather-fast' && s.capability === 'time_service')!;
  const now = find('server', 'time-service', 'now')!;
  const callPacking = spans.find((s) => s.kind === 'client' && s.capability === 'packing_list')!;
  const packing = find('server', 'planner', 'packing_list')!;
  for (const s of [cliSpan, plan, callWeather, forecast, callTime, now, callPacking, packing]) t.truthy(s, JSON.stringify(spans, null, 1));
  t.is(cliSpan.parent_span_id, undefined, 'the CLI call is the root');
  t.is(parentOf(spans, plan), cliSpan);
  t.is(parentOf(spans, callWeather), plan);
  t.is(parentOf(spans, forecast), callWeather);
  t.is(parentOf(spans, callTime), forecast);
  t.is(parentOf(spans, now), callTime);
  t.is(parentOf(spans, callPacking), plan);
  t.is(parentOf(spans, packing), callPacking, 'the self proxy is a hop of its own, in-process');
  t.is(callWeather.peer_agent_id?.startsWith('weather-fast-'), true);
  t.is(forecast.peer_agent_id, callWeather.agent_id, 'the provider knows which mesh agent called');
  t.true(spans.every((s) => s.outcome === 'ok' && s.trace_id === traceId));
  t.true(plan.duration_ms >= callWeather.duration_ms && callWeather.duration_ms >= forecast.duration_ms);

  // GET /traces lists it, and pm2-mesh trace --last prints the tree with each hop's time.
  const { body: list } = await getJson<TracesResponse>(registry.url, '/traces?limit=5');
  t.like(
    list.traces.find((x) => x.trace_id === traceId),
    { root: 'plan_trip', root_agent: 'pm2-mesh', spans: 8, errors: 0 },
  );
  const shown = await mesh(['trace', traceId.slice(0, 8)]);
  t.is(shown.code, 0, shown.stderr);
  const lines = shown.stdout.trim().split('\n');
  t.regex(lines[0]!, new RegExp(`trace ${traceId}.*8 spans.*no errors`));
  t.regex(shown.stdout, / [\d.]+ m?s .*plan_trip @planner/);
  t.regex(shown.stdout, /│  └─ forecast @weather-fast/);
  t.regex(shown.stdout, /└─ now @time-service/);
  t.regex(shown.stdout, /→ time_service \(time-service\)/);

  // The same trace, linked the same way, at the OTLP receiver: decoded from what the OpenTelemetry exporter sent.
  const exported = await waitFor('the trace at the OTLP receiver', () => {
    const mine = received.filter((s) => s.traceId === traceId);
    return mine.length >= 7 ? mine : undefined;
  });
  t.true(otlpRequests.every((r) => r.path === '/v1/traces' && r.contentType.startsWith('application/json')));
  const otel = (id: string) => exported.find((s) => s.spanId === id)!;
  t.like(otel(now.span_id), { service: 'time-service', name: 'tools/call now', kind: 2 /* SERVER */, parentSpanId: callTime.span_id });
  t.like(otel(callTime.span_id), { service: 'weather-fast', kind: 3 /* CLIENT */, parentSpanId: forecast.span_id });
  t.like(otel(forecast.span_id), { service: 'weather-fast', parentSpanId: callWeather.span_id });
  t.like(otel(callWeather.span_id), { service: 'planner', parentSpanId: plan.span_id });
  t.like(otel(plan.span_id), { service: 'planner', parentSpanId: cliSpan.span_id });
  t.like(otel(now.span_id).attributes, { 'mcp.method.name': 'tools/call', 'gen_ai.tool.name': 'now', 'mesh.capability': 'time_service' });
});

test.serial("a caller's traceparent in MCP _meta (a client that cannot set headers) is continued", async (t) => {
  const parent = `00-${'ab'.repeat(16)}-${'cd'.repeat(8)}-01`;
  const { Client } = await import('@modelcontextprotocol/sdk/client/index.js');
  const { StreamableHTTPClientTransport } = await import('@modelcontextprotocol/sdk/client/streamableHttp.js');
  const { body } = await getJson<{ agents: { name: string; endpoint: string }[] }>(registry.url, '/agents');
  const time = body.agents.find((a) => a.name === 'time-service')!;
  const client = new Client({ name: 'trace-test', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(`${time.endpoint}/mcp`)));
  try {
    // _meta only: a client that cannot set headers.
    await client.callTool({ name: 'now', arguments: {}, _meta: { traceparent: parent } });
  } finally {
    await client.close();
  }
  const trace = await waitFor('the continued trace', async () => {
    const { status, body } = await getJson<TraceResponse>(registry.url, `/traces/${'ab'.repeat(16)}`);
    return status === 200 ? body : undefined;
  });
  t.is(trace.spans[0]!.parent_span_id, 'cd'.repeat(8));
  t.is(trace.spans[0]!.agent_name, 'time-service');
});

test.serial('malformed span batches get 400 JSON naming the field, and change nothing', async (t) => {
  const before = (await getJson<TracesResponse>(registry.url, '/traces?limit=1000')).body;
  const post = async (body: string) => {
    const res = await fetch(`${registry.url}/traces`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    return { status: res.status, type: res.headers.get('content-type') ?? '', body: (await res.json()) as { error: string } };
  };
  const good = {
    trace_id: 'f'.repeat(32),
    span_id: 'e'.repeat(16),
    kind: 'server',
    name: 'x',
    agent_id: 'a-1',
    agent_name: 'a',
    start_ms: 1,
    duration_ms: 1,
    outcome: 'ok',
  };
  const cases: [string, RegExp][] = [
    ['{', /Invalid JSON/],
    ['[]', /body: must be a JSON object/],
    ['{}', /spans is required/],
    ['{"spans":[]}', /spans: must hold at least one span/],
    [JSON.stringify({ spans: [{ ...good, trace_id: 'XYZ' }] }), /spans\.0\.trace_id: must be 32 lowercase hex digits/],
    [JSON.stringify({ spans: [good, { ...good, duration_ms: -1 }] }), /spans\.1\.duration_ms/],
    [JSON.stringify({ spans: [{ ...good, kind: 'producer' }] }), /spans\.0\.kind/],
    [JSON.stringify({ spans: [{ ...good, outcome: undefined }] }), /spans\.0\.outcome: .*expected one of/],
  ];
  for (const [body, error] of cases) {
    const answer = await post(body);
    t.is(answer.status, 400, body);
    t.regex(answer.type, /application\/json/);
    t.regex(answer.body.error, error, body);
  }
  const after = (await getJson<TracesResponse>(registry.url, '/traces?limit=1000')).body;
  t.is(after.stored, before.stored);
  t.is((await getJson(registry.url, `/traces/${'f'.repeat(32)}`)).status, 404);
  t.is((await getJson(registry.url, '/traces/not-a-trace')).status, 400);
});

test.serial('GET /traces/edges and /metrics count the calls per dependency edge', async (t) => {
  const { body } = await getJson<{ edges: { caller_name: string; capability: string; provider_name: string; calls: number; p95_ms: number }[] }>(
    registry.url,
    '/traces/edges',
  );
  const edge = body.edges.find((e) => e.caller_name === 'planner' && e.capability === 'weather');
  t.like(edge, { provider_name: 'weather-fast' });
  t.true(edge!.calls >= 1 && edge!.p95_ms > 0);
  const metrics = await (await fetch(`${registry.url}/metrics`)).text();
  t.regex(metrics, /mesh_dependency_calls_total\{caller="planner",capability="weather",provider="weather-fast"\} [1-9]/);
  t.regex(metrics, /mesh_dependency_call_duration_seconds_bucket\{caller="planner",capability="weather",provider="weather-fast",le="\+Inf"\} [1-9]/);
});

/** Checks the text exposition line by line: every sample belongs to a family announced by # HELP and # TYPE. */
function exposition(text: string): Map<string, string> {
  const types = new Map<string, string>();
  for (const line of text.trim().split('\n')) {
    const type = /^# TYPE (\S+) (counter|gauge|histogram|summary)$/.exec(line);
    if (type) types.set(type[1]!, type[2]!);
    if (line.startsWith('#')) continue;
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (-?[0-9.e+-]+|NaN|\+Inf)$/.exec(line);
    if (!sample) throw new Error(`not a sample line: ${line}`);
    const family = sample[1]!.replace(/_(bucket|sum|count)$/, '');
    if (!types.has(sample[1]!) && !types.has(family)) throw new Error(`sample of an undeclared family: ${line}`);
  }
  return types;
}

test.serial("Prometheus: the registry's and an agent's /metrics, histograms for latencies, process metrics under standard names", async (t) => {
  const registryText = await (await fetch(`${registry.url}/metrics`)).text();
  const registryTypes = exposition(registryText);
  t.is(registryTypes.get('mesh_registry_http_request_duration_seconds'), 'histogram');
  t.regex(registryText, /mesh_registry_http_request_duration_seconds_bucket\{method="GET",route="\/agents",le="0\.005"\} \d+/);
  t.regex(registryText, /mesh_registry_http_request_duration_seconds_count\{method="POST",route="\/heartbeat"\} [1-9]/);
  for (const name of ['process_cpu_seconds_total', 'process_resident_memory_bytes', 'process_start_time_seconds', 'nodejs_heap_size_used_bytes']) {
    t.regex(registryText, new RegExp(`^${name} \\d`, 'm'), name);
  }
  const { body } = await getJson<{ agents: { name: string; endpoint: string }[] }>(registry.url, '/agents');
  const planner = body.agents.find((a) => a.name === 'planner')!;
  const agentText = await (await fetch(`${planner.endpoint}/metrics`)).text();
  const agentTypes = exposition(agentText);
  t.is(agentTypes.get('mesh_agent_tool_call_duration_seconds'), 'histogram');
  t.regex(agentText, /^mesh_agent_tool_calls_total [1-9]/m);
  t.regex(agentText, /^mesh_agent_dependency_calls_total [1-9]/m);
  t.regex(agentText, /^mesh_agent_dependencies\{state="resolved"\} 2$/m);
  t.regex(agentText, /^process_resident_memory_bytes \d+/m);
});

test("with agent credentials (--secret-file), POST /traces needs one: an agent's is enough, none is 401", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'mesh-trace-secret-'));
  const secretFile = join(dir, 'secret');
  const secured = await startRegistry({ secretFile });
  try {
    const credential = signCredential(readOrCreateSecret(secretFile), { agent: 'time-service' });
    const spans = [
      {
        trace_id: 'c'.repeat(32),
        span_id: 'd'.repeat(16),
        kind: 'server',
        name: 'now',
        agent_id: 'time-service-1',
        agent_name: 'time-service',
        start_ms: 1,
        duration_ms: 1,
        outcome: 'ok',
      },
    ];
    const post = (headers: Record<string, string>) =>
      fetch(`${secured.url}/traces`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ spans }),
      });
    const refused = await post({});
    t.is(refused.status, 401);
    t.regex(((await refused.json()) as { error: string }).error, /POST \/traces needs Authorization/);
    t.is((await post({ authorization: `Bearer ${credential}` })).status, 202);
  } finally {
    await secured.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test.serial("the gateway is a hop of its caller's trace: traceparent in, its own span, the provider continues from it", async (t) => {
  const gateway = await startGateway(['--registry', registry.url]);
  const traceId = 'e1'.repeat(16);
  const callerSpan = 'f2'.repeat(8);
  const client = await connectClient(gateway.url);
  try {
    await waitFor('plan_trip in the gateway', async () => (await client.listTools()).tools.some((tool) => tool.name === 'plan_trip'));
    // A host that can set headers would send it as one; this one uses _meta.
    await client.callTool({ name: 'plan_trip', arguments: { city: 'Porto' }, _meta: { traceparent: `00-${traceId}-${callerSpan}-01` } });
  } finally {
    await client.close();
  }
  const trace = await waitFor('the gateway hop and the planner at the registry', async () => {
    const { status, body } = await getJson<TraceResponse>(registry.url, `/traces/${traceId}`);
    return status === 200 &&
      body.spans.some((s) => s.agent_name === 'gateway') &&
      body.spans.some((s) => s.name === 'plan_trip' && s.kind === 'server')
      ? body
      : undefined;
  });
  const hop = trace.spans.find((s) => s.agent_name === 'gateway')!;
  t.like(hop, { kind: 'client', parent_span_id: callerSpan, name: 'plan_trip', outcome: 'ok' });
  t.regex(hop.peer_agent_id ?? '', /^planner-/);
  const served = trace.spans.find((s) => s.name === 'plan_trip' && s.kind === 'server')!;
  t.is(served.parent_span_id, hop.span_id);
});
