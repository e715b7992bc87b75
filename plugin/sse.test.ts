import test from 'ava';
import { parseSseChunk } from './sse.js';

test('complete messages are parsed and the incomplete tail is kept', (t) => {
  const { messages, rest } = parseSseChunk('id: 1\nevent: register\ndata: {"id":1}\n\n: ping\n\nid: 2\ndata: {"id"');
  t.deepEqual(messages, [{ id: '1', event: 'register', data: '{"id":1}' }]);
  t.is(rest, 'id: 2\ndata: {"id"');
});

test('multi-line data is joined with newlines and CRLF is accepted', (t) => {
  const { messages, rest } = parseSseChunk('data: a\r\ndata: b\r\n\r\n');
  t.deepEqual(messages, [{ data: 'a\nb' }]);
  t.is(rest, '');
});

test('comment-only blocks yield nothing', (t) => {
  t.deepEqual(parseSseChunk(': ping\n\n').messages, []);
});
