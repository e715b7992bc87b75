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
