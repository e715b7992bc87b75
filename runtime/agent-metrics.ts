// An agent's GET /metrics (opt-in: MCP_MESH_METRICS=true), in Prometheus's text exposition: the tool calls it served
// and the dependency calls it made (counters and latency histograms), its dependencies, its spans, and the process
// metrics under their standard names.
import { metricHead } from '../core/histogram.js';
import { processMetricLines } from '../core/process-metrics.js';
import type { CallStats } from './tracing/call-stats.js';

export interface AgentMetricsSource {
  stats: CallStats;
  dependencies(): { resolved: number; total: number };
  spans(): { sent: number; dropped: number };
}

export function renderAgentMetrics(source: AgentMetricsSource): string {
  const { served, calls } = source.stats;
  const deps = source.dependencies();
  const spans = source.spans();
  const lines = [
    ...metricHead('mesh_agent_tool_calls_total', 'counter', 'Tool calls this agent served (MCP clients, other agents, self proxies).'),
    `mesh_agent_tool_calls_total ${served.total}`,
    ...metricHead('mesh_agent_tool_call_errors_total', 'counter', 'Tool calls served that ended in an error result.'),
    `mesh_agent_tool_call_errors_total ${served.errors}`,
    ...metricHead('mesh_agent_tool_call_duration_seconds', 'histogram', 'Time to serve a tool call, its dependency calls included.'),
    ...served.histogram.samples('mesh_agent_tool_call_duration_seconds', ''),
    ...metricHead('mesh_agent_dependency_calls_total', 'counter', 'Dependency calls this agent made through its proxies.'),
    `mesh_agent_dependency_calls_total ${calls.total}`,
    ...metricHead('mesh_agent_dependency_call_errors_total', 'counter', 'Dependency calls that did not end ok.'),
    `mesh_agent_dependency_call_errors_total ${calls.errors}`,
    ...metricHead('mesh_agent_dependency_call_duration_seconds', 'histogram', 'Duration of dependency calls, failover included.'),
    ...calls.histogram.samples('mesh_agent_dependency_call_duration_seconds', ''),
    ...metricHead('mesh_agent_dependencies', 'gauge', 'Declared dependencies, and how many are resolved now.'),
    `mesh_agent_dependencies{state="declared"} ${deps.total}`,
    `mesh_agent_dependencies{state="resolved"} ${deps.resolved}`,
    ...metricHead('mesh_agent_spans_sent_total', 'counter', 'Spans the sinks took (registry, OpenTelemetry).'),
    `mesh_agent_spans_sent_total ${spans.sent}`,
    ...metricHead('mesh_agent_spans_dropped_total', 'counter', 'Spans dropped because a sink lagged or failed.'),
    `mesh_agent_spans_dropped_total ${spans.dropped}`,
    ...processMetricLines(),
  ];
  return `${lines.join('\n')}\n`;
}
