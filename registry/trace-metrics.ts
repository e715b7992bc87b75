// The trace store in Prometheus's text exposition: per dependency edge a call counter, an error counter and a latency
// histogram (caller and provider by agent name, so a restarted agent continues its series), and the store's own size.
import { LATENCY_BUCKETS_S } from '../core/defaults.js';
import type { TraceStore } from './trace-store.js';

export function renderTraceMetrics(traces: TraceStore, nameOf: (agentId: string) => string | undefined): string[] {
  const lines: string[] = [];
  const head = (name: string, type: string, help: string) => lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
  const edges = traces.edgeList().map((e) => ({
    e,
    labels: `caller="${escape(e.callerName)}",capability="${escape(e.capability)}",provider="${escape(nameOf(e.providerAgentId) ?? e.providerAgentId)}"`,
  }));
  head('mesh_dependency_calls_total', 'counter', 'Dependency calls, from the spans agents sent, by caller, capability and provider.');
  for (const { e, labels } of edges) lines.push(`mesh_dependency_calls_total{${labels}} ${e.calls}`);
  head('mesh_dependency_call_errors_total', 'counter', 'Dependency calls that did not end ok (tool error, unreachable, timeout, cancelled).');
  for (const { e, labels } of edges) lines.push(`mesh_dependency_call_errors_total{${labels}} ${e.errors}`);
  head('mesh_dependency_call_duration_seconds', 'histogram', 'Duration of dependency calls as the caller saw them.');
  for (const { e, labels } of edges) {
    let cumulative = 0;
    LATENCY_BUCKETS_S.forEach((bound, i) => {
      cumulative += e.buckets[i]!;
      lines.push(`mesh_dependency_call_duration_seconds_bucket{${labels},le="${bound}"} ${cumulative}`);
    });
    lines.push(`mesh_dependency_call_duration_seconds_bucket{${labels},le="+Inf"} ${e.calls}`);
    lines.push(`mesh_dependency_call_duration_seconds_sum{${labels}} ${e.seconds}`);
    lines.push(`mesh_dependency_call_duration_seconds_count{${labels}} ${e.calls}`);
  }
  head('mesh_registry_spans', 'gauge', 'Spans kept for GET /traces.');
  lines.push(`mesh_registry_spans ${traces.size}`);
  head('mesh_registry_spans_received_total', 'counter', 'Spans received on POST /traces.');
  lines.push(`mesh_registry_spans_received_total ${traces.received}`);
  head('mesh_registry_traces_evicted_total', 'counter', 'Traces dropped, oldest first, to keep at most --max-spans spans.');
  lines.push(`mesh_registry_traces_evicted_total ${traces.evicted}`);
  return lines;
}

/** A label value as the exposition format wants it. */
export function escape(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}
