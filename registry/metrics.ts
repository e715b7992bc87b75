// Counters the registry keeps for GET /metrics, rendered in the Prometheus text exposition format.
import { Histogram, labelValue, metricHead } from '../core/histogram.js';
import { processMetricLines } from '../core/process-metrics.js';
import { renderTraceMetrics } from './trace-metrics.js';
import type { RegistrationLimits } from './registration-limits.js';
import type { TraceStore } from './trace-store.js';

export interface MetricGauges {
  agents: { healthy: number; unhealthy: number; unknown: number };
  capabilities: number;
  events: number;
  sseClients: number;
  topologyWatchers: number;
  journalBytes: number;
  limits: RegistrationLimits;
  traces: TraceStore;
  /** An agent's name by id (the trace metrics label providers by name). */
  nameOf: (agentId: string) => string | undefined;
}

export class RegistryMetrics {
  readonly startedAt = Date.now();
  heartbeatPosts = 0;
  heartbeatHeads = 0;
  /** HEAD answers by status code (200, 202, 410, 503). */
  readonly headAnswers = new Map<number, number>();
  registrations = 0;
  updates = 0;
  unregistrations = 0;
  timeouts = 0;
  purges = 0;
  eventsEmitted = 0;
  resolutions = 0;
  resolutionSeconds = 0;
  journalFlushes = 0;
  journalFlushSeconds = 0;
  journalRecords = 0;
  snapshots = 0;
  snapshotSeconds = 0;
  /** HTTP answers by status code. */
  readonly responses = new Map<number, number>();
  /** Request durations by method and route template (bounded: the routes are few; unknown paths are one "other"). */
  private readonly durations = new Map<string, Histogram>();

  countResponse(status: number): void {
    this.responses.set(status, (this.responses.get(status) ?? 0) + 1);
  }

  /** A request answered in `seconds`; long-polls and event streams count too (their route says so). */
  observeRequest(method: string, route: string | undefined, seconds: number): void {
    const key = `method="${labelValue(method)}",route="${labelValue(route ?? 'other')}"`;
    let histogram = this.durations.get(key);
    if (!histogram) this.durations.set(key, (histogram = new Histogram()));
    histogram.observe(seconds);
  }

  countHead(status: number): void {
    this.heartbeatHeads++;
    this.headAnswers.set(status, (this.headAnswers.get(status) ?? 0) + 1);
  }

  render(gauges: MetricGauges): string {
    const lines: string[] = [];
    const metric = (name: string, type: 'counter' | 'gauge', help: string, samples: [string, number][]) => {
      lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
      for (const [labels, value] of samples) lines.push(`${name}${labels} ${value}`);
    };
    const summary = (name: string, help: string, sum: number, count: number) => {
      lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} summary`, `${name}_sum ${sum}`, `${name}_count ${count}`);
    };
    metric('mesh_registry_heartbeats_total', 'counter', 'Heartbeats received, by kind.', [
      ['{kind="post"}', this.heartbeatPosts],
      ['{kind="head"}', this.heartbeatHeads],
    ]);
    metric(
      'mesh_registry_head_answers_total',
      'counter',
      'HEAD /heartbeat answers, by status code.',
      [...this.headAnswers].sort(([a], [b]) => a - b).map(([code, n]) => [`{code="${code}"}`, n]),
    );
    metric('mesh_registry_registrations_total', 'counter', 'Registration changes, by kind.', [
      ['{kind="register"}', this.registrations],
      ['{kind="update"}', this.updates],
      ['{kind="unregister"}', this.unregistrations],
      ['{kind="timeout"}', this.timeouts],
      ['{kind="purge"}', this.purges],
    ]);
    metric('mesh_registry_agents', 'gauge', 'Agents known, by status.', [
      ['{status="healthy"}', gauges.agents.healthy],
      ['{status="unhealthy"}', gauges.agents.unhealthy],
      ['{status="unknown"}', gauges.agents.unknown],
    ]);
    const { limits } = gauges;
    metric('mesh_registry_max_agents', 'gauge', 'Agents the registry holds at most (0 = no cap).', [['', limits.options.maxAgents]]);
    metric('mesh_registry_registration_rate_limit', 'gauge', 'New agents one source address may register per minute (0 = no limit).', [
      ['', limits.options.registrationsPerMinute],
    ]);
    metric('mesh_registry_registrations_refused_total', 'counter', 'New registrations answered 429, by limit.', [
      ['{limit="max_agents"}', limits.refusedForCapacity],
      ['{limit="rate"}', limits.refusedForRate],
    ]);
    metric('mesh_registry_capabilities', 'gauge', 'Distinct capabilities provided.', [['', gauges.capabilities]]);
    metric('mesh_registry_events', 'gauge', 'Events kept in the log.', [['', gauges.events]]);
    metric('mesh_registry_events_total', 'counter', 'Events emitted.', [['', this.eventsEmitted]]);
    summary('mesh_registry_resolution_seconds', "Time spent resolving agents' dependencies.", this.resolutionSeconds, this.resolutions);
    summary(
      'mesh_registry_journal_flush_seconds',
      'Group commits of the journal (write + fdatasync).',
      this.journalFlushSeconds,
      this.journalFlushes,
    );
    metric('mesh_registry_journal_records_total', 'counter', 'Records written to the journal.', [['', this.journalRecords]]);
    metric('mesh_registry_journal_bytes', 'gauge', 'Size of the journal since the last snapshot.', [['', gauges.journalBytes]]);
    summary(
      'mesh_registry_snapshot_seconds',
      'Snapshots of the data file (sql.js, in a short-lived child process).',
      this.snapshotSeconds,
      this.snapshots,
    );
    metric('mesh_registry_sse_clients', 'gauge', 'Open GET /events/stream connections.', [['', gauges.sseClients]]);
    metric('mesh_registry_topology_watchers', 'gauge', 'Pending GET /agents/:id/topology long-polls.', [['', gauges.topologyWatchers]]);
    metric(
      'mesh_registry_http_responses_total',
      'counter',
      'HTTP answers, by status code.',
      [...this.responses].sort(([a], [b]) => a - b).map(([code, n]) => [`{code="${code}"}`, n]),
    );
    // Where the memory goes: the JS heap (the state lives there), memory outside it (buffers), and the whole process.
    const memory = process.memoryUsage();
    metric('mesh_registry_memory_bytes', 'gauge', 'Memory of the registry process, by kind (rss = resident set).', [
      ['{kind="rss"}', memory.rss],
      ['{kind="heap_total"}', memory.heapTotal],
      ['{kind="heap_used"}', memory.heapUsed],
      ['{kind="external"}', memory.external],
      ['{kind="array_buffers"}', memory.arrayBuffers],
    ]);
    metric('mesh_registry_uptime_seconds', 'gauge', 'Seconds since the registry started.', [['', Math.floor((Date.now() - this.startedAt) / 1000)]]);
    lines.push(
      ...metricHead('mesh_registry_http_request_duration_seconds', 'histogram', 'Time to answer an HTTP request, by method and route.'),
      ...[...this.durations].flatMap(([labels, h]) => h.samples('mesh_registry_http_request_duration_seconds', labels)),
    );
    lines.push(...renderTraceMetrics(gauges.traces, gauges.nameOf));
    lines.push(...processMetricLines());
    return lines.join('\n') + '\n';
  }
}
