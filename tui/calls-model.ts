// The dashboard's calls view data: dependency edges from the registry's GET /traces/edges (decoded leniently), each
// with its call rate over the last seconds, from the growth of its counter between polls. Pure.
import type { Span, TraceResponse } from '../core/span-wire.js';
import { addReading, windowRate, type CounterReading } from './state.js';

export interface CallEdgeRow {
  /** caller id, capability and provider id: one edge. */
  key: string;
  callerName: string;
  capability: string;
  providerName: string;
  calls: number;
  errors: number;
  p50Ms: number;
  p95Ms: number;
  /** Calls per second over the rate window; null until two readings. */
  rate: number | null;
  /** Errors per second likewise. */
  errorRate: number | null;
  lastMs: number;
  lastTraceId: string;
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown) => (typeof v === 'string' ? v : '');
const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : 0);

/** Counter readings per edge (calls and errors), kept by the data source between polls. */
export type EdgeReadings = Map<string, { calls: CounterReading[]; errors: CounterReading[] }>;

/**
 * The edges of a GET /traces/edges answer with their rates, given the readings so far (updated in place: edges gone
 * from the answer lose theirs). Busiest first.
 */
export function decodeEdges(body: unknown, readings: EdgeReadings, at: number): CallEdgeRow[] {
  const list = isObject(body) && Array.isArray(body.edges) ? body.edges.filter(isObject) : [];
  const seen = new Set<string>();
  const rows = list.map((e): CallEdgeRow => {
    const key = `${str(e.caller_agent_id)}\0${str(e.capability)}\0${str(e.provider_agent_id)}`;
    seen.add(key);
    const kept = readings.get(key) ?? { calls: [], errors: [] };
    kept.calls = addReading(kept.calls, { value: num(e.calls), at });
    kept.errors = addReading(kept.errors, { value: num(e.errors), at });
    readings.set(key, kept);
    return {
      key,
      callerName: str(e.caller_name) || str(e.caller_agent_id),
      capability: str(e.capability),
      providerName: str(e.provider_name) || str(e.provider_agent_id) || '?',
      calls: num(e.calls),
      errors: num(e.errors),
      p50Ms: num(e.p50_ms),
      p95Ms: num(e.p95_ms),
      rate: windowRate(kept.calls),
      errorRate: windowRate(kept.errors),
      lastMs: num(e.last_ms),
      lastTraceId: str(e.last_trace_id),
    };
  });
  for (const key of readings.keys()) if (!seen.has(key)) readings.delete(key);
  return rows.sort((a, b) => (b.rate ?? 0) - (a.rate ?? 0) || b.lastMs - a.lastMs || a.key.localeCompare(b.key));
}

/** A GET /traces/:id answer, or null when it is not one. */
export function decodeTrace(body: unknown): TraceResponse | null {
  if (!isObject(body) || typeof body.trace_id !== 'string' || !Array.isArray(body.spans)) return null;
  const spans = body.spans.filter(
    (s): s is Span => isObject(s) && typeof s.span_id === 'string' && typeof s.start_ms === 'number' && typeof s.duration_ms === 'number',
  );
  return { trace_id: body.trace_id, spans };
}
