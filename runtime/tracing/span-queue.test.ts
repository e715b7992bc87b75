import test from 'ava';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Span } from '../../core/span-wire.js';
import { Logger } from '../log.js';
import { RegistrySpanSink } from './registry-sink.js';
import { SpanQueue, type SpanSink } from './span-queue.js';

const span = (i: number): Span => ({
  trace_id: 'a'.repeat(32),
  span_id: i.toString(16).padStart(16, '0'),
  kind: 'server',
  name: 'now',
  agent_id: 'time-1',
  agent_name: 'time',
  start_ms: 1,
  duration_ms: 1,
  outcome: 'ok',
});

function logger() {
  const lines: string[] = [];
  return { lines, log: new Logger('time-1', { level: 'debug', heartbeats: false, write: (_s, l) => lines.push(l) }) };
}

/** A loopback HTTP server answering every request as `answer` says; the requests are kept. */
async function server(
  answer: (path: string) => { status: number; type: string; body: string },
): Promise<{ url: string; paths: string[]; close: () => void }> {
  const paths: string[] = [];
  const s: Server = createServer((req, res) => {
    req.resume().on('end', () => {
      paths.push(`${req.method} ${req.url}`);
      const a = answer(req.url ?? '');
      res.writeHead(a.status, { 'content-type': a.type }).end(a.body);
    });
  });
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(s.address() as AddressInfo).port}`, paths, close: () => s.close() };
}

test('a registry without trace support (MCP Mesh 3.7 answers "404 page not found") is told once, then never again', async (t) => {
  // The answer recorded from MCP Mesh 3.7.1's registry for a route it does not have (test/fixtures/mcp-mesh-3.7).
  const registry = await server(() => ({ status: 404, type: 'text/plain', body: '404 page not found' }));
  const { lines, log } = logger();
  const queue = new SpanQueue(new RegistrySpanSink(registry.url, undefined, log), { log, intervalMs: 10 });
  try {
    queue.push(span(1));
    await queue.flush(2000);
    for (let i = 2; i < 50; i++) queue.push(span(i));
    await queue.flush(2000);
    t.deepEqual(registry.paths, ['POST /traces']);
    t.is(lines.filter((l) => /keeps no traces \(POST \/traces answered 404\)/.test(l)).length, 1);
  } finally {
    registry.close();
  }
});

test('a lagging sink: spans beyond the queue are dropped and counted, the caller never waits', async (t) => {
  let release!: () => void;
  const sent: number[] = [];
  const slow: SpanSink = {
    name: 'slow',
    send: (spans) =>
      new Promise((resolve) => {
        release = () => resolve('sent');
        sent.push(spans.length);
      }),
  };
  const { lines, log } = logger();
  const queue = new SpanQueue(slow, { log, capacity: 10, batch: 5, intervalMs: 1 });
  for (let i = 0; i < 5; i++) queue.push(span(i));
  await new Promise((resolve) => setTimeout(resolve, 20)); // the first batch is on its way, and stuck
  for (let i = 5; i < 30; i++) queue.push(span(i));
  t.is(queue.dropped, 15);
  t.is(lines.filter((l) => /slow lags, spans dropped/.test(l)).length, 1);
  release();
  await new Promise((resolve) => setTimeout(resolve, 20));
  release();
  await new Promise((resolve) => setTimeout(resolve, 20));
  release();
  t.deepEqual(sent, [5, 5, 5]);
  t.is(queue.sent, 10);
});

test('a failing sink loses its batch (counted as dropped) and keeps going', async (t) => {
  let fail = true;
  const sink: SpanSink = { name: 'flaky', send: async () => (fail ? Promise.reject(new Error('ECONNREFUSED')) : 'sent') };
  const { log } = logger();
  const queue = new SpanQueue(sink, { log, intervalMs: 1 });
  queue.push(span(1));
  await queue.flush(1000);
  t.is(queue.dropped, 1);
  fail = false;
  queue.push(span(2));
  await queue.flush(1000);
  t.is(queue.sent, 1);
});
