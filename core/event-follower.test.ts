import test from 'ava';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { EventFollower, type EventStreamStatus } from './event-follower.js';
import { RegistryClient } from './registry-client.js';
import type { RegistryEvent } from './wire.js';

test('follows the stream, and after a lost connection resumes with Last-Event-ID', async (t) => {
  const asked: (string | undefined)[] = [];
  const open: ServerResponse[] = [];
  const server = createServer((req, res) => {
    const last = req.headers['last-event-id'] as string | undefined;
    asked.push(last);
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    const next = Number(last ?? 0) + 1;
    // the first connection sends two events then drops; the next one sends one more (no id in the JSON)
    if (!last) res.end(`id: 1\ndata: {"id":1,"event_type":"register"}\n\n: ping\n\nid: 2\ndata: {"id":2,"event_type":"healthy"}\n\n`);
    else {
      res.write(`id: ${next}\ndata: {"event_type":"update"}\n\ndata: not json\n\n`);
      open.push(res);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => (server.closeAllConnections(), server.close()));
  const client = new RegistryClient({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
  const events: RegistryEvent[] = [];
  const statuses: EventStreamStatus[] = [];
  let last: number | undefined;
  const follower = new EventFollower({
    client,
    backoffMs: 10,
    lastEventId: () => last,
    onEvent: (event) => {
      events.push(event);
      last = event.id;
      if (events.length === 3) follower.stop();
    },
    onStatus: (status) => statuses.push(status),
  });
  await follower.start();
  t.deepEqual(
    events.map((e) => [e.id, e.event_type]),
    [
      [1, 'register'],
      [2, 'healthy'],
      [3, 'update'],
    ],
  );
  t.deepEqual(asked, [undefined, '2']);
  t.deepEqual(statuses, ['connecting', 'live', 'down', 'connecting', 'live']);
});

test('a registry without a stream (404) ends the loop as unsupported', async (t) => {
  const server = createServer((_req, res) => res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"Not Found"}'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => server.close());
  const statuses: [EventStreamStatus, string | undefined][] = [];
  const follower = new EventFollower({
    client: new RegistryClient({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }),
    lastEventId: () => null,
    onEvent: () => t.fail(),
    onStatus: (status, error) => statuses.push([status, error?.message]),
  });
  await follower.start();
  t.deepEqual(
    statuses.map(([s]) => s),
    ['connecting', 'unsupported'],
  );
  t.regex(statuses[1]![1]!, /answered 404 for \/events\/stream: Not Found/);
});
