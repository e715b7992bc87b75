import test from 'ava';
import { isCallToolResult, JSON_VALUE_META, MeshToolError, toCallToolResult, unwrapResult } from './result.js';

test('plain values become MCP results and come back unchanged', (t) => {
  for (const value of ['text', '', { a: 1, b: [null] }, 42, 0, true, [1, 'x'], null]) {
    t.deepEqual(unwrapResult(toCallToolResult(value)), value, JSON.stringify(value));
  }
  t.is(unwrapResult(toCallToolResult(undefined)), undefined);
});

test('string → text; object → structuredContent + JSON text; other JSON values → marked JSON text', (t) => {
  t.deepEqual(toCallToolResult('hi'), { content: [{ type: 'text', text: 'hi' }] });
  t.deepEqual(toCallToolResult({ a: 1 }), { content: [{ type: 'text', text: '{"a":1}' }], structuredContent: { a: 1 } });
  t.deepEqual(toCallToolResult([1]), { content: [{ type: 'text', text: '[1]' }], _meta: { [JSON_VALUE_META]: true } });
});

test('a full CallToolResult passes through as is', (t) => {
  const result = { content: [{ type: 'image', data: 'AA==', mimeType: 'image/png' }], isError: false };
  t.true(isCallToolResult(result));
  t.is(toCallToolResult(result), result as never);
  t.deepEqual(unwrapResult(result as never), result.content);
  t.false(isCallToolResult({ content: 'not an array' }));
  t.false(isCallToolResult({ structuredContent: {}, other: 1 }));
});

test('text results from other servers unwrap to their text, several joined', (t) => {
  t.is(unwrapResult({ content: [{ type: 'text', text: '{"a":1}' }] }), '{"a":1}');
  t.is(
    unwrapResult({
      content: [
        { type: 'text', text: 'a' },
        { type: 'text', text: 'b' },
      ],
    }),
    'a\nb',
  );
});

test('MeshToolError names the capability and the provider', (t) => {
  const error = new MeshToolError(
    { capability: 'weather', agentId: 'w-1234abcd', functionName: 'forecast', endpoint: 'http://x' },
    { content: [{ type: 'text', text: 'no such city' }], isError: true },
  );
  t.is(error.message, 'weather (w-1234abcd/forecast): no such city');
});
