import test from 'ava';
import type { Span } from './span-wire.js';
import { formatMs, hopLabel, traceRows, treePrefix } from './trace-tree.js';

const T = 'a'.repeat(32);
const span = (
  id: string,
  parent: string | undefined,
  kind: 'server' | 'client',
  name: string,
  agent: string,
  start: number,
  duration: number,
  peer?: string,
): Span => ({
  trace_id: T,
  span_id: id.repeat(16).slice(0, 16),
  ...(parent ? { parent_span_id: parent.repeat(16).slice(0, 16) } : {}),
  kind,
  name,
  agent_id: `${agent}-00000000`,
  agent_name: agent,
  ...(kind === 'client' ? { capability: name, peer_agent_id: `${peer}-00000000` } : {}),
  start_ms: start,
  duration_ms: duration,
  outcome: 'ok',
});

// planner serves plan_trip, calls weather (served by weather-fast, which calls time) and packing (self).
const spans = [
  span('5', '4', 'server', 'now', 'time', 1004, 0.5),
  span('1', undefined, 'server', 'plan_trip', 'planner', 1000, 12),
  span('2', '1', 'client', 'weather', 'planner', 1001, 8, 'weather-fast'),
  span('3', '2', 'server', 'forecast', 'weather-fast', 1002, 6),
  span('4', '3', 'client', 'time_service', 'weather-fast', 1003, 2, 'time'),
  span('6', '1', 'client', 'packing_list', 'planner', 1010, 1, 'planner'),
  span('7', '6', 'server', 'packing_list', 'planner', 1010.1, 0.8),
];

test('spans become a tree in call order, whatever order they arrived in', (t) => {
  const rows = traceRows(spans);
  t.deepEqual(
    rows.map((r) => `${treePrefix(r)}${hopLabel(r.span, (id) => id.replace(/-0+$/, ''))} +${Math.round(r.offsetMs * 10) / 10}`),
    [
      'plan_trip @planner +0',
      '├─ → weather (weather-fast) +1',
      '│  └─ forecast @weather-fast +2',
      '│     └─ → time_service (time) +3',
      '│        └─ now @time +4',
      '└─ → packing_list (planner) +10',
      '   └─ packing_list @planner +10.1',
    ],
  );
});

test('a span whose parent never arrived is a root of its own; a cycle of parents is shown once', (t) => {
  const orphan = span('9', '8', 'server', 'forecast', 'weather-fast', 1002, 6);
  t.deepEqual(
    traceRows([orphan]).map((r) => r.depth),
    [0],
  );
  const a = span('a', 'b', 'server', 'x', 'p', 1, 1);
  const b = span('b', 'a', 'client', 'y', 'p', 2, 1, 'q');
  t.true(traceRows([a, b]).length <= 2);
  t.deepEqual(traceRows([]), []);
});

test('durations read at a glance', (t) => {
  t.is(formatMs(0.25), '0.25 ms');
  t.is(formatMs(12.34), '12.3 ms');
  t.is(formatMs(250.4), '250 ms');
  t.is(formatMs(1200), '1.20 s');
});
