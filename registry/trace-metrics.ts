// The trace store in Prometheus's text exposition: per dependency edge a call counter, an error counter and a latency
// histogram (caller and provider by agent name, so a restarted agent continues its series), and the store's own size.
import { labelValue, metricHead } from '../core/histogram.js';
import type { TraceStore } from './trace-store.js';

export function renderTraceMetrics(traces: TraceStore, nameOf: (agentId: string) => string | undefined): string[] {
  const edges = traces.edgeList().map((e) => ({
    e,
    labels: `caller="${labelValue(e.callerName)}",capability="${labelValue(e.capability)}",provider="${labelValue(nameOf(e.providerAgentId) ?? e.providerAgentId)}"`,
  }));
  return [
    ...metricHead('mesh_dependency_calls_total', 'counter', 'Dependency calls, from the spans agents sent, by caller, capability and provider.'),
    ...edges.map(({ e, labels }) => `mesh_dependency_calls_total{${labels}} ${e.calls}`),
    ...metricHead(
      'mesh_dependency_call_errors_total',
      'counter',
      'Dependency calls that did not end ok (tool error, unreachable, timeout, cancelled).',
    ),
    ...edges.map(({ e, labels }) => `mesh_dependency_call_errors_total{${labels}} ${e.errors}`),
    ...metricHead('mesh_dependency_call_duration_seconds', 'histogram', 'Duration of dependency calls as the caller saw them.'),
    ...edges.flatMap(({ e, labels }) => e.histogram.samples('mesh_dependency_call_duration_seconds', labels)),
    ...metricHead('mesh_registry_spans', 'gauge', 'Spans kept for GET /traces.'),
    `mesh_registry_spans ${traces.size}`,
    ...metricHead('mesh_registry_spans_received_total', 'counter', 'Spans received on POST /traces.'),
    `mesh_registry_spans_received_total ${traces.received}`,
    ...metricHead('mesh_registry_traces_evicted_total', 'counter', 'Traces dropped, oldest first, to keep at most --max-spans spans.'),
    `mesh_registry_traces_evicted_total ${traces.evicted}`,
    ...metricHead(
      'mesh_registry_spans_over_trace_limit_total',
      'counter',
      'Spans not kept because their trace already held the most kept per trace.',
    ),
    `mesh_registry_spans_over_trace_limit_total ${traces.overflow}`,
  ];
}
