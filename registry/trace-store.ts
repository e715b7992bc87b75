// The registry's recent spans, in bounded memory: whole traces, oldest first out once more than `capacity` spans are
// kept; and per dependency edge (consumer → capability → provider) the calls, errors and recent latencies that the
// dashboard's calls view and /metrics read. Nothing is saved: traces are for looking at what just happened.
import type { CallEdge, Span, TraceSummary } from '../core/span-wire.js';
import { Histogram } from '../core/histogram.js';

/** Recent durations kept per edge for its percentiles. */
export const EDGE_WINDOW = 256;
/** Edges kept at most; the one idle longest goes first. */
const MAX_EDGES = 2_000;

interface TraceEntry {
  spans: Span[];
  /** kind + span id of each span kept: a span sent twice is kept once. */
  keys: Set<string>;
  seq: number;
}

/** Spans kept per trace: one huge trace (a loop of calls in one handler) must not crowd out all the others. */
export const MAX_SPANS_PER_TRACE = 1000;

export interface EdgeStats {
  callerAgentId: string;
  callerName: string;
  capability: string;
  providerAgentId: string;
  calls: number;
  errors: number;
  histogram: Histogram;
  recent: Float64Array;
  lastMs: number;
  /** The trace of the edge's latest call: the dashboard's drill-down. */
  lastTraceId: string;
}

export class TraceStore {
  private readonly traces = new Map<string, TraceEntry>();
  private readonly edges = new Map<string, EdgeStats>();
  private spanCount = 0;
  private seq = 0;
  /** Spans received since start, and those already known (sent twice). */
  received = 0;
  duplicates = 0;
  /** Traces dropped to stay within capacity. */
  evicted = 0;
  /** Spans not kept because their trace already had MAX_SPANS_PER_TRACE (still counted on their edge). */
  overflow = 0;

  constructor(readonly capacity: number) {}

  get size(): number {
    return this.spanCount;
  }

  get currentSeq(): number {
    return this.seq;
  }

  add(spans: readonly Span[]): number {
    let added = 0;
    const touched = new Set<TraceEntry>();
    for (const span of spans) {
      this.received += 1;
      let entry = this.traces.get(span.trace_id);
      const key = `${span.kind}:${span.span_id}`;
      if (!entry) {
        entry = { spans: [], keys: new Set(), seq: 0 };
        this.traces.set(span.trace_id, entry);
      } else if (entry.keys.has(key)) {
        this.duplicates += 1;
        continue;
      }
      if (span.kind === 'client') this.countEdge(span);
      if (entry.spans.length >= MAX_SPANS_PER_TRACE) {
        this.overflow += 1;
        continue;
      }
      entry.spans.push(span);
      entry.keys.add(key);
      touched.add(entry);
      this.spanCount += 1;
      added += 1;
    }
    if (touched.size) {
      this.seq += 1;
      for (const entry of touched) entry.seq = this.seq;
    }
    this.evict();
    return added;
  }

  get(traceId: string): Span[] | undefined {
    const entry = this.traces.get(traceId);
    return entry ? [...entry.spans].sort((a, b) => a.start_ms - b.start_ms) : undefined;
  }

  /** The newest traces first (by their last change), optionally only those changed after `after`. */
  list(options: { limit: number; after?: number; agent?: string; errorsOnly?: boolean }): TraceSummary[] {
    const out: TraceSummary[] = [];
    const entries = [...this.traces].sort(([, a], [, b]) => b.seq - a.seq);
    for (const [traceId, entry] of entries) {
      if (out.length >= options.limit) break;
      if (options.after !== undefined && entry.seq <= options.after) break;
      const summary = summarize(traceId, entry);
      if (options.errorsOnly && summary.errors === 0) continue;
      if (options.agent && !entry.spans.some((s) => s.agent_id === options.agent || s.agent_name === options.agent)) continue;
      out.push(summary);
    }
    return out;
  }

  edgeList(): EdgeStats[] {
    return [...this.edges.values()];
  }

  edgeViews(nameOf: (agentId: string) => string | undefined): CallEdge[] {
    return this.edgeList().map((e) => {
      const sorted = e.recent.slice(0, Math.min(e.calls, EDGE_WINDOW)).sort();
      const at = (q: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]! : 0);
      return {
        caller_agent_id: e.callerAgentId,
        caller_name: e.callerName,
        capability: e.capability,
        provider_agent_id: e.providerAgentId,
        provider_name: nameOf(e.providerAgentId) ?? '',
        calls: e.calls,
        errors: e.errors,
        p50_ms: round(at(0.5)),
        p95_ms: round(at(0.95)),
        last_ms: e.lastMs,
        last_trace_id: e.lastTraceId,
      };
    });
  }

  private countEdge(span: Span): void {
    const provider = span.peer_agent_id ?? '';
    const key = `${span.agent_id}\0${span.capability ?? span.name}\0${provider}`;
    let edge = this.edges.get(key);
    if (edge) {
      // Re-inserted: the Map's order is then least recently used first.
      this.edges.delete(key);
    } else {
      edge = {
        callerAgentId: span.agent_id,
        callerName: span.agent_name,
        capability: span.capability ?? span.name,
        providerAgentId: provider,
        calls: 0,
        errors: 0,
        histogram: new Histogram(),
        recent: new Float64Array(EDGE_WINDOW),
        lastMs: 0,
        lastTraceId: span.trace_id,
      };
      if (this.edges.size >= MAX_EDGES) this.edges.delete(this.edges.keys().next().value!);
    }
    this.edges.set(key, edge);
    edge.recent[edge.calls % EDGE_WINDOW] = span.duration_ms;
    edge.calls += 1;
    if (span.outcome !== 'ok') edge.errors += 1;
    edge.histogram.observe(span.duration_ms / 1000);
    const end = span.start_ms + span.duration_ms;
    if (end >= edge.lastMs) {
      edge.lastMs = end;
      edge.lastTraceId = span.trace_id;
    }
  }

  private evict(): void {
    for (const [traceId, entry] of this.traces) {
      if (this.spanCount <= this.capacity) return;
      this.traces.delete(traceId);
      this.spanCount -= entry.spans.length;
      this.evicted += 1;
    }
  }
}

function summarize(traceId: string, entry: TraceEntry): TraceSummary {
  let root: Span | undefined;
  let earliest = entry.spans[0]!;
  let end = 0;
  let errors = 0;
  const ids = new Set(entry.spans.map((s) => s.span_id));
  for (const s of entry.spans) {
    if (s.start_ms < earliest.start_ms) earliest = s;
    end = Math.max(end, s.start_ms + s.duration_ms);
    if (s.outcome !== 'ok') errors += 1;
    // The root: no parent, or a parent this registry never got (a caller outside the mesh).
    if ((!s.parent_span_id || !ids.has(s.parent_span_id)) && (!root || s.start_ms < root.start_ms)) root = s;
  }
  const first = root ?? earliest;
  return {
    trace_id: traceId,
    root: first.name,
    root_agent: first.agent_name,
    start_ms: earliest.start_ms,
    duration_ms: round(end - earliest.start_ms),
    spans: entry.spans.length,
    errors,
    seq: entry.seq,
  };
}

const round = (ms: number) => Math.round(ms * 1000) / 1000;
