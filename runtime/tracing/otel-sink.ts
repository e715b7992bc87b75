// The OpenTelemetry sink: spans exported by the official SDK's OTLP/HTTP exporter (JSON), for Jaeger, Tempo, Grafana
// or any collector. Loaded by sinks.ts only when the OTEL_EXPORTER_OTLP_* variables ask for it. Names and attributes
// follow OpenTelemetry's MCP conventions (`tools/call <tool>`, mcp.method.name, gen_ai.tool.name).
import { SpanKind, SpanStatusCode, TraceFlags, type Attributes, type HrTime } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import type { Span } from '../../core/span-wire.js';
import type { SpanSink } from './span-queue.js';

type ReadableSpan = Parameters<OTLPTraceExporter['export']>[0][number];

export interface OtlpSinkOptions {
  /** The OTLP/HTTP traces URL (…/v1/traces). */
  url: string;
  /** service.name: OTEL_SERVICE_NAME, else the agent's name. */
  serviceName: string;
  agentId: string;
  version: string;
}

const SCOPE = { name: 'mesh' };

export class OtlpSpanSink implements SpanSink {
  readonly name: string;
  private readonly exporter: OTLPTraceExporter;
  private readonly resource: ReadableSpan['resource'];

  constructor(options: OtlpSinkOptions) {
    this.name = `OpenTelemetry ${options.url}`;
    // Headers, timeout and compression come from the standard OTEL_EXPORTER_OTLP_* variables, read by the exporter.
    this.exporter = new OTLPTraceExporter({ url: options.url });
    this.resource = resourceFromAttributes({
      'service.name': options.serviceName,
      'service.instance.id': options.agentId,
      'service.version': options.version,
    });
  }

  send(spans: Span[]): Promise<'sent'> {
    return new Promise((resolve, reject) => {
      this.exporter.export(
        spans.map((s) => this.readable(s)),
        (result) => (result.code === 0 ? resolve('sent') : reject(result.error ?? new Error('OTLP export failed'))),
      );
    });
  }

  close(): Promise<void> {
    return this.exporter.shutdown();
  }

  private readable(span: Span): ReadableSpan {
    const failed = span.outcome !== 'ok';
    const context = { traceId: span.trace_id, spanId: span.span_id, traceFlags: TraceFlags.SAMPLED };
    return {
      name: `tools/call ${span.name}`,
      kind: span.kind === 'server' ? SpanKind.SERVER : SpanKind.CLIENT,
      spanContext: () => context,
      ...(span.parent_span_id
        ? {
            parentSpanContext: {
              traceId: span.trace_id,
              spanId: span.parent_span_id,
              traceFlags: TraceFlags.SAMPLED,
              isRemote: span.kind === 'server',
            },
          }
        : {}),
      startTime: hrTime(span.start_ms),
      endTime: hrTime(span.start_ms + span.duration_ms),
      duration: hrTime(span.duration_ms),
      status: failed ? { code: SpanStatusCode.ERROR, message: span.error ?? span.outcome } : { code: SpanStatusCode.OK },
      attributes: attributes(span),
      links: [],
      events: [],
      ended: true,
      resource: this.resource,
      instrumentationScope: SCOPE,
      droppedAttributesCount: 0,
      droppedEventsCount: 0,
      droppedLinksCount: 0,
    };
  }
}

function attributes(span: Span): Attributes {
  const out: Attributes = {
    'mcp.method.name': 'tools/call',
    'gen_ai.operation.name': 'execute_tool',
    'gen_ai.tool.name': span.name,
    'mesh.agent.id': span.agent_id,
    'mesh.outcome': span.outcome,
  };
  if (span.capability) out['mesh.capability'] = span.capability;
  if (span.peer_agent_id) out['mesh.peer.agent.id'] = span.peer_agent_id;
  if (span.outcome !== 'ok') out['error.type'] = span.outcome;
  if (span.endpoint) {
    try {
      const url = new URL(span.endpoint);
      out['server.address'] = url.hostname;
      out['server.port'] = Number(url.port || 80);
    } catch {
      // An endpoint that is not a URL is simply not described.
    }
  }
  return out;
}

function hrTime(ms: number): HrTime {
  const seconds = Math.floor(ms / 1000);
  return [seconds, Math.round((ms - seconds * 1000) * 1e6)];
}
