// Spreading, the seam between wiring and calling: which provider of a dependency gets each call. The registry says
// which providers are equally good (their `rank`); core/selection.ts picks one of them per call; a consumer's own
// ranking filter and selection function (the design's extension points) may replace either choice. Per provider it
// keeps the figures selection reads and `GET /calls` reports: calls in flight, calls served, failures, latency.
import { allUsable, MAX_SHARING, SelectionState, selectProvider, sharingCount, weightOf, type SelectionStrategy } from '../core/selection.js';
import type { DependencyCallsView, ResolvedDependency } from '../core/wire.js';
import type { CircuitBreaker } from './breaker.js';
import { describeError, type Logger } from './log.js';
import type { ProviderRef } from './result.js';
import type { RankingFilter, SelectFunction, SelectionCandidate, SelectionContext } from './types.js';

/** A ranking filter runs again at most this often (latency and load move; the registry's answer rewires at once). */
export const FILTER_REFRESH_MS = 1_000;
/** Weight of the newest call in the latency moving average. */
const LATENCY_SMOOTHING = 0.2;

/** How one dependency chooses: from its spec (strategy, select, filter), else the agent's default strategy. */
export interface SpreadOptions {
  strategy: SelectionStrategy;
  select?: SelectFunction;
  filter?: RankingFilter;
}

/** One provider of one dependency: what selection and the consumer's own functions read, kept up to date in place. */
export class ProviderFigures implements SelectionCandidate {
  readonly agentId: string;
  readonly functionName: string;
  readonly endpoint: string;
  readonly version: string;
  readonly tags: readonly string[];
  readonly weight: number;
  readonly rank: number;
  /** Shared with this provider's figures before a rewire: a call under way then still counts, and ends, here. */
  private counts = { inFlight: 0, calls: 0, failures: 0, latencyMs: undefined as number | undefined };

  constructor(
    readonly entry: ResolvedDependency,
    readonly ref: ProviderRef,
    /** The circuit breaker's key. */
    readonly key: string,
    /** Its position in the registry's ranking (the slot's candidates). */
    readonly index: number,
  ) {
    this.agentId = entry.agent_id;
    this.functionName = entry.function_name;
    this.endpoint = entry.endpoint;
    this.version = entry.version ?? '';
    this.tags = entry.tags ?? [];
    this.weight = weightOf(entry.kwargs);
    this.rank = entry.rank ?? index;
  }

  get inFlight(): number {
    return this.counts.inFlight;
  }

  get calls(): number {
    return this.counts.calls;
  }

  get failures(): number {
    return this.counts.failures;
  }

  get latencyMs(): number | undefined {
    return this.counts.latencyMs;
  }

  /** A call to it starts. */
  started(): void {
    this.counts.inFlight++;
  }

  /** A call to it ended: answered in `ms` (a tool error is an answer too), or not (`failed`: it was unreachable). */
  ended(ms: number | undefined, failed = false): void {
    const c = this.counts;
    c.inFlight--;
    if (ms === undefined) {
      if (failed) c.failures++;
      return;
    }
    c.calls++;
    c.latencyMs = c.latencyMs === undefined ? ms : c.latencyMs + LATENCY_SMOOTHING * (ms - c.latencyMs);
  }

  /** The same provider again after a rewire: its figures carry over. */
  adopt(old: ProviderFigures): void {
    this.counts = old.counts;
  }
}

/** Messages already logged: a user's function that keeps failing is reported once, not on every call. */
export class LogOnce {
  private readonly seen = new Set<string>();
  constructor(private readonly log: Logger) {}
  warn(key: string, message: string): void {
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.log.warn(message);
  }
}

/** The selection of one wired dependency: its providers in attempt order, the first `sharing` of them sharing calls. */
export class Spread {
  /** The providers in attempt order: the sharing ones first, then the failover ones in the registry's order. */
  order: ProviderFigures[];
  sharing: number;
  /** `order`'s first `sharing` entries, as the user's selection function sees them. */
  private sharingView: readonly ProviderFigures[];
  private readonly state = new SelectionState();
  private filteredAt = Number.NEGATIVE_INFINITY;
  private readonly context: SelectionContext;

  constructor(
    readonly providers: readonly ProviderFigures[],
    readonly options: SpreadOptions,
    private readonly breaker: CircuitBreaker,
    private readonly warnings: LogOnce,
    context: SelectionContext,
  ) {
    this.context = Object.freeze({ ...context });
    this.order = [...providers];
    this.sharing = sharingCount(providers.map((p) => p.entry));
    this.sharingView = this.order.slice(0, this.sharing);
    if (options.filter) this.applyFilter(Number.POSITIVE_INFINITY);
  }

  /** The position in `order` of the provider that gets this call (its failover goes on from there). */
  choose(): number {
    if (this.options.filter) this.applyFilter(performance.now());
    const count = this.sharing;
    if (count <= 1) return 0;
    if (this.options.select) {
      const chosen = this.userChoice();
      if (chosen >= 0) return chosen;
    }
    const picked = selectProvider(this.options.strategy, this.order, count, this.state, this.usable(count));
    return picked < 0 ? 0 : picked;
  }

  /** Bit i set: the sharing provider at position i may be called (its circuit is not open). */
  private usable(count: number): number {
    if (this.breaker.quiet) return allUsable(count);
    let mask = 0;
    for (let i = 0; i < count; i++) if (!this.breaker.isOpen(this.order[i]!.key)) mask |= 1 << i;
    return mask;
  }

  private userChoice(): number {
    let chosen: SelectionCandidate | undefined;
    try {
      chosen = this.options.select!(this.sharingView, this.context);
    } catch (error) {
      this.warnings.warn(
        `select:${this.context.key}:${describeError(error)}`,
        `${this.label()}: selection function threw (${describeError(error)}); using ${this.options.strategy}`,
      );
      return -1;
    }
    for (let i = 0; i < this.sharing; i++) if (this.order[i] === chosen) return i;
    this.warnings.warn(
      `select:${this.context.key}:foreign`,
      `${this.label()}: selection function returned no candidate it was given; using ${this.options.strategy}`,
    );
    return -1;
  }

  /** Runs the consumer's ranking filter (at most once per FILTER_REFRESH_MS): the providers it returns share the calls. */
  private applyFilter(now: number): void {
    if (now - this.filteredAt < FILTER_REFRESH_MS) return;
    this.filteredAt = now === Number.POSITIVE_INFINITY ? performance.now() : now;
    let kept: readonly SelectionCandidate[];
    try {
      kept = this.options.filter!(this.providers);
    } catch (error) {
      this.warnings.warn(
        `filter:${this.context.key}:${describeError(error)}`,
        `${this.label()}: ranking filter threw (${describeError(error)}); using the registry's ranking`,
      );
      this.useDefaultRanking();
      return;
    }
    const chosen: ProviderFigures[] = [];
    for (const c of Array.isArray(kept) ? kept : []) {
      const own = this.providers.find((p) => p === c);
      if (own && !chosen.includes(own) && chosen.length < MAX_SHARING) chosen.push(own);
    }
    if (chosen.length === 0) {
      this.warnings.warn(
        `filter:${this.context.key}:empty`,
        `${this.label()}: ranking filter kept none of the providers it was given; using the registry's ranking`,
      );
      this.useDefaultRanking();
      return;
    }
    this.install(chosen, chosen.length);
  }

  private useDefaultRanking(): void {
    this.install(this.providers, sharingCount(this.providers.map((p) => p.entry)));
  }

  private install(first: readonly ProviderFigures[], sharing: number): void {
    const order = [...first, ...this.providers.filter((p) => !first.includes(p))];
    const same = sharing === this.sharing && order.every((p, i) => p === this.order[i]);
    if (same) return;
    this.order = order;
    this.sharing = sharing;
    this.sharingView = order.slice(0, sharing);
    this.state.reset();
  }

  private label(): string {
    return `${this.context.tool}.${this.context.key}`;
  }

  /** What GET /calls reports of this dependency. */
  report(): DependencyCallsView {
    const total = this.providers.reduce((sum, p) => sum + p.calls, 0);
    return {
      function_name: this.context.tool,
      capability: this.context.capability,
      key: this.context.key,
      strategy: this.options.select ? 'custom' : this.options.strategy,
      ...(this.options.filter ? { filter: true } : {}),
      calls: total,
      providers: this.order.map((p, position) => ({
        agent_id: p.agentId,
        function_name: p.functionName,
        endpoint: p.endpoint,
        sharing: position < this.sharing,
        rank: p.rank,
        weight: p.weight,
        calls: p.calls,
        failures: p.failures,
        in_flight: p.inFlight,
        latency_ms: p.latencyMs === undefined ? null : Math.round(p.latencyMs * 100) / 100,
        share: total > 0 ? Math.round((p.calls / total) * 1000) / 1000 : 0,
      })),
    };
  }
}
