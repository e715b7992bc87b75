import test from 'ava';
import { getEventListeners } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { meshFetch } from './mesh-fetch.js';

let server: Server;
let base: string;

test.before(async () => {
  server = createServer((req, res) => {
    if (req.url === '/json') {
      const body = JSON.stringify({ hello: 'world', method: req.method, type: req.headers['content-type'] });
      res.writeHead(200, { 'content-type': 'application/json', 'mcp-session-id': 'abc' }).end(body);
    } else if (req.url === '/accepted') {
      res.writeHead(202).end();
    } else if (req.url === '/stream') {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('event: message\ndata: {"n":1}\n\n');
    } else if (req.url === '/slow') {
      setTimeout(() => res.end('late'), 5_000).unref();
    } else {
      res.writeHead(405, { 'content-type': 'application/json' }).end('{"error":"no"}');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

test.after.always(() => {
  server.closeAllConnections();
  server.close();
});

test('a JSON answer reads like a Response', async (t) => {
  const signal = new AbortController().signal;
  const res = await meshFetch(new URL(`${base}/json`), {
    method: 'POST',
    headers: new Headers({ 'content-type': 'application/json' }),
    body: '{}',
    signal,
  });
  t.true(res.ok);
  t.is(res.status, 200);
  t.is(res.headers.get('Mcp-Session-Id'), 'abc');
  t.deepEqual(await res.json(), { hello: 'world', method: 'POST', type: 'application/json' });
  await t.throwsAsync(res.text(), { instanceOf: TypeError });
  t.is(getEventListeners(signal, 'abort').length, 0, 'no listener left on the caller signal');
});

test('an empty answer has no body; an error answer has one', async (t) => {
  const accepted = await meshFetch(`${base}/accepted`, { method: 'POST', body: '{}' });
  t.is(accepted.status, 202);
  t.is(accepted.body, null);
  const refused = await meshFetch(`${base}/nope`);
  t.false(refused.ok);
  await refused.body!.cancel();
  t.is(refused.status, 405);
});

test('an event stream is handed over as it comes', async (t) => {
  const controller = new AbortController();
  const res = await meshFetch(`${base}/stream`, { signal: controller.signal });
  t.is(res.headers.get('content-type'), 'text/event-stream');
  const reader = res.body!.getReader();
  const { value } = await reader.read();
  t.regex(Buffer.from(value!).toString(), /data: \{"n":1\}/);
  controller.abort();
  await t.throwsAsync(reader.read());
});

test('aborting rejects with the reason and leaves no listener', async (t) => {
  const controller = new AbortController();
  const pending = meshFetch(`${base}/slow`, { signal: controller.signal });
  setTimeout(() => controller.abort(new Error('gave up')), 50);
  await t.throwsAsync(pending, { message: 'gave up' });
  t.is(getEventListeners(controller.signal, 'abort').length, 0);
});
