// Dependency injection: the agent's current wiring (wiring.ts makes it from the registry's answer), rewired only
// when the topology hash changes, and each handler call's `deps`: proxies that call as proxy-call.ts says.
import { DEFAULT_STRATEGY, type SelectionStrategy } from '../core/selection.js';
import type { AgentCallsResponse, Topology } from '../core/wire.js';
import { breakerKey, ProxyCalls, type ProxyCallOptions, type Route, type RouteOrigin } from './proxy-call.js';
import type { DependencySpec, MeshProxy, ToolExtra } from './types.js';
import { dependencyKey, describeSlots, wireOwnTopology, wireTopology, type DependencySpecs, type Slots } from './wiring.js';

/** What the proxies' calls need (proxy-call.ts), plus what the wiring itself reads. */
export interface WiringOptions extends ProxyCallOptions {
  /** Declared dependencies per tool name, in registration order. */
  specs: DependencySpecs;
  /** How a dependency spreads its calls when its spec does not say (default least-inflight). */
  strategy?: SelectionStrategy;
}

export class Wiring {
  private slots = new Map<string, Route[]>();
  private currentHash = '';
  /** True while the wiring is our own resolution of self-dependencies, not yet the registry's. */
  private localOnly = false;
  private readonly calls: ProxyCalls;

  constructor(private readonly options: WiringOptions) {
    this.calls = new ProxyCalls(options);
  }

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
    const { slots, hash, merged } = wireTopology(this.options.specs, topology, keepMissing && !replacingLocal ? this.slots : undefined);
    if (hash === this.currentHash && !replacingLocal) return false;
    this.localOnly = false;
    this.install(slots, hash, merged ? ' (keeping providers until they re-register)' : '');
    return true;
  }

  /**
   * Wires self-dependencies resolved by this agent itself (standalone, or before the registry first answers);
   * `reason` is logged. Never replaces a wiring the registry gave.
   */
  applyLocal(topology: Topology, reason: string): boolean {
    if (this.currentHash !== '' && !this.localOnly) return false;
    const { slots, hash } = wireOwnTopology(this.options.specs, topology, (c) => this.calls.isLocal(c));
    if (hash === this.currentHash) return false;
    this.localOnly = true;
    this.install(slots, hash, ` (local: ${reason})`);
    return true;
  }

  private install(next: Slots, hash: string, note: string): void {
    this.currentHash = hash;
    const previous = this.slots;
    this.slots = new Map(
      [...next].map(([fn, slots]) => [fn, slots.map((slot, i) => this.calls.route(slot, this.origin(fn, i), previous.get(fn)?.[i]))]),
    );
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

  /** How dependency `i` of tool `fn` spreads its calls: its spec's choice, else the agent's. */
  private origin(fn: string, i: number): RouteOrigin {
    const spec: DependencySpec | undefined = this.options.specs.get(fn)?.[i];
    const own = typeof spec === 'object' ? spec : undefined;
    return {
      tool: fn,
      strategy: own?.strategy ?? this.options.strategy ?? DEFAULT_STRATEGY,
      ...(own?.select ? { select: own.select } : {}),
      ...(own?.filter ? { filter: own.filter } : {}),
    };
  }

  /** GET /calls: per dependency, its providers and the calls each answered. */
  callReport(): AgentCallsResponse {
    const dependencies = [];
    for (const routes of this.slots.values()) for (const route of routes) dependencies.push(route.spread.report());
    return { agent_id: this.options.agentId, dependencies };
  }

  /** `hello.time_service→timesvc-1a2b3c4d/now(+1)`, one item per declared dependency. */
  summary(): string {
    return describeSlots(this.slots, this.options.agentId);
  }

  /** The `deps` object for one call of tool `fn`: proxies bound to that call's cancellation signal. */
  depsFor(fn: string, extra?: ToolExtra): Record<string, MeshProxy | undefined> {
    const deps: Record<string, MeshProxy | undefined> = {};
    const specs = this.options.specs.get(fn) ?? [];
    for (const spec of specs) deps[dependencyKey(spec)] = undefined;
    for (const slot of this.slots.get(fn) ?? []) {
      if (slot.candidates.length) deps[slot.key] = this.calls.proxy(slot, extra);
    }
    return deps;
  }
}
