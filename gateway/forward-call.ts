// One tools/call through the gateway: to one of the equally good providers (choose-provider.ts), on to the next one only when a provider
// cannot be reached at all (runtime/retry-policy.ts decides, as for agents' own proxies). The caller's progress notifications, cancellation, `isError` results and errors
// pass through as the provider sends them; a call with no answer within the timeout is cancelled at the provider.
import type { RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js';
import {
  ErrorCode,
  McpError,
  ResultSchema,
  type CallToolRequest,
  type CallToolResult,
  type ServerNotification,
  type ServerRequest,
} from '@modelcontextprotocol/sdk/types.js';
import type { SpanOutcome } from '../core/span-wire.js';
import { propagationFields, type TraceContext } from '../core/trace-context.js';
import {
  classifyFailure,
  describeError,
  failsOver,
  incomingParent,
  type ActiveSpan,
  type CircuitBreaker,
  type Logger,
  type McpClientPool,
  type Tracer,
} from '../runtime/index.js';
import type { GatewayTool } from './catalog.js';
import { chooseProvider, providerKey } from './choose-provider.js';
import { RpcError } from './rpc-error.js';

export type CallExtra = RequestHandlerExtra<ServerRequest, ServerNotification>;

export interface CallRoute {
  /** Mesh sessions (plain JSON answers): the fast path. */
  sessions: McpClientPool;
  /** Plain MCP sessions (SSE answers): for calls whose caller asked for progress. */
  streamingSessions: McpClientPool;
  breaker: CircuitBreaker;
  timeoutMs: number;
  /** Each call is a hop of its caller's trace (or starts one): trace context on, a span to the registry. */
  tracer: Tracer;
  log: Logger;
}

export async function forwardCall(tool: GatewayTool, params: CallToolRequest['params'], extra: CallExtra, route: CallRoute): Promise<CallToolResult> {
  const parent = incomingParent(extra);
  const span = route.tracer.call(
    tool.name,
    tool.capability,
    parent && { traceId: parent.traceId, spanId: parent.parentSpanId, sampled: parent.sampled, traceState: parent.traceState },
  );
  try {
    const result = await forwardTraced(tool, params, extra, route, span);
    span.end(result.isError ? 'tool_error' : 'ok');
    return result;
  } catch (error) {
    span.end(outcomeOf(error, extra), error);
    throw error;
  }
}

function outcomeOf(error: unknown, extra: CallExtra): SpanOutcome {
  if (extra.signal.aborted) return 'cancelled';
  if (error instanceof McpError && error.code === ErrorCode.RequestTimeout) return 'timeout';
  return error instanceof RpcError && /could be reached/.test(error.message) ? 'unavailable' : 'error';
}

/** The caller's _meta with this hop's trace context first (mesh-fetch.ts mirrors it into the HTTP headers). */
function forwardedMeta(meta: Record<string, unknown>, trace: TraceContext | undefined): Record<string, unknown> | undefined {
  const { traceparent: _parent, tracestate: _state, ...rest } = meta;
  const out = trace ? { ...propagationFields(trace), ...rest } : meta;
  return Object.keys(out).length ? out : undefined;
}

async function forwardTraced(
  tool: GatewayTool,
  params: CallToolRequest['params'],
  extra: CallExtra,
  route: CallRoute,
  span: ActiveSpan,
): Promise<CallToolResult> {
  const { progressToken, ...meta } = params._meta ?? {};
  const wantsProgress = progressToken !== undefined;
  const sessions = wantsProgress ? route.streamingSessions : route.sessions;
  const onprogress = wantsProgress
    ? (progress: { progress: number; total?: number; message?: string }) =>
        void extra.sendNotification({ method: 'notifications/progress', params: { ...progress, progressToken } }).catch(() => undefined)
    : undefined;
  const tried = new Set<string>();
  const failures: string[] = [];
  for (;;) {
    const provider = chooseProvider(tool, tried, (key) => route.breaker.allow(key));
    if (!provider) {
      throw new RpcError(ErrorCode.InternalError, `${tool.name}: no provider of ${tool.capability} could be reached (${failures.join('; ')})`);
    }
    const key = providerKey(provider);
    tried.add(key);
    // Calls under way per provider: what least-inflight reads to spread the next ones.
    const load = tool.load[tool.providers.indexOf(provider)]!;
    load.inFlight++;
    span.peerAgentId = provider.agent_id;
    span.endpoint = provider.endpoint;
    span.name = provider.function_name;
    const { _meta: _callerMeta, ...rest } = params;
    const request = {
      method: 'tools/call' as const,
      params: { _meta: forwardedMeta(meta, span.context), ...rest, name: provider.function_name },
    };
    try {
      const result = await sessions.request(provider.endpoint, request, ResultSchema, {
        signal: extra.signal,
        timeout: route.timeoutMs,
        resetTimeoutOnProgress: true,
        ...(onprogress ? { onprogress } : {}),
      });
      route.breaker.success(key);
      return result as CallToolResult;
    } catch (error) {
      const failure = classifyFailure(error, extra.signal);
      if (failure === 'cancelled') throw error; // cancelled by our caller: no answer is owed
      if (!failsOver(failure)) {
        route.breaker.success(key);
        throw forwarded(error, tool, provider.agent_id, route.timeoutMs);
      }
      if (route.breaker.failure(key)) route.log.warn(`circuit open for ${provider.agent_id} (${provider.endpoint}): ${describeError(error)}`);
      failures.push(`${provider.agent_id}: ${describeError(error)}`);
      route.log.debug(`${tool.name}: ${provider.agent_id} unreachable, trying the next provider`);
    } finally {
      load.inFlight--;
    }
  }
}

/** The provider's own error as it sent it (the SDK prefixes "MCP error <code>: "); our timeout says what happened. */
function forwarded(error: unknown, tool: GatewayTool, agentId: string, timeoutMs: number): Error {
  if (error instanceof McpError) {
    const data = error.data as { timeout?: unknown } | undefined;
    if (error.code === ErrorCode.RequestTimeout && data?.timeout === timeoutMs) {
      return new RpcError(ErrorCode.RequestTimeout, `${tool.name}: ${agentId} gave no answer within ${timeoutMs / 1000} s; the call was cancelled`, {
        timeout: timeoutMs,
      });
    }
    const prefix = `MCP error ${error.code}: `;
    return new RpcError(error.code, error.message.startsWith(prefix) ? error.message.slice(prefix.length) : error.message, error.data);
  }
  return new RpcError(ErrorCode.InternalError, `${tool.name} on ${agentId}: ${describeError(error)}`);
}
