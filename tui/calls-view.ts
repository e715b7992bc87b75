// The calls view and the trace drill-down as overlay text: per dependency edge its call rate, errors and p50/p95,
// and one trace's hops with their times. Pure: state and choice in, lines out.
import { formatMs, traceLines } from '../core/trace-tree.js';
import type { Painter, Tone } from '../core/text/colour.js';
import { contentWidths, fitColumns, row, type ColumnSpec } from '../core/text/table.js';
import { fit } from '../core/text/width.js';
import type { CallEdgeRow } from './calls-model.js';
import type { DashboardState } from './state.js';

export const CALL_COLUMNS: readonly ColumnSpec[] = [
  { title: 'EDGE (caller → capability @provider)', min: 20, max: 70, growOrder: 0 },
  { title: 'CALLS/S', min: 7, max: 8, align: 'right', growOrder: 1 },
  { title: 'ERR', min: 3, max: 8, align: 'right', growOrder: 2 },
  { title: 'P50', min: 7, max: 9, align: 'right', growOrder: 3 },
  { title: 'P95', min: 7, max: 9, align: 'right', growOrder: 4 },
  { title: 'TOTAL', min: 5, max: 9, align: 'right', shrinkOrder: 1, growOrder: 5 },
];

export interface OverlayText {
  title: string;
  lines: string[];
  scroll: number;
}

const rate = (r: number | null) => (r === null ? '-' : r < 10 ? r.toFixed(1) : String(Math.round(r)));

/** The calls view: a header, then one row per edge, `selected` marked and kept in sight of `height` lines. */
export function callsOverlay(state: DashboardState, selected: number, width: number, height: number, paint: Painter): OverlayText {
  const title = 'Calls per dependency edge (10 s rates)  ↑↓ select · enter latest trace · esc closes';
  if (state.callsSupported === false)
    return { title, lines: [paint("this registry keeps no traces (MCP Mesh's does not): no calls to show", 'dim')], scroll: 0 };
  if (state.edges.length === 0) {
    return { title, lines: [paint('no calls yet: agents send their spans about once a second once a dependency is called', 'dim')], scroll: 0 };
  }
  const cells = state.edges.map((e: CallEdgeRow): { text: string; tone?: Tone | null }[] => [
    { text: `${e.callerName} → ${e.capability} @${e.providerName}`, tone: 'strong' },
    { text: rate(e.rate), tone: e.rate ? 'info' : 'dim' },
    { text: e.errors ? `${e.errors}` : '0', tone: e.errorRate ? 'bad' : e.errors ? 'warn' : 'dim' },
    { text: formatMs(e.p50Ms) },
    { text: formatMs(e.p95Ms) },
    { text: String(e.calls), tone: 'dim' },
  ]);
  // Two columns for the selection mark.
  const widths = fitColumns(CALL_COLUMNS, Math.max(0, width - 2), contentWidths(CALL_COLUMNS, cells));
  const header = `  ${CALL_COLUMNS.map((c, i) => fit(c.title, widths[i]!, c.align))
    .filter((_, i) => widths[i]! > 0)
    .join(' ')}`;
  const chosen = Math.min(selected, cells.length - 1);
  const rows = cells.map((c, i) => `${i === chosen ? paint('▸', 'info') : ' '} ${row(c, widths, CALL_COLUMNS, paint)}`);
  // The header stays; the rows scroll so that the selection is in sight.
  const room = Math.max(1, height - 1);
  const top = Math.max(0, Math.min(chosen - room + 1, rows.length - room));
  return { title, lines: [paint(header, 'dim'), ...rows.slice(top)], scroll: 0 };
}

/** The drill-down: the trace's hops (as `pm2-mesh trace` prints them), or why it is not shown yet. */
export function traceOverlay(state: DashboardState, traceId: string, scroll: number, width: number, paint: Painter): OverlayText {
  const title = `Trace ${traceId.slice(0, 8)}…  esc back to calls`;
  if (state.trace?.trace_id !== traceId) return { title, lines: [paint('loading the trace…', 'dim')], scroll: 0 };
  return { title, lines: traceLines(state.trace, width, paint), scroll };
}
