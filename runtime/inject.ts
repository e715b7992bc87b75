// Dependency injection: turns the registry's resolution into proxies for each tool's `deps`, rewiring only
// when the topology hash changes. Self proxies call a local handler in-process; MCP proxies call another agent,
// failing over along the registry's ranked alternatives, with a circuit breaker per provider.
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { topologyHash } from '../core/topology-hash.js';
import { unresolvedEntry } from '../core/resolver.js';
import type { DependenciesResolved, DependencyAlternatives, ResolvedDependency, Topology } from '../core/wire.js';
import type { CircuitBreaker } from './breaker.js';
import { describeError, type Logger } from './log.js';
import type { McpClientPool } from './mcp-client.js';
import { localExtra, runLocalCall } from './local-call.js';
import {
  isCallToolResult,
  isPlainObject,
  MeshCallError,
  MeshToolError,
  MeshUnavailableError,
  toCallToolResult,
  unwrapResult,
  type ProviderRef,
} from './result.js';
import { classifyFailure, failsOver } from './retry-policy.js';
import type { CallOptions, DependencySpec, MeshProxy, ToolExtra } from './types.js';

/** A tool of this agent as a self proxy sees it: validated input, deps injected, errors as isError results. */
export interface LocalTool {
  /** The handler's own value (a CallToolResult or a plain value, not converted yet), or an isError result. */
  invoke(args: Record<string, unknown>, extra: ToolExtra): Promise<unknown>;
}

export interface WiringOptions {
  agentId: string;
  /** Declared dependencies per tool name, in registration order. */
  specs: Map<string, readonly DependencySpec[]>;
  localTools: Map<string, LocalTool>;
  clients: McpClientPool;
  breaker: CircuitBreaker;
  callTimeoutMs: number;
  log: Logger;
}

interface Slot {
  key: string;
  capability: string;
  /** Ranked providers, the registry's choice first. Empty: unresolved. */
  candidates: ResolvedDependency[];
}

/** A slot as calls see it, built once per rewire: the providers as errors name them, and the local tool if any. */
interface Route extends Slot {
  refs: ProviderRef[];
  /** The chosen provider is a tool of this agent: calls never leave the process (and never fail over). */
  local?: LocalTool;
}

interface CallPlan {
  signal?: AbortSignal;
  timeoutMs: number;
  /** The calling handler's request context, for a local provider further down the list. */
  extra?: ToolExtra;
}

export function dependencyKey(spec: DependencySpec): string {
  return typeof spec === 'string' ? spec : (spec.as ?? spec.capability);
}

function dependencyCapability(spec: DependencySpec): string {
  return typeof spec === 'string' ? spec : spec.capability;
}

function sameProvider(a: ResolvedDependency, b: ResolvedDependency): boolean {
  return a.agent_id === b.agent_id && a.function_name === b.function_name && a.endpoint === b.endpoint;
}

function isAvailable(entry: ResolvedDependency | undefined): entry is ResolvedDependency {
  return !!entry && entry.status === 'available' && !!entry.agent_id && !!entry.function_name;
}

/** The available providers of dependency `i` of tool `fn`, the chosen one first. */
function rankedProviders(topology: Topology, fn: string, i: number): ResolvedDependency[] {
  const primary = topology.resolved?.[fn]?.[i];
  const ranked = (topology.alternatives?.[fn]?.[i] ?? []).filter(isAvailable);
  return isAvailable(primary) ? [primary, ...ranked.filter((c) => !sameProvider(c, primary))] : ranked;
}

export class Wiring {
  private slots = new Map<string, Route[]>();
  private currentHash = '';
  /** True while the wiring is our own resolution of self-dependencies, not yet the registry's. */
  private localOnly = false;

  constructor(private readonly options: WiringOptions) {}

  get hash(): string {
    return this.currentHash;
  }

  /** Declared dependencies of all tools, and how many are resolved now. */
  counts(): { resolved: number; total: number } {
    let resolved = 0;
    let total = 0;
    for (const specs of this.options.specs.values()) total += specs.length;
    for (const slots of this.slots.values()) resolved += slots.filter((s) => s.candidates.length > 0).length;
    return { resolved, total };
  }

  /**
   * Applies a topology; returns true if it rewired. With `keepMissing` (just after the registry lost its state and
   * providers have not re-registered yet) a dependency that would turn unresolved keeps its current providers.
   */
  apply(topology: Topology, keepMissing = false): boolean {
    // The registry's first answer replaces a local wiring, whatever it holds.
    const replacingLocal = this.localOnly;
    if (replacingLocal) keepMissing = false;
    const next = new Map<string, Slot[]>();
    let merged = false;
    for (const [fn, specs] of this.options.specs) {
      if (specs.length === 0) continue;
      const old = this.slots.get(fn);
      next.set(
        fn,
        specs.map((spec, i) => {
          const capability = dependencyCapability(spec);
          let candidates = rankedProviders(topology, fn, i);
          const kept = keepMissing ? (old?.[i]?.candidates ?? []) : [];
          // A registry still filling up knows less than we do: keep our providers, in our order, ahead of its news.
          if (kept.some((c) => !candidates.some((n) => sameProvider(n, c)))) {
            candidates = [...kept, ...candidates.filter((n) => !kept.some((c) => sameProvider(c, n)))];
            merged = true;
          }
          return { key: dependencyKey(spec), capability, candidates };
        }),
      );
    }
    const hash = merged ? effectiveHash(next) : topologyHash(topology.resolved ?? {}, topology.alternatives ?? {});
    if (hash === this.currentHash && !replacingLocal) return false;
    this.localOnly = false;
    this.install(next, hash, merged ? ' (keeping providers until they re-register)' : '');
    return true;
  }

  /**
   * Wires self-dependencies resolved by this agent itself (standalone, or before the registry first answers);
   * `reason` is logged. Never replaces a wiring the registry gave.
   */
  applyLocal(topology: Topology, reason: string): boolean {
    if (this.currentHash !== '' && !this.localOnly) return false;
    const next = new Map<string, Slot[]>();
    for (const [fn, specs] of this.options.specs) {
      if (specs.length === 0) continue;
      next.set(
        fn,
        specs.map((spec, i) => {
          // Only this agent's own tools: anything else would be a remote provider nobody vouched for.
          const candidates = rankedProviders(topology, fn, i).filter((c) => this.isLocal(c));
          return { key: dependencyKey(spec), capability: dependencyCapability(spec), candidates };
        }),
      );
    }
    const hash = effectiveHash(next);
    if (hash === this.currentHash) return false;
    this.localOnly = true;
    this.install(next, hash, ` (local: ${reason})`);
    return true;
  }

  private install(next: Map<string, Slot[]>, hash: string, note: string): void {
    this.currentHash = hash;
    this.slots = new Map([...next].map(([fn, slots]) => [fn, slots.map((slot) => this.route(slot))]));
    const endpoints = new Set<string>();
    const providers: string[] = [];
    for (const slots of next.values()) {
      for (const slot of slots) {
        for (const c of slot.candidates) {
          endpoints.add(c.endpoint);
          providers.push(breakerKey(c));
        }
      }
    }
    // The registry lists only healthy providers: a new topology closes their circuits.
    this.options.breaker.reset(providers);
    this.options.clients.retain(endpoints);
    this.options.log.topology(hash, this.summary() + note);
  }

  /** `hello.time_service→timesvc-1a2b3c4d/now(+1)`, one item per declared dependency. */
  summary(): string {
    const items: string[] = [];
    for (const [fn, slots] of this.slots) {
      for (const s of slots) {
        const [first, ...rest] = s.candidates;
        const target = first
          ? `${first.agent_id === this.options.agentId ? 'self' : first.agent_id}/${first.function_name}${rest.length ? `(+${rest.length})` : ''}`
          : 'unresolved';
        items.push(`${fn}.${s.key}→${target}`);
      }
    }
    return items.length ? items.join(', ') : 'no dependencies';
  }

  /** The `deps` object for one call of tool `fn`: proxies bound to that call's cancellation signal. */
  depsFor(fn: string, extra?: ToolExtra): Record<string, MeshProxy | undefined> {
    const deps: Record<string, MeshProxy | undefined> = {};
    const specs = this.options.specs.get(fn) ?? [];
    for (const spec of specs) deps[dependencyKey(spec)] = undefined;
    for (const slot of this.slots.get(fn) ?? []) {
      if (slot.candidates.length) deps[slot.key] = this.proxy(slot, extra);
    }
    return deps;
  }

  private route(slot: Slot): Route {
    const refs = slot.candidates.map((c) => ({ capability: slot.capability, agentId: c.agent_id, functionName: c.function_name, endpoint: c.endpoint }));
    const first = slot.candidates[0];
    const local = first && this.isLocal(first) ? this.options.localTools.get(first.function_name) : undefined;
    return { ...slot, refs, ...(local ? { local } : {}) };
  }

  private proxy(route: Route, extra?: ToolExtra): MeshProxy {
    const primary = route.candidates[0]!;
    const { callTimeoutMs } = this.options;
    const proxy = route.local
      ? (args?: Record<string, unknown>, options?: CallOptions) =>
          this.callLocal(route, args ?? {}, options?.signal ?? extra?.signal, options?.timeoutMs ?? callTimeoutMs, extra).then(localValue)
      : async (args?: Record<string, unknown>, options?: CallOptions) => {
          const { result, provider } = await this.invoke(route, args ?? {}, { signal: options?.signal ?? extra?.signal, timeoutMs: options?.timeoutMs ?? callTimeoutMs, extra });
          if (result.isError) throw new MeshToolError(provider, result);
          return unwrapResult(result);
        };
    const call = route.local
      ? async (args?: Record<string, unknown>, options?: CallOptions) =>
          toCallToolResult((await this.callLocal(route, args ?? {}, options?.signal ?? extra?.signal, options?.timeoutMs ?? callTimeoutMs, extra)).value)
      : async (args?: Record<string, unknown>, options?: CallOptions) =>
          (await this.invoke(route, args ?? {}, { signal: options?.signal ?? extra?.signal, timeoutMs: options?.timeoutMs ?? callTimeoutMs, extra })).result;
    return Object.assign(proxy, {
      call,
      agentId: primary.agent_id,
      functionName: primary.function_name,
      capability: route.capability,
      endpoint: primary.endpoint,
      local: route.local !== undefined,
    });
  }

  private isLocal(c: ResolvedDependency): boolean {
    return c.agent_id === this.options.agentId && this.options.localTools.has(c.function_name);
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

  private async invokeLinked(route: Route, args: Record<string, unknown>, plan: CallPlan): Promise<{ result: CallToolResult; provider: ProviderRef }> {
    const attempts: { provider: ProviderRef; error: string }[] = [];
    for (let i = 0; i < route.candidates.length; i++) {
      const c = route.candidates[i]!;
      const provider = route.refs[i]!;
      if (this.isLocal(c)) {
        const { value } = await this.callLocal(route, args, plan.signal, plan.timeoutMs, plan.extra, i);
        return { result: toCallToolResult(value), provider };
      }
      const key = breakerKey(c);
      if (!this.options.breaker.allow(key)) {
        attempts.push({ provider, error: 'circuit open' });
        continue;
      }
      try {
        const result = await this.options.clients.callTool(c.endpoint, c.function_name, args, plan);
        this.options.breaker.success(key);
        return { result, provider };
      } catch (error) {
        const failure = classifyFailure(error, plan.signal);
        if (failure === 'cancelled') {
          this.options.breaker.success(key);
          throw new MeshCallError(provider, `cancelled: ${describeError(plan.signal!.reason)}`, { cause: error });
        }
        if (!failsOver(failure)) {
          this.options.breaker.success(key);
          throw new MeshCallError(provider, describeError(error), { cause: error });
        }
        if (this.options.breaker.failure(key)) this.options.log.warn(`circuit open for ${c.agent_id} (${c.endpoint}): ${describeError(error)}`);
        attempts.push({ provider, error: describeError(error) });
        if (route.candidates.length > 1) this.options.log.debug(`${route.capability}: ${c.agent_id} unreachable, trying the next provider`);
      }
    }
    throw new MeshUnavailableError(route.capability, attempts);
  }

  /**
   * Self proxy: the handler of a tool of this agent (candidate `index`), in-process, with the same timeout and
   * cancellation as a remote call; resolves with the handler's value (or error result) and who served it.
   */
  private async callLocal(
    route: Route,
    args: Record<string, unknown>,
    signal: AbortSignal | undefined,
    timeoutMs: number,
    extra: ToolExtra | undefined,
    index = 0,
  ): Promise<{ value: unknown; provider: ProviderRef }> {
    const provider = route.refs[index]!;
    const tool = index === 0 && route.local ? route.local : this.options.localTools.get(provider.functionName)!;
    try {
      const value = await runLocalCall((call) => tool.invoke(args, localExtra(extra, call)), signal, timeoutMs);
      return { value, provider };
    } catch (error) {
      const cancelled = signal?.aborted && signal.reason === error;
      throw new MeshCallError(provider, cancelled ? `cancelled: ${describeError(error)}` : describeError(error), { cause: error });
    }
  }
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

function breakerKey(c: ResolvedDependency): string {
  return `${c.agent_id}@${c.endpoint}`;
}

/** Hash of a wiring that differs from the registry's answer (providers kept while the registry recovers). */
function effectiveHash(slots: Map<string, Slot[]>): string {
  const resolved: DependenciesResolved = {};
  const alternatives: DependencyAlternatives = {};
  for (const [fn, list] of slots) {
    resolved[fn] = list.map((s) => s.candidates[0] ?? unresolvedEntry(s.capability));
    alternatives[fn] = list.map((s) => s.candidates);
  }
  return topologyHash(resolved, alternatives);
}
