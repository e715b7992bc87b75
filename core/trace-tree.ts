// One trace's spans as a tree of hops (parent → child by span id), each with its offset from the trace's start and
// its duration, and those as lines: what `pm2-mesh trace` prints and the dashboard's drill-down shows. Pure.
import type { Span, TraceResponse } from './span-wire.js';
import type { Painter } from './text/colour.js';
import { clip, displayWidth, pad } from './text/width.js';

export interface TraceRow {
  span: Span;
  /** Nesting depth, 0 for a root. */
  depth: number;
  /** Whether this is the last child of its parent (for └─ vs ├─). */
  last: boolean;
  /** For each ancestor level: does a line continue below it (│)? */
  rails: boolean[];
  /** ms from the trace's first span start. */
  offsetMs: number;
}

/** Rows in tree order: roots (no parent, or a parent never received) by start time, each followed by its subtree. */
export function traceRows(spans: readonly Span[]): TraceRow[] {
  if (spans.length === 0) return [];
  const byStart = [...spans].sort((a, b) => a.start_ms - b.start_ms || (a.kind === 'client' ? -1 : 1));
  const ids = new Set(byStart.map((s) => s.span_id));
  const children = new Map<string, Span[]>();
  const roots: Span[] = [];
  for (const s of byStart) {
    if (s.parent_span_id && ids.has(s.parent_span_id) && s.parent_span_id !== s.span_id) {
      const list = children.get(s.parent_span_id) ?? [];
      list.push(s);
      children.set(s.parent_span_id, list);
    } else {
      roots.push(s);
    }
  }
  const origin = byStart[0]!.start_ms;
  const rows: TraceRow[] = [];
  const seen = new Set<Span>();
  const walk = (span: Span, depth: number, last: boolean, rails: boolean[]) => {
    if (seen.has(span)) return; // a malformed trace (a cycle of parents) is shown once, not forever
    seen.add(span);
    rows.push({ span, depth, last, rails, offsetMs: span.start_ms - origin });
    const kids = children.get(span.span_id) ?? [];
    kids.forEach((kid, i) => walk(kid, depth + 1, i === kids.length - 1, depth === 0 ? [] : [...rails, !last]));
  };
  roots.forEach((root, i) => walk(root, 0, i === roots.length - 1, []));
  return rows;
}

/** The tree drawing before a row's label: `│  ├─ `. */
export function treePrefix(row: TraceRow): string {
  if (row.depth === 0) return '';
  return row.rails.map((more) => (more ? '│  ' : '   ')).join('') + (row.last ? '└─ ' : '├─ ');
}

/** What a hop is, in words: `plan_trip @planner` for a tool served, `→ weather (weather-fast)` for a call made. */
export function hopLabel(span: Span, nameOf: (agentId: string) => string | undefined = () => undefined): string {
  if (span.kind === 'server') return `${span.name} @${span.agent_name}`;
  const provider = span.peer_agent_id ? (nameOf(span.peer_agent_id) ?? span.peer_agent_id) : '?';
  return `→ ${span.capability ?? span.name} (${provider})`;
}

/** `12.4 ms`, `1.20 s`. */
export function formatMs(ms: number): string {
  if (ms < 1) return `${ms.toFixed(2)} ms`;
  if (ms < 100) return `${ms.toFixed(1)} ms`;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  return `${(ms / 1000).toFixed(2)} s`;
}

/** Width of the waterfall bar. */
const BAR = 20;

/**
 * A heading, then one line per hop: start offset, duration, a waterfall bar (where the hop sits in the whole call),
 * the hop, and what went wrong; each line fits `width` columns.
 */
export function traceLines(trace: TraceResponse, width: number, paint: Painter): string[] {
  const rows = traceRows(trace.spans);
  if (rows.length === 0) return [clip(`trace ${trace.trace_id}: no spans`, width)];
  const names = new Map(trace.spans.map((s) => [s.agent_id, s.agent_name]));
  const nameOf = (id: string) => names.get(id);
  const start = Math.min(...trace.spans.map((s) => s.start_ms));
  const total = Math.max(...trace.spans.map((s) => s.start_ms + s.duration_ms)) - start;
  const errors = trace.spans.filter((s) => s.outcome !== 'ok').length;
  const title = `trace ${trace.trace_id}`;
  const facts = `  ${hopLabel(rows[0]!.span, nameOf)}  ${formatMs(total)}  ${trace.spans.length} spans  `;
  const verdict = errors ? `${errors} failed` : 'no errors';
  const when = `  ${new Date(start).toISOString()}`;
  const room = Math.max(0, width - displayWidth(title) - displayWidth(verdict));
  const lines = [
    `${paint(title, 'strong')}${clip(facts, room)}${paint(verdict, errors ? 'bad' : 'good')}${clip(when, Math.max(0, room - displayWidth(facts)))}`,
  ];
  for (const row of rows) {
    const s = row.span;
    const failed = s.outcome !== 'ok';
    const times = `${pad(`+${formatMs(row.offsetMs)}`, 10, 'right')} ${pad(formatMs(s.duration_ms), 9, 'right')} `;
    const hop = ` ${treePrefix(row)}${hopLabel(s, nameOf)}`;
    const problem = failed ? ` ✗ ${s.outcome}${s.error ? `: ${s.error}` : ''}` : '';
    const rest = clip(hop + problem, Math.max(0, width - displayWidth(times) - BAR));
    const shownHop = rest.slice(0, Math.min(rest.length, hop.length));
    lines.push(
      `${times}${paint(waterfall(row.offsetMs, s.duration_ms, total), failed ? 'bad' : 'info')}${shownHop}${paint(rest.slice(shownHop.length), 'bad')}`,
    );
  }
  return lines;
}

function waterfall(offset: number, duration: number, total: number): string {
  if (total <= 0) return '█'.padEnd(BAR);
  const from = Math.min(BAR - 1, Math.floor((offset / total) * BAR));
  const to = Math.max(from + 1, Math.min(BAR, Math.round(((offset + duration) / total) * BAR)));
  return `${' '.repeat(from)}${'█'.repeat(to - from)}${' '.repeat(BAR - to)}`;
}
