// Calling: what an injected proxy does when a handler calls it. A self proxy runs a tool of this agent in-process;
// an MCP proxy calls the providers of its slot in rank order, moving to the next one only as retry-policy.ts says,
// with a circuit breaker per provider.
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { ResolvedDependency } from '../core/wire.js';
import type { CircuitBreaker } from './breaker.js';
import { localExtra, runLocalCall, type LocalCall } from './local-call.js';
import { describeError, type Logger } from './log.js';
import type { MeshCallClient } from './mesh-call.js';
import {
  isCallToolResult,
  isPlainObject,
  MeshCallError,
  MeshToolError,
  MeshUnavailableError,
  resultText,
  toCallToolResult,
  unwrapResult,
  type ProviderRef,
} from './result.js';
import { classifyFailure, failsOver, SAME_ENDPOINT_RETRIES } from './retry-policy.js';
import { loadedSdkTypes } from './sdk-server.js';
import { LogOnce, ProviderFigures, Spread, type SpreadOptions } from './spread.js';
import type { TraceContext } from '../core/trace-context.js';
import type { SpanOutcome } from '../core/span-wire.js';
import { currentSpan, setLocalParent } from './tracing/context.js';
import type { ActiveSpan, Tracer } from './tracing/tracer.js';
import type { CallOptions, MeshProxy, ToolExtra } from './types.js';
import type { Slot } from './wiring.js';

/** A tool of this agent as a self proxy sees it: validated input, deps injected, errors as isError results. */
export interface LocalTool {
  /** The handler's own value (a CallToolResult or a plain value, not converted yet), or an isError result. */
  invoke(args: Record<string, unknown>, extra: ToolExtra): Promise<unknown>;
}

export interface ProxyCallOptions {
  agentId: string;
  localTools: Map<string, LocalTool>;
  clients: MeshCallClient;
  breaker: CircuitBreaker;
  callTimeoutMs: number;
  /** Every call through a proxy is one client span (and counted). */
  tracer: Tracer;
  log: Logger;
}

/** Where a slot is declared and how it spreads its calls. */
export interface RouteOrigin extends SpreadOptions {
  tool: string;
}

/** A slot as calls see it, built once per rewire: the providers as errors name them, and the local tool if any. */
export interface Route extends Slot {
  refs: ProviderRef[];
  /** The chosen provider is a tool of this agent: calls never leave the process (and never fail over). */
  local?: LocalTool;
  /** Which provider gets each call: the equally good ones share, the rest fail over. */
  spread: Spread;
}

interface CallPlan {
  signal?: AbortSignal;
  timeoutMs: number;
  /** The calling handler's request context, for a local provider further down the list. */
  extra?: ToolExtra;
  /** This call's span: the context the provider continues. */
  trace?: TraceContext;
}

type Outcome = { local: true; value: unknown; provider: ProviderRef } | { local: false; result: CallToolResult; provider: ProviderRef };

export class ProxyCalls {
  private readonly warnings: LogOnce;

  constructor(private readonly options: ProxyCallOptions) {
    this.warnings = new LogOnce(options.log);
  }

  /** `previous`: the route this slot had before a rewire (its providers' figures carry over). */
  route(slot: Slot, origin: RouteOrigin, previous?: Route): Route {
    const refs = slot.candidates.map((c) => ({
      capability: slot.capability,
      agentId: c.agent_id,
      functionName: c.function_name,
      endpoint: c.endpoint,
    }));
    const first = slot.candidates[0];
    const local = first && this.isLocal(first) ? this.options.localTools.get(first.function_name) : undefined;
    const figures = slot.candidates.map((c, i) => {
      const own = new ProviderFigures(c, refs[i]!, breakerKey(c), i);
      const old = previous?.spread.providers.find((p) => p.key === own.key && p.functionName === own.functionName);
      if (old) own.adopt(old);
      return own;
    });
    const context = { tool: origin.tool, key: slot.key, capability: slot.capability };
    const spread = new Spread(figures, origin, this.options.breaker, this.warnings, context);
    return { ...slot, refs, ...(local ? { local } : {}), spread };
  }

  isLocal(c: ResolvedDependency): boolean {
    return c.agent_id === this.options.agentId && this.options.localTools.has(c.function_name);
  }

  /** The proxy of a resolved slot for one call of a handler (`extra`: that call's context and signal). */
  proxy(route: Route, extra?: ToolExtra): MeshProxy {
    const primary = route.candidates[0]!;
    const call = async (args?: Record<string, unknown>, options?: CallOptions): Promise<CallToolResult> => {
      const outcome = await this.traced(route, args ?? {}, options, extra);
      return outcome.local ? toCallToolResult(outcome.value) : outcome.result;
    };
    const proxy = async (args?: Record<string, unknown>, options?: CallOptions): Promise<unknown> => {
      const outcome = await this.traced(route, args ?? {}, options, extra);
      if (outcome.local) return localValue(outcome);
      if (outcome.result.isError) throw new MeshToolError(outcome.provider, outcome.result);
      return unwrapResult(outcome.result);
    };
    return Object.assign(proxy, {
      call,
      agentId: primary.agent_id,
      functionName: primary.function_name,
      capability: route.capability,
      endpoint: primary.endpoint,
      local: route.local !== undefined,
    });
  }

  /** The one place a dependency call is made: its client span around the call, local or along the providers. */
  private async traced(
    route: Route,
    args: Record<string, unknown>,
    options: CallOptions | undefined,
    extra: ToolExtra | undefined,
  ): Promise<Outcome> {
    const primary = route.refs[0]!;
    const span = this.options.tracer.call(primary.functionName, route.capability, currentSpan(extra));
    const plan: CallPlan = {
      signal: options?.signal ?? extra?.signal,
      timeoutMs: options?.timeoutMs ?? this.options.callTimeoutMs,
      extra,
      trace: span.context,
    };
    try {
      const outcome: Outcome = route.local
        ? { local: true, ...(await this.callLocal(route, args, plan)) }
        : { local: false, ...(await this.invoke(route, args, plan)) };
      endCall(span, outcome);
      return outcome;
    } catch (error) {
      span.end(failureOutcome(error), error);
      if (error instanceof MeshCallError) setPeer(span, error.provider);
      throw error;
    }
  }

  /** One call along the ranked providers: the next one only when retry-policy.ts says this one failed over. */
  private async invoke(route: Route, args: Record<string, unknown>, outer: CallPlan): Promise<{ result: CallToolResult; provider: ProviderRef }> {
    // A per-call signal: the SDK never removes its abort listener, and a handler's own signal may serve many calls.
    const link = linkSignal(outer.signal);
    try {
      return await this.invokeLinked(route, args, { ...outer, signal: link.signal });
    } finally {
      link.dispose();
    }
  }

  private async invokeLinked(
    route: Route,
    args: Record<string, unknown>,
    plan: CallPlan,
  ): Promise<{ result: CallToolResult; provider: ProviderRef }> {
    const attempts: { provider: ProviderRef; error: string }[] = [];
    const { spread } = route;
    const order = spread.order;
    const sharing = spread.sharing;
    const first = spread.choose();
    // The chosen one, then the other sharing providers after it, then the failover ones in the registry's order.
    for (let k = 0; k < order.length; k++) {
      const p = order[k < sharing ? (first + k) % sharing : k]!;
      const c = p.entry;
      const provider = p.ref;
      if (this.isLocal(c)) {
        const { value } = await this.callLocal(route, args, plan, p.index);
        return { result: toCallToolResult(value), provider };
      }
      if (!this.options.breaker.allow(p.key)) {
        attempts.push({ provider, error: 'circuit open' });
        continue;
      }
      const outcome = await this.callRemote(p, args, plan, false);
      if ('result' in outcome) return outcome;
      attempts.push({ provider, error: outcome.error });
      if (order.length > 1) this.options.log.debug(`${route.capability}: ${c.agent_id} unreachable, trying the next provider`);
    }
    // No other provider to go to: the same endpoint once more, on a fresh connection (another worker of a PM2
    // cluster, or the process that replaced the one that went away, answers it). retry-policy.ts says when.
    const only = order[0];
    const endpoints = new Set(order.map((q) => q.entry.endpoint));
    if (
      only &&
      endpoints.size === 1 &&
      attempts.length > 0 &&
      attempts.length <= SAME_ENDPOINT_RETRIES &&
      attempts.every((a) => a.error !== 'circuit open')
    ) {
      this.options.log.debug(
        `${route.capability}: ${only.entry.agent_id} failed before running the call (${attempts[0]!.error}); once more on a new connection`,
      );
      const outcome = await this.callRemote(only, args, plan, true);
      if ('result' in outcome) return outcome;
      attempts.push({ provider: only.ref, error: outcome.error });
    }
    throw new MeshUnavailableError(route.capability, attempts);
  }

  /** One attempt on one provider: its answer, or why it failed over (anything else throws). */
  private async callRemote(
    p: ProviderFigures,
    args: Record<string, unknown>,
    plan: CallPlan,
    freshConnection: boolean,
  ): Promise<{ result: CallToolResult; provider: ProviderRef } | { error: string }> {
    const { entry: c, ref: provider, key } = p;
    p.started();
    const started = performance.now();
    try {
      const result = await this.options.clients.callTool(c.endpoint, c.function_name, args, { ...plan, freshConnection });
      p.ended(performance.now() - started);
      this.options.breaker.success(key);
      return { result, provider };
    } catch (error) {
      const failure = classifyFailure(error, plan.signal);
      // Unreachable counts as its failure; a timeout or cancellation as neither an answer nor a failure.
      p.ended(undefined, failsOver(failure));
      if (failure === 'cancelled') {
        this.options.breaker.success(key);
        throw new MeshCallError(provider, `cancelled: ${describeError(plan.signal!.reason)}`, { cause: error });
      }
      if (!failsOver(failure)) {
        this.options.breaker.success(key);
        throw new MeshCallError(provider, describeError(error), { cause: error });
      }
      if (this.options.breaker.failure(key)) this.options.log.warn(`circuit open for ${c.agent_id} (${c.endpoint}): ${describeError(error)}`);
      return { error: describeError(error) };
    }
  }

  /**
   * Self proxy: the handler of a tool of this agent (candidate `index`), in-process, with the same timeout and
   * cancellation as a remote call; resolves with the handler's value (or error result) and who served it.
   */
  private async callLocal(
    route: Route,
    args: Record<string, unknown>,
    plan: CallPlan,
    index = 0,
  ): Promise<{ value: unknown; provider: ProviderRef }> {
    const provider = route.refs[index]!;
    const tool = index === 0 && route.local ? route.local : this.options.localTools.get(provider.functionName)!;
    const { signal, timeoutMs, extra, trace } = plan;
    const start = (call: LocalCall) => {
      const local = localExtra(extra, call);
      if (trace) setLocalParent(local, trace);
      return tool.invoke(args, local);
    };
    try {
      const value = await runLocalCall(start, signal, timeoutMs);
      return { value, provider };
    } catch (error) {
      const cancelled = signal?.aborted && signal.reason === error;
      throw new MeshCallError(provider, cancelled ? `cancelled: ${describeError(error)}` : describeError(error), { cause: error });
    }
  }
}

function setPeer(span: ActiveSpan, provider: ProviderRef): void {
  span.peerAgentId = provider.agentId;
  span.endpoint = provider.endpoint;
  span.name = provider.functionName;
}

function endCall(span: ActiveSpan, outcome: Outcome): void {
  setPeer(span, outcome.provider);
  const result = outcome.local ? outcome.value : outcome.result;
  if (isCallToolResult(result) && result.isError) span.end('tool_error', resultText(result));
  else span.end('ok');
}

/** A failed dependency call as its span says it. */
function failureOutcome(error: unknown): SpanOutcome {
  if (error instanceof MeshUnavailableError) return 'unavailable';
  const text = error instanceof Error ? error.message : '';
  if (/: cancelled: /.test(text)) return 'cancelled';
  const cause = (error as { cause?: unknown }).cause;
  const sdk = loadedSdkTypes();
  if (sdk && cause instanceof sdk.McpError && cause.code === sdk.ErrorCode.RequestTimeout) return 'timeout';
  return 'error';
}

/** The circuit breaker's key of a provider. */
export function breakerKey(c: ResolvedDependency): string {
  return `${c.agent_id}@${c.endpoint}`;
}

/** What a self proxy returns: the value a remote call would give, without converting plain values to a result and back. */
function localValue({ value, provider }: { value: unknown; provider: ProviderRef }): unknown {
  if (typeof value === 'string' || value === undefined) return value;
  if (isCallToolResult(value)) {
    if (value.isError) throw new MeshToolError(provider, value);
    return unwrapResult(value);
  }
  if (isPlainObject(value)) return value;
  // Numbers, arrays, null …: the JSON round trip a remote call makes (a copy; NaN and dates come back as JSON has them).
  return unwrapResult(toCallToolResult(value));
}

function linkSignal(outer: AbortSignal | undefined): { signal?: AbortSignal; dispose: () => void } {
  if (!outer) return { dispose: () => undefined };
  const controller = new AbortController();
  if (outer.aborted) controller.abort(outer.reason);
  const forward = () => controller.abort(outer.reason);
  outer.addEventListener('abort', forward, { once: true });
  return { signal: controller.signal, dispose: () => outer.removeEventListener('abort', forward) };
}
