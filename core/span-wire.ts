// The spans' wire contract (POST /traces, GET /traces, GET /traces/:id): one zod schema per payload, as in wire.ts.
// A span is one hop of a call: a tool call an agent served (`server`) or a dependency call it made (`client`).
import { z } from 'zod';
import { AGENT_ID_PATTERN } from './wire.js';

export const SPAN_KINDS = ['server', 'client'] as const;
/** ok; tool_error: the tool answered isError; error: the call failed at the provider; unavailable: no provider reached; cancelled; timeout. */
export const SPAN_OUTCOMES = ['ok', 'tool_error', 'error', 'unavailable', 'cancelled', 'timeout'] as const;
export type SpanOutcome = (typeof SPAN_OUTCOMES)[number];

/** Spans a POST /traces may carry. */
export const MAX_SPANS_PER_BATCH = 1000;

const hex = (digits: number) => z.string().regex(new RegExp(`^[0-9a-f]{${digits}}$`), `must be ${digits} lowercase hex digits`);
const agentId = z.string().regex(AGENT_ID_PATTERN, 'must be an agent id (1-128 characters of A-Z a-z 0-9 . _ : -)');
const text = (max: number) => z.string().max(max, `must be at most ${max} characters`);

export const spanSchema = z
  .object({
    trace_id: hex(32),
    span_id: hex(16),
    /** The caller's span; absent on the first hop of a trace. */
    parent_span_id: hex(16).optional(),
    kind: z.enum(SPAN_KINDS),
    /** The tool: served (server) or called at the provider (client). */
    name: z.string().min(1, 'must not be empty').max(256, 'must be at most 256 characters'),
    /** The agent that recorded the span. */
    agent_id: agentId,
    agent_name: text(256),
    capability: text(256).optional(),
    /** client: the provider that served (or last failed); server: the mesh agent that called, if one did. */
    peer_agent_id: agentId.optional(),
    /** client: the provider's base URL. */
    endpoint: text(2048).optional(),
    /** Milliseconds since the epoch. */
    start_ms: z.number().finite().nonnegative(),
    duration_ms: z.number().finite().nonnegative(),
    outcome: z.enum(SPAN_OUTCOMES),
    error: text(2048).optional(),
  })
  .loose();

export type Span = z.infer<typeof spanSchema>;

export const spanBatchSchema = z.object({
  spans: z.array(spanSchema).min(1, 'must hold at least one span').max(MAX_SPANS_PER_BATCH, `must hold at most ${MAX_SPANS_PER_BATCH} spans`),
});

export type SpanBatch = z.infer<typeof spanBatchSchema>;

/** A trace as GET /traces lists it: its first hop, when, how long, how many spans and errors. */
export interface TraceSummary {
  trace_id: string;
  /** The root span's tool (or the earliest span's, while the root has not arrived). */
  root: string;
  root_agent: string;
  start_ms: number;
  duration_ms: number;
  spans: number;
  errors: number;
  /** Increases each time the trace gets spans: GET /traces?after= follows it. */
  seq: number;
}

export interface TracesResponse {
  traces: TraceSummary[];
  count: number;
  /** The highest seq of the registry now: the `after` of the next poll. */
  seq: number;
  /** Spans kept and the limit, spans refused since start because the store was full of newer ones. */
  stored: number;
  capacity: number;
}

export interface TraceResponse {
  trace_id: string;
  spans: Span[];
}

/** Calls along one dependency edge (consumer → capability → provider), from the consumers' client spans. */
export interface CallEdge {
  caller_agent_id: string;
  caller_name: string;
  capability: string;
  provider_agent_id: string;
  /** The provider's name while the registry knows it ('' after it was purged). */
  provider_name: string;
  calls: number;
  errors: number;
  /** Over the edge's recent calls (at most EDGE_WINDOW). */
  p50_ms: number;
  p95_ms: number;
  /** Epoch ms when the latest call ended, and its trace. */
  last_ms: number;
  last_trace_id: string;
}

export interface CallEdgesResponse {
  edges: CallEdge[];
  timestamp: string;
}
