import test from 'ava';
import { SseParser } from './sse-parser.js';

test('messages carry id, event and data; comments (pings) and retry lines yield nothing', (t) => {
  const p = new SseParser();
  t.deepEqual(p.feed('retry: 2000\n\n: ping\n\n'), []);
  t.deepEqual(p.feed('id: 7\nevent: register\ndata: {"id":7}\n\n'), [{ id: '7', event: 'register', data: '{"id":7}' }]);
});

test('a message split across chunks (even inside CRLF) arrives once, whole', (t) => {
  const p = new SseParser();
  t.deepEqual(p.feed('id: 1\r'), []);
  t.deepEqual(p.feed('\ndata: a'), []);
  t.deepEqual(p.feed('bc\r\ndata: d\r\n'), []);
  t.deepEqual(p.feed('\r\n'), [{ id: '1', event: 'message', data: 'abc\nd' }]);
});

test('a message without data is not dispatched', (t) => {
  t.deepEqual(new SseParser().feed('event: x\n\nid: 3\n\n'), []);
});
