// Serving, in-process and standalone: Host/Origin protection, health endpoints, MCP sessions (JSON answers and no
// standalone stream for mesh consumers), and a client session re-initialized when the provider restarted.
import { request } from 'node:http';
import { createServer } from 'node:net';
import test from 'ava';
import { z } from 'zod';
import { agent, type MeshAgent } from 'mesh/runtime';
import { MESH_CONSUMER_HEADER } from '../core/mesh-session.js';
import { Logger } from '../runtime/log.js';
import { McpClientPool } from '../runtime/mcp-client.js';
import { callTool, connectClient } from './support/agents.js';

const quiet = { standalone: true, handleSignals: false, logLevel: 'error' as const };

function echoAgent(options: Partial<Parameters<typeof agent>[0]> = {}): MeshAgent {
  return agent({ name: 'echo', ...quiet, ...options }).tool('echo', { inputSchema: { text: z.string() } }, ({ text }) => text);
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return port;
}

const initialize = {
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
};
/** Status of a GET with exactly these headers (fetch would not let us set Host). */
function rawStatus(url: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers }, (res) => {
      res.resume();
      resolve(res.statusCode!);
    });
    req.on('error', reject);
    req.end();
  });
}

const jsonHeaders = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };

test('Host and Origin must be ours (DNS-rebinding protection)', async (t) => {
  const a = echoAgent({ allowedHosts: ['mesh.internal:8080'], allowedOrigins: ['https://app.example'] });
  const { endpoint } = await a.start();
  t.teardown(() => a.stop());
  const port = new URL(endpoint).port;
  const status = (headers: Record<string, string>) => rawStatus(`${endpoint}/health`, headers);
  t.is(await status({}), 200);
  t.is(await status({ host: `localhost:${port}` }), 200);
  t.is(await status({ host: 'mesh.internal:8080' }), 200);
  t.is(await status({ host: `evil.example:${port}` }), 421);
  t.is(await status({ origin: 'http://evil.example' }), 403);
  t.is(await status({ origin: `http://localhost:${port}` }), 200);
  t.is(await status({ origin: 'https://app.example' }), 200);
  t.is(await rawStatus(`${endpoint}/mcp`, { host: 'attacker.example' }), 421);
});

test('health, readiness and liveness; standalone agents report it', async (t) => {
  const a = echoAgent();
  const { endpoint, mcpUrl } = await a.start();
  t.teardown(() => a.stop());
  t.is(mcpUrl, `${endpoint}/mcp`);
  const health = await (await fetch(`${endpoint}/health`)).json();
  t.like(health, { status: 'healthy', name: 'echo', registry: 'standalone', dependencies: { resolved: 0, total: 0 } });
  t.is((await fetch(`${endpoint}/ready`)).status, 200);
  t.is((await fetch(`${endpoint}/livez`)).status, 200);
  t.is((await fetch(`${endpoint}/nope`)).status, 404);
});

test('MCP sessions: initialize opens one, requests without one are served session-less, mesh consumers get JSON and no stream', async (t) => {
  const a = echoAgent();
  const { mcpUrl } = await a.start();
  t.teardown(() => a.stop());
  const list = { jsonrpc: '2.0', id: 2, method: 'tools/list' };
  t.is((await fetch(mcpUrl, { method: 'POST', headers: jsonHeaders, body: JSON.stringify(list) })).status, 200);
  t.is((await fetch(mcpUrl, { method: 'POST', headers: { ...jsonHeaders, 'mcp-session-id': 'nope' }, body: JSON.stringify(list) })).status, 200);
  t.is((await fetch(mcpUrl, { method: 'DELETE', headers: { ...jsonHeaders, 'mcp-session-id': 'nope' } })).status, 404);

  // An ordinary client gets SSE answers; a mesh consumer plain JSON, and 405 for the standalone GET stream.
  const plain = await fetch(mcpUrl, { method: 'POST', headers: jsonHeaders, body: JSON.stringify(initialize) });
  t.is(plain.status, 200);
  t.regex(plain.headers.get('content-type')!, /text\/event-stream/);
  await plain.body?.cancel();
  const mesh = await fetch(mcpUrl, {
    method: 'POST',
    headers: { ...jsonHeaders, [MESH_CONSUMER_HEADER]: 'other-1234abcd' },
    body: JSON.stringify(initialize),
  });
  t.regex(mesh.headers.get('content-type')!, /application\/json/);
  const session = mesh.headers.get('mcp-session-id')!;
  t.truthy(((await mesh.json()) as any).result.serverInfo);
  const stream = await fetch(mcpUrl, { headers: { accept: 'text/event-stream', 'mcp-session-id': session } });
  t.is(stream.status, 405);
  await stream.body?.cancel();
});

test('mesh calls need no session: a provider restarted on the same endpoint answers the next call at once', async (t) => {
  const port = await freePort();
  let provider = echoAgent({ httpPort: port });
  const { endpoint } = await provider.start();
  const pool = new McpClientPool('consumer-0000abcd', '1.0.0', new Logger('consumer-0000abcd', { level: 'error', heartbeats: false }));
  t.teardown(async () => {
    await pool.closeAll();
    await provider.stop();
  });
  const first = await pool.callTool(endpoint, 'echo', { text: 'one' }, { timeoutMs: 5_000 });
  t.is((first.content[0] as any).text, 'one');
  await provider.stop();
  provider = echoAgent({ httpPort: port });
  await provider.start();
  // At once: the kept-alive socket we would reuse was closed by the old server; another one, transparently.
  const second = await pool.callTool(endpoint, 'echo', { text: 'two' }, { timeoutMs: 5_000 });
  t.is((second.content[0] as any).text, 'two');
  await provider.stop();
  provider = echoAgent({ httpPort: port });
  await provider.start();
  await new Promise((r) => setTimeout(r, 300));
  // Later: a new connection; there is no session for the new process to have forgotten.
  const third = await pool.callTool(endpoint, 'echo', { text: 'three' }, { timeoutMs: 5_000 });
  t.is((third.content[0] as any).text, 'three');
});

test('server(): plain SDK features on every session', async (t) => {
  const a = echoAgent().server((s) =>
    s.registerPrompt('greet', { description: 'A greeting', argsSchema: { name: z.string() } }, ({ name }) => ({
      messages: [{ role: 'user', content: { type: 'text', text: `Say hello to ${name}` } }],
    })),
  );
  const { mcpUrl } = await a.start();
  t.teardown(() => a.stop());
  const client = await connectClient(mcpUrl);
  t.teardown(() => client.close());
  const prompt = await client.getPrompt({ name: 'greet', arguments: { name: 'Ada' } });
  t.is((prompt.messages[0]!.content as any).text, 'Say hello to Ada');
  t.is((await callTool(client, 'echo', { text: 'hi' })).content.length, 1);
});
