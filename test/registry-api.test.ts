// The registry's HTTP API end to end, on loopback: register, light heartbeats (200/202/410), unregister, reads,
// capability search, events (paged and SSE with resume), topology long-poll, errors, token, PM2 process exits.
import test from 'ava';
import { request } from 'node:http';
import { agentPayload, getJson, headHeartbeat, postHeartbeat, startRegistry } from './support/registry.js';

const provider = (id: string, capability: string, version = '1.0.0', tags: string[] = [], port = 9100) =>
  agentPayload(id, { http_port: port, tools: [{ function_name: `${capability}_fn`, capability, version, tags }] });

const consumer = (id: string, dependencies: unknown[], port = 9200) =>
  agentPayload(id, { http_port: port, tools: [{ function_name: 'use', capability: `${id}_cap`, dependencies: dependencies as never }] });

test('a consumer is wired to the provider, HEAD says 202 when that changes, 410 once gone', async (t) => {
  const registry = await startRegistry();
  t.teardown(() => registry.close());
  const url = registry.url;

  const first = await postHeartbeat(url, consumer('greeter-00000001', [{ capability: 'time_service', version: '>=1.0.0' }, 'nothing_here']));
  t.is(first.status, 200);
  t.is(first.body.message, 'Agent registered via heartbeat');
  t.deepEqual(
    first.body.dependencies_resolved.use!.map((d) => d.status),
    ['unresolved', 'unresolved'],
  );
  t.is(await headHeartbeat(url, 'greeter-00000001'), 200);

  const timesvc = await postHeartbeat(url, provider('timesvc-00000002', 'time_service', '1.2.0', ['fast'], 9101));
  t.deepEqual(timesvc.body.dependencies_resolved, {}, 'a provider without dependencies gets {}');
  t.is(await headHeartbeat(url, 'greeter-00000001'), 202, 'a provider joined: POST again');
  t.is(await headHeartbeat(url, 'greeter-00000001'), 202, 'and again until it does');
  t.is(await headHeartbeat(url, 'timesvc-00000002'), 200, 'the provider itself has nothing new');

  const refreshed = await postHeartbeat(url, consumer('greeter-00000001', [{ capability: 'time_service', version: '>=1.0.0' }, 'nothing_here']));
  t.is(refreshed.body.message, 'Agent updated via heartbeat');
  t.deepEqual(refreshed.body.dependencies_resolved.use![0], {
    agent_id: 'timesvc-00000002',
    capability: 'time_service',
    endpoint: 'http://127.0.0.1:9101',
    function_name: 'time_service_fn',
    status: 'available',
  });
  t.deepEqual(refreshed.body.dependencies_resolved.use![1], {
    agent_id: '',
    capability: 'nothing_here',
    endpoint: '',
    function_name: '',
    status: 'unresolved',
  });
  t.deepEqual(
    refreshed.body.dependency_alternatives.use![0]!.map((d) => d.agent_id),
    ['timesvc-00000002'],
  );
  t.regex(refreshed.body.topology_hash, /^[0-9a-f]{64}$/);
  t.is(await headHeartbeat(url, 'greeter-00000001'), 200);

  // A better provider (higher version) joins: chosen first, the other kept as the alternative.
  await postHeartbeat(url, provider('fasttime-00000003', 'time_service', '2.0.0', ['fast'], 9103));
  t.is(await headHeartbeat(url, 'greeter-00000001'), 202);
  const rewired = await postHeartbeat(url, consumer('greeter-00000001', [{ capability: 'time_service', version: '>=1.0.0' }, 'nothing_here']));
  t.deepEqual(
    rewired.body.dependency_alternatives.use![0]!.map((d) => d.agent_id),
    ['fasttime-00000003', 'timesvc-00000002'],
  );
  t.is(rewired.body.dependencies_resolved.use![0]!.agent_id, 'fasttime-00000003');

  const deleted = await fetch(`${url}/agents/fasttime-00000003`, { method: 'DELETE' });
  t.is(deleted.status, 204);
  t.is(await headHeartbeat(url, 'fasttime-00000003'), 410, 'unregistered: POST to come back');
  t.is(await headHeartbeat(url, 'greeter-00000001'), 202, 'its provider left');
  t.is(await headHeartbeat(url, 'nobody-00000000'), 410);
  t.is((await fetch(`${url}/agents/nobody-00000000`, { method: 'DELETE' })).status, 204, 'unknown id: 204 as in MCP Mesh');

  const gone = await getJson(url, '/agents/fasttime-00000003');
  t.is(gone.body.status, 'unhealthy', 'kept for audit');
  t.is(gone.body.status_reason, 'unregistered');
  t.false(gone.body.registered);
  const events = await getJson(url, '/events?agent_id=fasttime-00000003');
  t.deepEqual(
    events.body.events.map((e: any) => e.event_type),
    ['unregister', 'register'],
  );
  t.is(events.body.events[0].data.reason, 'graceful_shutdown');
  t.is(events.body.events[0].data.source, 'delete_endpoint');

  // Coming back after DELETE: a new registration, healthy again, resolvable again.
  const back = await postHeartbeat(url, provider('fasttime-00000003', 'time_service', '2.0.0', ['fast'], 9103));
  t.is(back.status, 200);
  t.is((await getJson(url, '/agents/fasttime-00000003')).body.status, 'healthy');
  t.true(
    registry.lines.some((line) => /register fasttime-00000003/.test(line)),
    'a log line per registration change',
  );
});

test('GET /agents has MCP Mesh fields and ours; GET /agents/:id; capability search by name, tags, version', async (t) => {
  const registry = await startRegistry();
  t.teardown(() => registry.close());
  const url = registry.url;
  await postHeartbeat(url, provider('a-00000001', 'storage', '1.0.0', ['fast', 'disk']));
  await postHeartbeat(url, provider('b-00000002', 'storage', '2.1.0', ['slow', 'disk']));
  await postHeartbeat(
    url,
    agentPayload('c-00000003', {
      http_port: 0,
      metadata: { pm_id: 4, pm2_name: 'c', pid: 1234 },
      tools: [{ function_name: 'f', capability: 'other', dependencies: [{ capability: 'storage', tags: ['+fast', ['disk', 'ssd']] }] }],
    }),
  );

  const list = await getJson(url, '/agents');
  t.is(list.status, 200);
  t.is(list.body.count, 3);
  t.is(typeof list.body.timestamp, 'string');
  const c = list.body.agents.find((a: any) => a.id === 'c-00000003');
  for (const field of [
    'id',
    'name',
    'agent_type',
    'runtime',
    'status',
    'endpoint',
    'version',
    'description',
    'created_at',
    'last_seen',
    'capabilities',
    'total_dependencies',
    'dependencies_resolved',
    'dependency_resolutions',
    'a2a_consumer',
    'a2a_producer',
    'llm_tool_resolutions',
    'llm_provider_resolutions',
    'metadata',
    'namespace',
    'status_reason',
    'topology_hash',
  ]) {
    t.true(field in c, `field ${field}`);
  }
  t.is(c.endpoint, 'stdio://c-00000003', 'no port: stdio, as MCP Mesh');
  t.is(c.capabilities[0].version, '1.0.0', 'a tool without version is 1.0.0');
  t.deepEqual(c.metadata, { pm_id: 4, pm2_name: 'c', pid: 1234 });
  t.is(c.total_dependencies, 1);
  t.is(c.dependencies_resolved, 1);
  t.like(c.dependency_resolutions[0], {
    function_name: 'f',
    capability: 'storage',
    mcp_tool: 'storage_fn',
    provider_agent_id: 'a-00000001',
    status: 'available',
  });
  t.deepEqual(c.dependency_resolutions[0].tags, ['+fast'], 'OR groups left out of tags, as MCP Mesh');
  const a = list.body.agents.find((x: any) => x.id === 'a-00000001');
  t.is(a.dependency_resolutions, null);

  t.is((await getJson(url, '/agents/c-00000003')).body.id, 'c-00000003');
  const missing = await getJson(url, '/agents/nope-00000000');
  t.is(missing.status, 404);
  t.regex(missing.body.error, /nope-00000000/);
  t.is((await getJson(url, '/agents?status=healthy')).body.count, 3);
  t.is((await getJson(url, '/agents?capability=storage')).body.count, 2);

  const ids = async (query: string) => (await getJson(url, `/capabilities${query}`)).body.capabilities.map((x: any) => x.agent_id);
  t.deepEqual(await ids('?name=storage'), ['a-00000001', 'b-00000002']);
  t.deepEqual(await ids('?name=storage&tags=fast'), ['a-00000001']);
  t.deepEqual(await ids('?name=storage&tags=disk,-fast'), ['b-00000002']);
  t.deepEqual(await ids('?name=storage&version=%5E2.0.0'), ['b-00000002']);
  t.deepEqual(await ids('?version=%3E%3D1.0.0'), ['c-00000003', 'a-00000001', 'b-00000002']);
  const badRange = await getJson(url, '/capabilities?version=banana%3E');
  t.is(badRange.status, 400);
  t.regex(badRange.body.error, /^version: /);
});

test('bad input: 400 naming the field, 413 over the limit, 404 JSON, never a 5xx', async (t) => {
  const registry = await startRegistry({ bodyLimit: 4096 });
  t.teardown(() => registry.close());
  const url = registry.url;
  const post = async (body: string | Buffer, headers: Record<string, string> = {}) => {
    const response = await fetch(`${url}/heartbeat`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
    return { status: response.status, body: (await response.json()) as { error: string; timestamp: string } };
  };
  const bad = await post('{"agent_id": ');
  t.is(bad.status, 400);
  t.regex(bad.body.error, /^Invalid JSON payload: /);
  t.is(typeof bad.body.timestamp, 'string');
  t.is((await post('{}')).body.error, 'agent_id is required');
  t.is((await post('null')).body.error, 'agent_id is required');
  t.is((await post('{"agent_id": ""}')).body.error, 'agent_id is required');
  t.regex((await post('{"agent_id": 42}')).body.error, /^agent_id: /);
  t.regex((await post('{"agent_id": "a-1", "http_port": "abc"}')).body.error, /^http_port: /);
  t.regex((await post('{"agent_id": "a-1", "tools": "hello"}')).body.error, /^tools: /);
  t.regex((await post('{"agent_id": "a-1", "tools": [{}]}')).body.error, /^tools\.0\.function_name is required/);
  t.regex(
    (await post('{"agent_id": "a-1", "tools": [{"function_name": "f"}, {"function_name": "f"}]}')).body.error,
    /^tools\.1\.function_name: duplicate/,
  );
  t.regex(
    (await post('{"agent_id": "a-1", "tools": [{"function_name": "f", "dependencies": [{"capability": "x", "tags": "fast"}]}]}')).body.error,
    /^tools\.0\.dependencies\.0\.tags: /,
  );
  t.regex((await post('{"agent_id": "has space"}')).body.error, /^agent_id: /);
  t.regex((await post(Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]))).body.error, /UTF-8/);
  t.regex((await post('['.repeat(500) + ']'.repeat(500))).body.error, /nested deeper/);
  const big = await post(JSON.stringify({ agent_id: 'big-1', description: 'x'.repeat(5000) }));
  t.is(big.status, 413);
  t.regex(big.body.error, /too large/);

  // An invalid range is accepted as MCP Mesh does: the dependency stays unresolved and a warning says why.
  const range = await postHeartbeat(url, consumer('range-00000001', [{ capability: 'x', version: '>=banana' }]));
  t.is(range.status, 200);
  t.is(range.body.dependencies_resolved.use![0]!.status, 'unresolved');
  t.regex((range.body as any).warnings[0], /tools\.0\.dependencies\.0\.version: .*not a valid semver range/);

  const route = await getJson(url, '/nope');
  t.is(route.status, 404);
  t.regex(route.body.error, /no route/);
  const limit = await getJson(url, '/events?limit=abc');
  t.is(limit.status, 400);
  t.regex(limit.body.error, /^limit: /);
  t.is((await getJson(url, '/events?limit=-5')).status, 200, 'read as 1, as MCP Mesh');
  t.is((await getJson(url, '/events?type=bogus')).status, 400);
  t.is((await fetch(`${url}/heartbeat`, { method: 'PUT' })).status, 405);

  // A body cut off mid-way (the client dies) must not hurt the registry.
  await new Promise<void>((resolve) => {
    const req = request(`${url}/heartbeat`, { method: 'POST', headers: { 'content-length': '1000', 'content-type': 'application/json' } });
    req.on('error', () => resolve());
    req.write('{"agent_id": "cut');
    setTimeout(() => {
      req.destroy();
      resolve();
    }, 50);
  });
  const health = await getJson(url, '/health');
  t.is(health.status, 200);
  t.false(
    registry.lines.some((line) => /internal error/.test(line)),
    registry.lines.join('\n'),
  );
});

test('token: writes need it always, reads unless publicRead', async (t) => {
  const strict = await startRegistry({ token: 's3cret' });
  const open = await startRegistry({ token: 's3cret', publicRead: true });
  t.teardown(() => Promise.all([strict.close(), open.close()]));

  const denied = await postHeartbeat(strict.url, agentPayload('tok-00000001'));
  t.is(denied.status, 401);
  t.regex(denied.body.error ?? '', /token/);
  t.is((await postHeartbeat(strict.url, agentPayload('tok-00000001'), 'wrong')).status, 401);
  t.is((await postHeartbeat(strict.url, agentPayload('tok-00000001'), 's3cret')).status, 200);
  t.is(await headHeartbeat(strict.url, 'tok-00000001'), 401);
  t.is(await headHeartbeat(strict.url, 'tok-00000001', 's3cret'), 200);
  t.is((await getJson(strict.url, '/agents')).status, 401);
  t.is((await getJson(strict.url, '/agents', 's3cret')).status, 200);
  t.is((await fetch(`${strict.url}/agents/tok-00000001`, { method: 'DELETE' })).status, 401);

  t.is((await getJson(open.url, '/agents')).status, 200, 'publicRead: reads open');
  t.is((await getJson(open.url, '/health')).status, 200);
  t.is((await postHeartbeat(open.url, agentPayload('tok-00000002'))).status, 401, 'publicRead: writes still closed');
  t.is(await headHeartbeat(open.url, 'tok-00000002'), 401);
});

test('GET /events pages by id; GET /health counts; GET /metrics is Prometheus text', async (t) => {
  const registry = await startRegistry();
  t.teardown(() => registry.close());
  const url = registry.url;
  for (let i = 1; i <= 5; i++) await postHeartbeat(url, provider(`ev-0000000${i}`, 'cap'));
  await fetch(`${url}/agents/ev-00000002`, { method: 'DELETE' });

  const newest = await getJson(url, '/events?limit=2');
  t.deepEqual(
    newest.body.events.map((e: any) => e.id),
    [6, 5],
    'newest first without since',
  );
  t.is(newest.body.next, 6);
  const page1 = await getJson(url, '/events?since=0&limit=4');
  t.deepEqual(
    page1.body.events.map((e: any) => e.id),
    [1, 2, 3, 4],
  );
  const page2 = await getJson(url, `/events?since=${page1.body.next}&limit=4`);
  t.deepEqual(
    page2.body.events.map((e: any) => e.id),
    [5, 6],
  );
  t.is((await getJson(url, `/events?since=6`)).body.count, 0);
  t.deepEqual(
    (await getJson(url, '/events?type=unregister')).body.events.map((e: any) => e.agent_id),
    ['ev-00000002'],
  );
  for (const field of ['id', 'agent_id', 'agent_name', 'event_type', 'timestamp', 'data']) t.true(field in newest.body.events[0], field);

  const health = await getJson(url, '/health');
  t.like(health.body, {
    service: 'mcp-mesh-registry',
    status: 'healthy',
    agents: { healthy: 4, unhealthy: 1, unknown: 0, total: 5 },
    capabilities: 1,
  });
  t.is((await fetch(`${url}/health`, { method: 'HEAD' })).status, 200);

  const metrics = await fetch(`${url}/metrics`);
  t.regex(metrics.headers.get('content-type') ?? '', /^text\/plain/);
  const text = await metrics.text();
  t.regex(text, /^mesh_registry_heartbeats_total\{kind="post"\} 5$/m);
  t.regex(text, /^mesh_registry_agents\{status="unhealthy"\} 1$/m);
  t.regex(text, /^# TYPE mesh_registry_resolution_seconds summary$/m);
  t.regex(text, /^mesh_registry_registrations_total\{kind="unregister"\} 1$/m);
});

/** Reads SSE events from the stream until `count` arrived. */
async function readEvents(url: string, count: number, headers: Record<string, string> = {}, onOpen?: () => Promise<void>) {
  const controller = new AbortController();
  const response = await fetch(`${url}/events/stream`, { headers, signal: controller.signal });
  const events: { id: number; event: string; data: any }[] = [];
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  const opening = onOpen?.();
  while (events.length < count) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += value;
    let end;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const fields = Object.fromEntries(
        block
          .split('\n')
          .filter((l) => !l.startsWith(':'))
          .map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 2)]),
      );
      if (fields.data) events.push({ id: Number(fields.id), event: String(fields.event), data: JSON.parse(fields.data) });
    }
  }
  controller.abort();
  await opening;
  return { events, contentType: response.headers.get('content-type') };
}

test('SSE: live events, and resume after Last-Event-ID', async (t) => {
  const registry = await startRegistry();
  t.teardown(() => registry.close());
  const url = registry.url;
  await postHeartbeat(url, provider('sse-00000001', 'cap'));

  const live = await readEvents(url, 2, {}, async () => {
    await new Promise((resolve) => setTimeout(resolve, 100));
    await postHeartbeat(url, provider('sse-00000002', 'cap'));
    await fetch(`${url}/agents/sse-00000001`, { method: 'DELETE' });
  });
  t.is(live.contentType, 'text/event-stream');
  t.deepEqual(
    live.events.map((e) => [e.id, e.event, e.data.agent_id]),
    [
      [2, 'register', 'sse-00000002'],
      [3, 'unregister', 'sse-00000001'],
    ],
  );
  t.is(live.events[0]!.data.event_type, 'register');

  const resumed = await readEvents(url, 2, { 'Last-Event-ID': '1' });
  t.deepEqual(
    resumed.events.map((e) => e.id),
    [2, 3],
    'everything after id 1, then live',
  );
  const fromQuery = await fetch(`${url}/events/stream?since=abc`);
  t.is(fromQuery.status, 400);
});

test('topology long-poll: 200 at once when the hash differs, waits for a change, 304 when the wait ends, 410 unknown', async (t) => {
  const registry = await startRegistry();
  t.teardown(() => registry.close());
  const url = registry.url;
  await postHeartbeat(url, consumer('watcher-00000001', ['storage']));
  const first = await getJson(url, '/agents/watcher-00000001/topology');
  t.is(first.status, 200);
  const hash = first.body.topology_hash;
  t.deepEqual(Object.keys(first.body).sort(), ['agent_id', 'dependencies_resolved', 'dependency_alternatives', 'topology_hash']);
  t.is((await fetch(`${url}/agents/watcher-00000001/topology?hash=${hash}`)).status, 304, 'no wait: unchanged answers at once');

  const waiting = getJson(url, `/agents/watcher-00000001/topology?hash=${hash}&wait=30`);
  await new Promise((resolve) => setTimeout(resolve, 100));
  await postHeartbeat(url, provider('store-00000002', 'storage'));
  const changed = await waiting;
  t.is(changed.status, 200);
  t.not(changed.body.topology_hash, hash);
  t.is(changed.body.dependencies_resolved.use[0].agent_id, 'store-00000002');

  const started = Date.now();
  const unchanged = await fetch(`${url}/agents/watcher-00000001/topology?hash=${changed.body.topology_hash}&wait=1`);
  t.is(unchanged.status, 304);
  t.log(`an unchanged 1 s long-poll answered 304 after ${Date.now() - started} ms`);
  t.is((await getJson(url, '/agents/nobody-00000000/topology')).status, 410);
  t.is((await getJson(url, '/agents/watcher-00000001/topology?wait=abc')).status, 400);

  // Closing the registry releases a pending long-poll at once.
  const pending = fetch(`${url}/agents/watcher-00000001/topology?hash=${changed.body.topology_hash}&wait=60`).then(
    (r) => r.status,
    () => 'closed',
  );
  await new Promise((resolve) => setTimeout(resolve, 100));
  await registry.close();
  t.true([304, 'closed'].includes(await pending));
});

test('markProcessExited: the agents of that PM2 process turn unhealthy at once, consumers see it', async (t) => {
  const registry = await startRegistry();
  t.teardown(() => registry.close());
  const url = registry.url;
  await postHeartbeat(url, { ...provider('pm-00000001', 'work'), metadata: { pm_id: 3 } });
  await postHeartbeat(url, { ...provider('pm-00000002', 'other'), metadata: { pm_id: 4 } });
  const user = await postHeartbeat(url, consumer('user-00000003', ['work']));
  t.is(user.body.dependencies_resolved.use![0]!.agent_id, 'pm-00000001');

  t.deepEqual(registry.markProcessExited(3), ['pm-00000001']);
  t.deepEqual(registry.markProcessExited(3), [], 'already unhealthy');
  const agent = await getJson(url, '/agents/pm-00000001');
  t.is(agent.body.status, 'unhealthy');
  t.is(agent.body.status_reason, 'process exit');
  const event = (await getJson(url, '/events?limit=1')).body.events[0];
  t.like(event, { agent_id: 'pm-00000001', event_type: 'unhealthy', data: { reason: 'process exit' } });
  t.is(await headHeartbeat(url, 'user-00000003'), 202);
  t.is(await headHeartbeat(url, 'pm-00000001'), 410, 'its next heartbeat must be a full POST');
  t.deepEqual(registry.markProcessExited(4, 'stopped'), ['pm-00000002']);
  t.is((await getJson(url, '/agents/pm-00000002')).body.status_reason, 'stopped');
  t.is((await getJson(url, '/agents/pm-00000001')).body.status, 'unhealthy');
  // A new POST brings it back, with a `healthy` event.
  await postHeartbeat(url, { ...provider('pm-00000001', 'work'), metadata: { pm_id: 3 } });
  t.is((await getJson(url, '/agents/pm-00000001')).body.status, 'healthy');
  t.is((await getJson(url, '/events?limit=1')).body.events[0].event_type, 'healthy');
});

test('an agent whose own health check fails is not chosen; a self-dependency resolves to itself', async (t) => {
  const registry = await startRegistry();
  t.teardown(() => registry.close());
  const url = registry.url;
  await postHeartbeat(url, { ...provider('sick-00000001', 'db', '3.0.0'), health: { status: 'unhealthy', error: 'no connection' } });
  await postHeartbeat(url, provider('well-00000002', 'db', '1.0.0'));
  const user = await postHeartbeat(url, consumer('user-00000003', ['db']));
  t.is(user.body.dependencies_resolved.use![0]!.agent_id, 'well-00000002');
  const sick = await getJson(url, '/agents/sick-00000001');
  t.is(sick.body.status, 'unhealthy');
  t.is(sick.body.status_reason, 'health check: no connection');

  const self = await postHeartbeat(
    url,
    agentPayload('self-00000004', {
      tools: [
        { function_name: 'hello', capability: 'greeting' },
        { function_name: 'twice', capability: 'double', dependencies: ['greeting'] },
      ],
    }),
  );
  t.is(self.body.dependencies_resolved.twice![0]!.agent_id, 'self-00000004');
  t.is(self.body.dependencies_resolved.twice![0]!.function_name, 'hello');
});
