// Where a tool call's trace context lives: on the handler's `extra`, under symbols (the SDK makes a fresh extra per
// request, the self proxy one per local call). A handler reads its own with `traceContext(extra)`.
import { propagationFields, readParent, TRACEPARENT, TRACESTATE, type ParentContext, type TraceContext } from '../../core/trace-context.js';
import type { ToolExtra } from '../types.js';

/** The span of the tool call this extra belongs to. */
const CURRENT = Symbol('mesh.trace');
/** Set by a self proxy on the extra of the local call it makes: the calling span. */
const LOCAL_PARENT = Symbol('mesh.traceParent');

interface Traced {
  [CURRENT]?: TraceContext;
  [LOCAL_PARENT]?: ParentContext;
}

/** The trace of a tool call, as a handler sees it. */
export interface ToolTrace {
  /** 32 hex digits: search for it with `pm2-mesh trace <traceId>` or in Jaeger/Tempo. */
  traceId: string;
  /** 16 hex digits: this tool call's own span. */
  spanId: string;
  /** The W3C `traceparent` to pass to a call made outside the mesh (HTTP header or MCP `_meta`). */
  traceparent: string;
  tracestate?: string;
}

/**
 * The trace of the tool call whose `extra` this is (the handler's third argument), or undefined when tracing is off
 * (MCP_MESH_TRACING=false) or the extra is not a mesh tool call's.
 */
export function traceContext(extra: ToolExtra | undefined): ToolTrace | undefined {
  const context = (extra as Traced | undefined)?.[CURRENT];
  if (!context) return undefined;
  const { traceparent, tracestate } = propagationFields(context);
  return tracestate
    ? { traceId: context.traceId, spanId: context.spanId, traceparent, tracestate }
    : { traceId: context.traceId, spanId: context.spanId, traceparent };
}

export function currentSpan(extra: ToolExtra | undefined): TraceContext | undefined {
  return (extra as Traced | undefined)?.[CURRENT];
}

export function setCurrentSpan(extra: ToolExtra, context: TraceContext): void {
  (extra as Traced)[CURRENT] = context;
}

export function setLocalParent(extra: ToolExtra, context: TraceContext): void {
  (extra as Traced)[LOCAL_PARENT] = {
    traceId: context.traceId,
    parentSpanId: context.spanId,
    sampled: context.sampled,
    traceState: context.traceState,
  };
}

/**
 * Who called: a self proxy's span, else the W3C headers of the HTTP request (what an intermediary saw last), else
 * the MCP `_meta` fields (a client that cannot set headers); undefined starts a new trace.
 */
export function incomingParent(extra: ToolExtra): ParentContext | undefined {
  const local = (extra as Traced)[LOCAL_PARENT];
  if (local) return local;
  const headers = extra.requestInfo?.headers;
  const fromHeaders = headers ? readParent({ traceparent: headers[TRACEPARENT], tracestate: headers[TRACESTATE] }) : undefined;
  return fromHeaders ?? readParent(extra._meta as { traceparent?: unknown; tracestate?: unknown } | undefined);
}
