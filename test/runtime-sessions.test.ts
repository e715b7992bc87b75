// Mesh sessions (a mesh agent calling in: JSON answers from the runtime's own transport) refuse and accept exactly
// what the SDK's transport does for any other client, and a cancelled call ends its HTTP exchange at once.
import test from 'ava';
import { z } from 'zod';
import { agent, type MeshAgent } from 'mesh/runtime';
import { MESH_CONSUMER_HEADER } from '../core/mesh-session.js';

const PROTOCOL = '2025-06-18';
const jsonHeaders = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
const initialize = {
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: PROTOCOL, capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
};

let provider: MeshAgent;
let mcpUrl: string;
let slowStarted: () => void = () => undefined;
let slowAborted = false;

test.before(async () => {
  provider = agent({ name: 'sessions', standalone: true, handleSignals: false, logLevel: 'error' })
    .tool('echo', { inputSchema: { text: z.string() } }, ({ text }) => text)
    .tool('slow', {}, async (_args, _deps, extra) => {
      slowStarted();
      await new Promise((resolve) => extra.signal.addEventListener('abort', resolve));
      slowAborted = true;
      return 'aborted';
    });
  ({ mcpUrl } = await provider.start());
});

test.after.always(() => provider?.stop());

/** Opens a session (a mesh one or a plain one) and returns its headers for later requests. */
async function open(mesh: boolean): Promise<Record<string, string>> {
  const headers = { ...jsonHeaders, ...(mesh ? { [MESH_CONSUMER_HEADER]: 'tester-1234abcd' } : {}) };
  const res = await fetch(mcpUrl, { method: 'POST', headers, body: JSON.stringify(initialize) });
  await res.body?.cancel();
  const session = res.headers.get('mcp-session-id')!;
  const withSession = { ...headers, 'mcp-session-id': session, 'mcp-protocol-version': PROTOCOL };
  const initialized = await post(withSession, { jsonrpc: '2.0', method: 'notifications/initialized' });
  if (initialized.status !== 202) throw new Error(`initialized: ${initialized.status}`);
  return withSession;
}

async function post(headers: Record<string, string>, body: unknown, method = 'POST'): Promise<{ status: number; error?: string }> {
  const res = await fetch(mcpUrl, {
    method,
    headers,
    ...(method === 'POST' ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  const error = /^\{/.test(text) ? (JSON.parse(text) as { error?: { message: string } }).error?.message : undefined;
  return { status: res.status, ...(error ? { error } : {}) };
}

const list = { jsonrpc: '2.0', id: 7, method: 'tools/list' };
const cases: [string, (h: Record<string, string>) => Promise<{ status: number; error?: string }>][] = [
  ['no Accept for both types', (h) => post({ ...h, accept: 'application/json' }, list)],
  ['not JSON', (h) => post({ ...h, 'content-type': 'text/plain' }, list)],
  ['not JSON-RPC', (h) => post(h, { hello: 'world' })],
  [
    'batch too large',
    (h) =>
      post(
        h,
        Array.from({ length: 101 }, (_, i) => ({ ...list, id: 100 + i })),
      ),
  ],
  ['initialize again', (h) => post(h, initialize)],
  ['unknown protocol version', (h) => post({ ...h, 'mcp-protocol-version': '1999-01-01' }, list)],
  ['a notification', (h) => post(h, { jsonrpc: '2.0', method: 'notifications/roots/list_changed' })],
  ['a response nobody asked for', (h) => post(h, { jsonrpc: '2.0', id: 99, result: {} })],
  [
    'DELETE, then a request',
    async (h) => {
      const deleted = await post(h, undefined, 'DELETE');
      const after = await post(h, list);
      return { status: deleted.status * 1000 + after.status, ...(after.error ? { error: after.error } : {}) };
    },
  ],
];

for (const [name, run] of cases) {
  test(`refused or accepted like the SDK's transport: ${name}`, async (t) => {
    const sdk = await run(await open(false));
    const mesh = await run(await open(true));
    t.deepEqual(mesh, sdk);
  });
}

test('a mesh session answers a call with JSON; a cancelled call gets its HTTP exchange ended (202), the handler aborted', async (t) => {
  const headers = await open(true);
  const res = await fetch(mcpUrl, {
    method: 'POST',
    headers,
    body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'echo', arguments: { text: 'hi' } } }),
  });
  t.regex(res.headers.get('content-type')!, /application\/json/);
  t.like(await res.json(), { id: 2, result: { content: [{ type: 'text', text: 'hi' }] } });

  const started = new Promise<void>((resolve) => (slowStarted = resolve));
  const call = fetch(mcpUrl, {
    method: 'POST',
    headers,
    body: JSON.stringify({ jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'slow', arguments: {} } }),
  });
  await started;
  const cancel = await post(headers, { jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 3, reason: 'gave up' } });
  t.is(cancel.status, 202);
  const answer = await call;
  t.is(answer.status, 202);
  t.is(await answer.text(), '');
  t.true(slowAborted);
});
