import test from 'ava';
import {
  childContext,
  formatTraceparent,
  newSpanId,
  newTraceId,
  parseTraceparent,
  parseTracestate,
  propagationFields,
  readParent,
} from './trace-context.js';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN = '00f067aa0ba902b7';

test('a valid traceparent gives the trace, the parent span and the sampled flag', (t) => {
  t.deepEqual(parseTraceparent(`00-${TRACE}-${SPAN}-01`), { traceId: TRACE, parentSpanId: SPAN, sampled: true });
  t.deepEqual(parseTraceparent(` 00-${TRACE}-${SPAN}-00 `), { traceId: TRACE, parentSpanId: SPAN, sampled: false });
  // A later version may carry more fields after a dash: the first four are read.
  t.deepEqual(parseTraceparent(`cc-${TRACE}-${SPAN}-09-what-the-future-holds`), { traceId: TRACE, parentSpanId: SPAN, sampled: true });
});

test('an invalid traceparent is refused (a new trace starts instead)', (t) => {
  for (const bad of [
    undefined,
    42,
    '',
    `ff-${TRACE}-${SPAN}-01`, // version ff is forbidden
    `00-${TRACE}-${SPAN}-01-extra`, // version 00 is exactly 55 characters
    `00-${'0'.repeat(32)}-${SPAN}-01`, // all-zero trace id
    `00-${TRACE}-${'0'.repeat(16)}-01`, // all-zero parent id
    `00-${TRACE.toUpperCase()}-${SPAN}-01`, // uppercase hex
    `00_${TRACE}-${SPAN}-01`,
    `00-${TRACE}-${SPAN}-0g`,
    `cc-${TRACE}-${SPAN}-01x`,
  ]) {
    t.is(parseTraceparent(bad), undefined, String(bad));
  }
});

test('tracestate: valid lists are normalised, invalid ones dropped whole', (t) => {
  t.is(parseTracestate('rojo=00f067aa0ba902b7, congo=t61rcWkgMzE'), 'rojo=00f067aa0ba902b7,congo=t61rcWkgMzE');
  t.is(parseTracestate(['a=1', 'tenant@vendor=x']), 'a=1,tenant@vendor=x');
  t.is(parseTracestate(' , '), undefined);
  t.is(parseTracestate('Upper=1'), undefined);
  t.is(parseTracestate('a=1,a=2'), undefined, 'duplicate keys');
  t.is(parseTracestate('a=b=c'), undefined);
  t.is(parseTracestate(Array.from({ length: 33 }, (_, i) => `k${i}=v`).join(',')), undefined, 'more than 32 members');
});

test('readParent takes a header pair or MCP _meta alike', (t) => {
  t.deepEqual(readParent({ traceparent: `00-${TRACE}-${SPAN}-01`, tracestate: 'a=1' }), {
    traceId: TRACE,
    parentSpanId: SPAN,
    sampled: true,
    traceState: 'a=1',
  });
  t.deepEqual(readParent({ traceparent: `00-${TRACE}-${SPAN}-01`, tracestate: 'bad key=1' }), { traceId: TRACE, parentSpanId: SPAN, sampled: true });
  t.is(readParent({ tracestate: 'a=1' }), undefined);
  t.is(readParent(undefined), undefined);
});

test('a child continues the trace with a new span; no parent starts a sampled trace', (t) => {
  const child = childContext({ traceId: TRACE, sampled: false, traceState: 'a=1' });
  t.is(child.traceId, TRACE);
  t.regex(child.spanId, /^[0-9a-f]{16}$/);
  t.false(child.sampled);
  t.deepEqual(propagationFields(child), { traceparent: `00-${TRACE}-${child.spanId}-00`, tracestate: 'a=1' });
  const root = childContext(undefined);
  t.regex(root.traceId, /^[0-9a-f]{32}$/);
  t.true(root.sampled);
  t.deepEqual(parseTraceparent(formatTraceparent(root)), { traceId: root.traceId, parentSpanId: root.spanId, sampled: true });
});

test('ids are random, well-formed and never repeat across pool refills', (t) => {
  const seen = new Set<string>();
  for (let i = 0; i < 1000; i++) {
    const trace = newTraceId();
    const span = newSpanId();
    t.regex(trace, /^[0-9a-f]{32}$/);
    t.regex(span, /^[0-9a-f]{16}$/);
    seen.add(trace).add(span);
  }
  t.is(seen.size, 2000);
});
