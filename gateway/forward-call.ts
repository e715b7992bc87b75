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
import { describeError, classifyFailure, failsOver, type CircuitBreaker, type Logger, type McpClientPool } from '../runtime/index.js';
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
  log: Logger;
}

export async function forwardCall(tool: GatewayTool, params: CallToolRequest['params'], extra: CallExtra, route: CallRoute): Promise<CallToolResult> {
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
    const request = {
      method: 'tools/call' as const,
      params: { ...params, name: provider.function_name, _meta: Object.keys(meta).length ? meta : undefined },
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
