// One trace's spans as a tree of hops (parent → child by span id), each with its offset from the trace's start and
// its duration: what `pm2-mesh trace` prints and the dashboard's drill-down shows. Pure.
import type { Span } from './span-wire.js';

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
