import test from 'ava';
import { painter } from '../core/text/colour.js';
import { displayWidth } from '../core/text/width.js';
import { decodeEdges, decodeTrace, type EdgeReadings } from './calls-model.js';
import { callsOverlay, traceOverlay } from './calls-view.js';
import { initialState } from './state.js';
import { initialUiState, reduceKey, type KeyContext } from './ui-state.js';

const edge = (calls: number, errors = 0) => ({
  caller_agent_id: 'planner-1',
  caller_name: 'planner',
  capability: 'weather',
  provider_agent_id: 'weather-fast-2',
  provider_name: 'weather-fast',
  calls,
  errors,
  p50_ms: 1.25,
  p95_ms: 4.5,
  last_ms: 1000,
  last_trace_id: 'a'.repeat(32),
});

test('edges get a call rate from their counter between polls; an edge gone loses its readings', (t) => {
  const readings: EdgeReadings = new Map();
  const first = decodeEdges({ edges: [edge(100)] }, readings, 0);
  t.is(first[0]!.rate, null, 'one reading: no rate yet');
  const second = decodeEdges({ edges: [edge(150, 5)] }, readings, 2000);
  t.like(second[0], { callerName: 'planner', providerName: 'weather-fast', rate: 25, errorRate: 2.5, calls: 150 });
  decodeEdges({ edges: [] }, readings, 3000);
  t.is(readings.size, 0);
  t.deepEqual(decodeEdges({ nonsense: true }, readings, 4000), []);
  t.is(decodeTrace({ trace_id: 'x' }), null);
});

test('the calls view: one row per edge with rate, errors, p50/p95; fits the overlay; says when the registry keeps no traces', (t) => {
  const readings: EdgeReadings = new Map();
  decodeEdges({ edges: [edge(100)] }, readings, 0);
  const state = { ...initialState('http://x', 0), edges: decodeEdges({ edges: [edge(150)] }, readings, 1000), callsSupported: true };
  const view = callsOverlay(state, 0, 70, 10, painter(false));
  t.regex(view.lines[0]!, /EDGE .*CALLS\/S .*ERR .*P50 .*P95/);
  t.regex(view.lines[1]!, /^▸ planner → weather @weather-fast +50 +0 +1\.3 ms +4\.5 ms +150$/);
  t.true(view.lines.every((l) => displayWidth(l) <= 70));
  t.regex(callsOverlay({ ...state, callsSupported: false, edges: [] }, 0, 70, 10, painter(false)).lines[0]!, /keeps no traces/);
  t.regex(traceOverlay(state, 'b'.repeat(32), 0, 70, painter(false)).lines[0]!, /loading/);
});

test('keys: c opens the calls view, arrows select an edge, enter drills into its trace, esc goes back then closes', (t) => {
  const ctx: KeyContext = { agentIds: [], capabilityProviderIds: [], wiringLines: 0, eventLines: 0, visibleLines: 5, edgeTraceIds: ['t1', 't2'] };
  let ui = reduceKey(initialUiState(), { ch: 'c' }, ctx).ui;
  t.deepEqual(ui.overlay, { kind: 'calls', selected: 0, scroll: 0 });
  ui = reduceKey(ui, { name: 'down' }, ctx).ui;
  ui = reduceKey(ui, { name: 'down' }, ctx).ui;
  t.deepEqual(ui.overlay, { kind: 'calls', selected: 1, scroll: 0 });
  ui = reduceKey(ui, { name: 'enter' }, ctx).ui;
  t.deepEqual(ui.overlay, { kind: 'trace', traceId: 't2', selected: 1, scroll: 0 });
  ui = reduceKey(ui, { name: 'escape' }, ctx).ui;
  t.deepEqual(ui.overlay, { kind: 'calls', selected: 1, scroll: 0 });
  ui = reduceKey(ui, { name: 'escape' }, ctx).ui;
  t.is(ui.overlay, null);
});
