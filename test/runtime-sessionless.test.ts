// Session-less MCP on every agent, from a raw HTTP client: tools/call, tools/list and ping POSTed with no initialize
// and no session id are answered, in JSON or as an event stream as Accept asks; malformed ones get clear JSON-RPC
// errors; the Host/Origin checks still hold; clients that open sessions keep working.
import test from 'ava';
import { SseParser } from '../core/sse-parser.js';
import { connectClient, startAgent, type AgentProc } from './support/agents.js';
import { stopAll } from './support/processes.js';

let agent: AgentProc;

test.before(async () => {
  agent = await startAgent('greeter', { MCP_MESH_STANDALONE: 'true' });
});
test.after.always(stopAll);

const JSON_AND_SSE = 'application/json, text/event-stream';

async function post(body: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(agent.mcpUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: JSON_AND_SSE, ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  const type = response.headers.get('content-type') ?? '';
  const json = type.startsWith('application/json') && text ? JSON.parse(text) : undefined;
  const events = type.startsWith('text/event-stream') ? new SseParser().feed(text).map((e) => JSON.parse(e.data)) : undefined;
  return { status: response.status, type, json, events, session: response.headers.get('mcp-session-id') };
}

const hello = (id: number | string, name: string, meta?: Record<string, unknown>) => ({
  jsonrpc: '2.0',
  id,
  method: 'tools/call',
  params: { name: 'hello', arguments: { name }, ...(meta ? { _meta: meta } : {}) },
});

test.serial('tools/call, tools/list and ping without initialize or session id: JSON answers, no session made', async (t) => {
  const call = await post(hello(1, 'Ann'));
  t.is(call.status, 200);
  t.is(call.type, 'application/json');
  t.is(call.session, null, 'no session id handed out');
  t.is(call.json.id, 1);
  t.regex(call.json.result.content[0].text, /^Hello Ann, it is /);

  const list = await post({ jsonrpc: '2.0', id: 'list', method: 'tools/list' });
  t.is(list.json.id, 'list');
  t.deepEqual(
    list.json.result.tools.map((tool: { name: string }) => tool.name),
    ['hello'],
  );

  const ping = await post({ jsonrpc: '2.0', id: 3, method: 'ping' }, { accept: 'application/json' });
  t.deepEqual(ping.json, { jsonrpc: '2.0', id: 3, result: {} });

  const batch = await post([{ jsonrpc: '2.0', id: 'b', method: 'ping' }, hello('a', 'Bo')]);
  t.deepEqual(
    batch.json.map((m: { id: string }) => m.id),
    ['b', 'a'],
    'a batch is answered in order',
  );

  const health = (await (await fetch(`${agent.endpoint}/health`)).json()) as { sessions?: number };
  t.is(health.sessions ?? 0, 0, 'nothing kept per caller');
});

test.serial('an event stream when Accept takes only that, or when a call asks for progress', async (t) => {
  const sseOnly = await post(hello(5, 'Cy'), { accept: 'text/event-stream' });
  t.is(sseOnly.status, 200);
  t.is(sseOnly.type, 'text/event-stream');
  t.is(sseOnly.events!.at(-1).id, 5);
  t.regex(sseOnly.events!.at(-1).result.content[0].text, /^Hello Cy/);
  const progress = await post(hello(6, 'Di', { progressToken: 'p1' }));
  t.is(progress.type, 'text/event-stream');
  t.is(progress.events!.at(-1).id, 6);
  const noAccept = await post(hello(7, 'Ed'), { accept: '' });
  t.is(noAccept.type, 'application/json', 'no Accept: JSON');
});

test.serial('callers sending the same ids at once each get their own answer', async (t) => {
  const names = Array.from({ length: 20 }, (_, i) => `n${i}`);
  const answers = await Promise.all(names.map((name) => post(hello(1, name))));
  t.deepEqual(
    answers.map((a) => /^Hello (\w+),/.exec(a.json.result.content[0].text)![1]),
    names,
  );
  t.true(answers.every((a) => a.json.id === 1));
});

test.serial('malformed requests: clear JSON-RPC errors with the right HTTP status', async (t) => {
  const bad = async (body: unknown, headers: Record<string, string> = {}) => {
    const answer = await post(body, headers);
    return { status: answer.status, code: answer.json?.error?.code, message: answer.json?.error?.message as string };
  };
  t.like(await bad('{"jsonrpc": "2.0", "id": 1, "method": '), { status: 400, code: -32700 });
  t.like(await bad({ hello: 'world' }), { status: 400, code: -32600 });
  t.like(await bad([]), { status: 400, code: -32600 });
  t.like(await bad(hello(1, 'x'), { accept: 'text/html' }), { status: 406 });
  t.like(await bad(hello(1, 'x'), { 'content-type': 'text/plain' }), { status: 415 });
  t.like(await bad(hello(1, 'x'), { 'mcp-protocol-version': '1999-01-01' }), { status: 400 });
  const unknownMethod = await post({ jsonrpc: '2.0', id: 9, method: 'no/such/method' });
  t.is(unknownMethod.status, 200);
  t.is(unknownMethod.json.error.code, -32601);
  const unknownTool = await post({ jsonrpc: '2.0', id: 10, method: 'tools/call', params: { name: 'nope', arguments: {} } });
  t.is(unknownTool.json.id, 10);
  t.true(unknownTool.json.error !== undefined || unknownTool.json.result?.isError === true, JSON.stringify(unknownTool.json));
  const badArgs = await post({ jsonrpc: '2.0', id: 11, method: 'tools/call', params: { name: 'hello', arguments: { name: 42 } } });
  t.true(badArgs.json.error !== undefined || badArgs.json.result?.isError === true, JSON.stringify(badArgs.json));
  const notification = await fetch(agent.mcpUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: JSON_AND_SSE },
    body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }),
  });
  t.is(notification.status, 202);
});

test.serial('Host and Origin checks hold for session-less calls', async (t) => {
  const { request } = await import('node:http');
  const status = (headers: Record<string, string>) =>
    new Promise<number>((resolve, reject) => {
      const url = new URL(agent.mcpUrl);
      const req = request(
        {
          host: url.hostname,
          port: url.port,
          path: '/mcp',
          method: 'POST',
          headers: { 'content-type': 'application/json', accept: JSON_AND_SSE, ...headers },
        },
        (res) => {
          res.resume();
          resolve(res.statusCode!);
        },
      );
      req.once('error', reject);
      req.end(JSON.stringify(hello(1, 'x')));
    });
  t.is(await status({ host: 'evil.example' }), 421, 'a foreign Host is a misdirected request');
  t.is(await status({ origin: 'http://evil.example' }), 403);
  t.is(await status({}), 200);
});

test.serial('clients that open sessions keep working; a session id this agent does not know is served session-less', async (t) => {
  const client = await connectClient(agent.mcpUrl);
  t.teardown(() => client.close());
  const result = (await client.callTool({ name: 'hello', arguments: { name: 'Flo' } })) as { content: { text: string }[] };
  t.regex(result.content[0]!.text, /^Hello Flo/);
  // A worker of a cluster, or a restarted agent, sees a session opened elsewhere.
  const stranger = await post(hello(12, 'Gus'), { 'mcp-session-id': 'opened-by-another-worker' });
  t.is(stranger.status, 200);
  t.regex(stranger.json.result.content[0].text, /^Hello Gus/);
  const get = await fetch(agent.mcpUrl, { headers: { accept: 'text/event-stream', 'mcp-session-id': 'opened-by-another-worker' } });
  t.is(get.status, 404, 'a stream needs a session this agent holds');
});
