// An agent's spans: one per tool call it serves (`server`) and per dependency call it makes (`client`), counted in
// CallStats always and, while tracing is on, queued for each sink (the registry, OpenTelemetry). Ending a span costs
// a few field writes and an array push; everything else happens on the queues' timers.
import type { Span, SpanOutcome } from '../../core/span-wire.js';
import { childContext, type ParentContext, type TraceContext } from '../../core/trace-context.js';
import type { Logger } from '../log.js';
import { CallStats } from './call-stats.js';
import { SpanQueue, type SpanSink } from './span-queue.js';

/** Bound on an error text carried by a span. */
const MAX_ERROR_CHARS = 1024;

export interface TracerOptions {
  agentId: string;
  agentName: string;
  /** false: no trace context, no spans (MCP_MESH_TRACING=false); calls are still counted. */
  enabled: boolean;
  log: Logger;
}

const now = () => performance.timeOrigin + performance.now();

/** A span under way; `end` records it. */
export class ActiveSpan {
  /** client: the provider that served, or the last one tried. server: the mesh agent calling, if any. */
  peerAgentId?: string;
  endpoint?: string;
  private readonly startMs = now();

  constructor(
    private readonly tracer: Tracer,
    readonly kind: 'server' | 'client',
    /** The tool; a client span names the provider's tool that served (failover may change it). */
    public name: string,
    readonly capability: string | undefined,
    /** undefined while tracing is off. */
    readonly context: TraceContext | undefined,
    readonly parentSpanId: string | undefined,
  ) {}

  end(outcome: SpanOutcome, error?: unknown): void {
    this.tracer.finish(this, this.startMs, outcome, error);
  }
}

export class Tracer {
  readonly stats = new CallStats();
  private readonly queues: SpanQueue[] = [];

  constructor(private readonly options: TracerOptions) {}

  get enabled(): boolean {
    return this.options.enabled;
  }

  addSink(sink: SpanSink, options: { intervalMs?: number } = {}): void {
    this.queues.push(new SpanQueue(sink, { log: this.options.log, ...options }));
  }

  /** Spans dropped (sinks lagging or failing) and sent, summed over the sinks. */
  counts(): { sent: number; dropped: number } {
    let sent = 0;
    let dropped = 0;
    for (const q of this.queues) {
      sent += q.sent;
      dropped += q.dropped;
    }
    return { sent, dropped };
  }

  /** A tool call served; `parent` from the request (continued) or none (a trace starts here). */
  serve(name: string, capability: string | undefined, parent: ParentContext | undefined): ActiveSpan {
    if (!this.options.enabled) return new ActiveSpan(this, 'server', name, capability, undefined, undefined);
    return new ActiveSpan(this, 'server', name, capability, childContext(parent), parent?.parentSpanId);
  }

  /** A dependency call made from the tool call whose span is `caller` (none: a call made outside any handler). */
  call(name: string, capability: string, caller: TraceContext | undefined): ActiveSpan {
    if (!this.options.enabled) return new ActiveSpan(this, 'client', name, capability, undefined, undefined);
    return new ActiveSpan(this, 'client', name, capability, childContext(caller), caller?.spanId);
  }

  finish(span: ActiveSpan, startMs: number, outcome: SpanOutcome, error: unknown): void {
    const durationMs = now() - startMs;
    this.stats.record(span.kind, durationMs, outcome !== 'ok');
    const context = span.context;
    if (!context?.sampled || this.queues.length === 0) return;
    const record: Span = {
      trace_id: context.traceId,
      span_id: context.spanId,
      kind: span.kind,
      name: span.name,
      agent_id: this.options.agentId,
      agent_name: this.options.agentName,
      start_ms: Math.round(startMs * 1000) / 1000,
      duration_ms: Math.round(durationMs * 1000) / 1000,
      outcome,
    };
    if (span.parentSpanId) record.parent_span_id = span.parentSpanId;
    if (span.capability) record.capability = span.capability;
    if (span.peerAgentId) record.peer_agent_id = span.peerAgentId;
    if (span.endpoint) record.endpoint = span.endpoint;
    if (error !== undefined) record.error = errorText(error);
    for (const q of this.queues) q.push(record);
  }

  /** Sends what is queued (bounded), then closes the sinks: at shutdown. */
  async close(timeoutMs: number): Promise<void> {
    await Promise.all(this.queues.map((q) => q.close(timeoutMs)));
  }
}

function errorText(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.length > MAX_ERROR_CHARS ? `${text.slice(0, MAX_ERROR_CHARS - 1)}…` : text;
}
