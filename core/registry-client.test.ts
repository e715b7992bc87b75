import test from 'ava';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { RegistryClient, RegistryError, registryBaseUrl } from './registry-client.js';

async function serve(handler: Parameters<typeof createServer>[1]): Promise<{ server: Server; url: string }> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/` };
}

async function failure(promise: Promise<unknown>): Promise<RegistryError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof RegistryError)) throw new Error(`expected a RegistryError, got ${String(error)}`);
  return error;
}

test('the base URL loses its trailing slash; a non-http URL is a bad-url error', (t) => {
  t.is(registryBaseUrl('http://127.0.0.1:8000/'), 'http://127.0.0.1:8000');
  t.is(new RegistryClient({ url: 'https://r.example/mesh/' }).baseUrl, 'https://r.example/mesh');
  t.is(t.throws(() => registryBaseUrl('ftp://x'), { instanceOf: RegistryError })!.failure, 'bad-url');
  t.is(t.throws(() => registryBaseUrl('nope'), { instanceOf: RegistryError })!.failure, 'bad-url');
});

test('each kind of failure says what failed: status with the JSON error, bad answer, timeout, unreachable', async (t) => {
  const { server, url } = await serve((req, res) => {
    if (req.url === '/agents') return void res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"missing token"}');
    if (req.url === '/health') return void res.writeHead(200).end('<html>');
    if (req.url === '/events') return; // never answers
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ auth: req.headers.authorization ?? null }));
  });
  t.teardown(() => server.closeAllConnections());
  const client = new RegistryClient({ url, token: 's3cret', timeoutMs: 300 });
  t.deepEqual(await client.getJson('/other'), { auth: 'Bearer s3cret' });

  const refused = await failure(client.agents());
  t.like(refused, { failure: 'status', status: 401, detail: 'missing token', path: '/agents' });
  t.regex(refused.message, /answered 401 for \/agents: missing token/);
  t.like(await failure(client.health()), { failure: 'bad-answer', status: 200 });
  t.like(await failure(client.events()), { failure: 'timeout', reason: '0.3 s' });

  const answer = await client.send('GET', '/agents');
  t.is(answer.status, 401); // send() hands any status back: the heartbeat reads 202/410 as news

  await new Promise<void>((resolve) => server.close(() => resolve()));
  const gone = await failure(client.health());
  t.like(gone, { failure: 'unreachable', reason: 'ECONNREFUSED' });
});

test('a caller abort rejects with the signal reason, not a RegistryError', async (t) => {
  const { server, url } = await serve(() => {});
  t.teardown(() => (server.closeAllConnections(), server.close()));
  const client = new RegistryClient({ url });
  const controller = new AbortController();
  const pending = client.send('GET', '/health', { signal: controller.signal });
  controller.abort(new Error('stopping'));
  await t.throwsAsync(pending, { message: 'stopping' });
});

test('replicas: a list of base URLs; a refused connection, a timeout or a 503 moves the request to the next, which then keeps it', async (t) => {
  const dead = await serve(() => {});
  await new Promise<void>((resolve) => dead.server.close(() => resolve())); // a port nobody listens on
  const hung = await serve(() => {}); // accepts, never answers
  t.teardown(() => {
    hung.server.closeAllConnections();
    hung.server.close();
  });
  const busy = await serve((_req, res) => void res.writeHead(503, { 'content-type': 'application/json' }).end('{"error":"cannot commit"}'));
  t.teardown(() => {
    busy.server.closeAllConnections();
    busy.server.close();
  });
  const good = await serve((req, res) => {
    if (req.url === '/events/stream') return void res.writeHead(200, { 'content-type': 'text/event-stream' }).end('data: {}\n\n');
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"healthy"}');
  });

  const moves: string[] = [];
  const urls = [dead.url, hung.url, busy.url, good.url].join(',');
  t.is(registryBaseUrl(urls).split(',').length, 4);
  const client = new RegistryClient({ url: urls, timeoutMs: 300, onFailover: (_from, _to, reason) => moves.push(reason) });
  t.like(await client.health(), { status: 'healthy' });
  t.deepEqual(moves, ['ECONNREFUSED', 'no answer within 0.3 s', 'answered 503']);
  t.is(client.baseUrl, good.url.replace(/\/$/, ''));
  const stream = await client.stream('/events/stream');
  stream.close();
  t.is(moves.length, 3, 'the replica that answered keeps the requests');

  // All down: the last failure is the answer, each replica tried once.
  await new Promise<void>((resolve) => good.server.close(() => resolve()));
  good.server.closeAllConnections();
  const failed = await failure(client.health());
  t.true(['unreachable', 'timeout', 'status'].includes(failed.failure));
});
