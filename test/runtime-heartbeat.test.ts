// The registry conversation, against a scripted registry that records what an agent sends: the POST body,
// HEAD cadence, 202/410 → POST, the bearer token, a registry without the topology watch (MCP Mesh's), DELETE.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import test from 'ava';
import { z } from 'zod';
import { agent } from 'mesh/runtime';
import { waitFor } from './support/wait.js';

interface Seen {
  method: string;
  path: string;
  auth?: string;
  body?: any;
}

/** A registry that answers like MCP Mesh's (no topology long-poll: 404) and whose HEAD answer we choose. */
async function scriptedRegistry() {
  const seen: Seen[] = [];
  let headStatus = 200;
  const server: Server = createServer(async (req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString();
    const path = req.url ?? '';
    seen.push({ method: req.method!, path, auth: req.headers.authorization, body: text ? JSON.parse(text) : undefined });
    if (req.method === 'POST' && path === '/heartbeat') {
      const body = JSON.parse(text);
      res.writeHead(200, { 'content-type': 'application/json' });
      return res.end(
        JSON.stringify({
          agent_id: body.agent_id,
          status: 'success',
          message: 'ok',
          timestamp: new Date().toISOString(),
          llm_tools: {},
          dependencies_resolved: {},
        }),
      );
    }
    if (req.method === 'HEAD') {
      const status = headStatus;
      if (headStatus !== 200) headStatus = 200;
      return res.writeHead(status).end();
    }
    if (req.method === 'DELETE') return res.writeHead(204).end();
    res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    answerNextHead: (status: number) => (headStatus = status),
    close: () => new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r()))),
  };
}

test('full registration, light heartbeats, 202/410 → POST again, token, no long-poll on an MCP Mesh registry, DELETE', async (t) => {
  const registry = await scriptedRegistry();
  t.teardown(registry.close);
  let healthy = true;
  const a = agent({
    name: 'weather',
    version: '2.1.0',
    registryUrl: registry.url,
    registryToken: 'sekret',
    healthInterval: 0.2,
    handleSignals: false,
    logLevel: 'error',
    healthCheck: () => healthy,
  }).tool(
    'forecast',
    {
      capability: 'weather',
      tags: ['precise'],
      description: 'Weather for a city',
      inputSchema: { city: z.string() },
      dependencies: ['time_service', { capability: 'geo', tags: ['+fast', '-beta'], version: '>=1', as: 'where' }],
    },
    ({ city }) => city,
  );
  const { endpoint } = await a.start();
  t.teardown(() => a.stop());
  const posts = () => registry.seen.filter((s) => s.method === 'POST');
  await waitFor('first POST', () => posts().length === 1);
  const body = posts()[0]!.body;
  t.like(body, {
    agent_id: a.id,
    name: 'weather',
    version: '2.1.0',
    agent_type: 'mcp_agent',
    http_host: '127.0.0.1',
    http_port: Number(new URL(endpoint).port),
    namespace: 'default',
    metadata: { pid: process.pid },
    health: { status: 'healthy' },
  });
  t.like(body.tools[0], {
    function_name: 'forecast',
    capability: 'weather',
    version: '2.1.0',
    tags: ['precise'],
    description: 'Weather for a city',
    dependencies: [{ capability: 'time_service' }, { capability: 'geo', tags: ['+fast', '-beta'], version: '>=1', as: 'where' }],
  });
  t.is(body.tools[0].input_schema.properties.city.type, 'string');

  await waitFor('HEADs', () => registry.seen.filter((s) => s.method === 'HEAD').length >= 2);
  registry.answerNextHead(202);
  await waitFor('POST after 202', () => posts().length === 2);
  registry.answerNextHead(410);
  await waitFor('POST after 410', () => posts().length === 3);
  healthy = false;
  await waitFor('POST reporting unhealthy', () => posts().at(-1)!.body.health.status === 'unhealthy');
  t.is((await fetch(`${endpoint}/health`)).status, 503);
  healthy = true;
  await waitFor('POST reporting healthy again', () => posts().at(-1)!.body.health.status === 'healthy');

  t.true(registry.seen.every((s) => s.auth === 'Bearer sekret'));
  const watches = registry.seen.filter((s) => s.path.includes('/topology'));
  // A 404 means this registry has no long-poll: not asked again, until a 410 says the registry restarted.
  t.is(watches.length, 2);
  t.regex(watches[0]!.path, new RegExp(`^/agents/${a.id}/topology\\?hash=&wait=\\d+$`));

  await a.stop();
  t.like(registry.seen.at(-1), { method: 'DELETE', path: `/agents/${a.id}` });
});
