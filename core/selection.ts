// Spreading calls over equally good providers: which one of a dependency's sharing providers gets the next call.
// Pure and allocation-free on the per-call path (the runtime's proxies, the gateway and `pm2-mesh call` all use it):
// the caller keeps each provider's load in place and a SelectionState per dependency.
import type { ResolvedDependency } from './wire.js';

export const SELECTION_STRATEGIES = ['least-inflight', 'round-robin', 'weighted', 'first'] as const;
/** How a dependency spreads its calls over its sharing providers. */
export type SelectionStrategy = (typeof SELECTION_STRATEGIES)[number];
/** Fewest calls in flight; round-robin among the providers that have equally few. */
export const DEFAULT_STRATEGY: SelectionStrategy = 'least-inflight';

/** At most this many providers share one dependency's calls (selection's usable set is a 32-bit mask). */
export const MAX_SHARING = 31;
/** A provider's weight when it registers none; weights are clamped to [MIN_WEIGHT, MAX_WEIGHT]. */
export const DEFAULT_WEIGHT = 1;
export const MIN_WEIGHT = 0.001;
export const MAX_WEIGHT = 1_000_000;
/** Every provider of a mask of `n` usable. */
export const allUsable = (count: number): number => (count >= 32 ? -1 : (1 << count) - 1) | 0;

/** What selection reads of one sharing provider (the caller updates it in place). */
export interface ProviderLoad {
  readonly inFlight: number;
  readonly weight: number;
}

export function isSelectionStrategy(value: unknown): value is SelectionStrategy {
  return typeof value === 'string' && (SELECTION_STRATEGIES as readonly string[]).includes(value);
}

/** A provider's weight as it travels on the wire: its tool's `kwargs.weight` (MCP Mesh's place for tool options). */
export function weightOf(kwargs: Readonly<Record<string, unknown>> | undefined): number {
  const weight = kwargs?.weight;
  if (typeof weight !== 'number' || !Number.isFinite(weight) || weight <= 0) return DEFAULT_WEIGHT;
  return Math.min(MAX_WEIGHT, Math.max(MIN_WEIGHT, weight));
}

/**
 * How many of a dependency's ranked providers (the registry's `dependency_alternatives` entry, best first) share its
 * calls: the leading ones of the same `rank` (same tag score and version). A registry that sends no ranks (MCP
 * Mesh's) gives one: the chosen provider, the rest failover only.
 */
export function sharingCount(ranked: readonly Pick<ResolvedDependency, 'rank'>[]): number {
  const first = ranked[0]?.rank;
  if (first === undefined) return Math.min(ranked.length, 1);
  let count = 1;
  while (count < ranked.length && count < MAX_SHARING && ranked[count]!.rank === first) count++;
  return count;
}

/** Selection's memory for one dependency: where round-robin resumes, and the smooth weighted credits. */
export class SelectionState {
  cursor: number;
  credits: Float64Array;

  /** `start`: a random first position, so that many one-shot or freshly started callers do not all pick the first. */
  constructor(size = MAX_SHARING, start = Math.floor(Math.random() * 1024)) {
    this.cursor = start;
    this.credits = new Float64Array(Math.max(1, size));
  }

  /** The sharing providers changed: weighted credits start again (the round-robin position may stay). */
  reset(): void {
    this.credits.fill(0);
  }
}

/**
 * The provider (index into `providers`, among the first `count`) that gets the next call, or -1 when none of them is
 * usable. `usable` is a bit mask (bit i: provider i may be called; e.g. its circuit is not open).
 * - `first`: the first usable one (the registry's order; the others only fail over);
 * - `round-robin`: each in turn;
 * - `least-inflight`: the fewest calls in flight, in turn among equals;
 * - `weighted`: smooth weighted round-robin (nginx's): over any window each gets calls in proportion to its weight,
 *   interleaved (weights 1:3 give b a b b, not a b b b).
 */
export function selectProvider(
  strategy: SelectionStrategy,
  providers: readonly ProviderLoad[],
  count: number,
  state: SelectionState,
  usable: number = allUsable(count),
): number {
  if (count > MAX_SHARING) count = MAX_SHARING;
  if (count <= 1) return count === 1 && (usable & 1) !== 0 ? 0 : -1;
  switch (strategy) {
    case 'first':
      for (let i = 0; i < count; i++) if ((usable & (1 << i)) !== 0) return i;
      return -1;
    case 'round-robin':
      return roundRobin(count, state, usable);
    case 'weighted':
      return smoothWeighted(providers, count, state, usable);
    default:
      return leastInFlight(providers, count, state, usable);
  }
}

function roundRobin(count: number, state: SelectionState, usable: number): number {
  const start = state.cursor % count;
  for (let k = 0; k < count; k++) {
    const i = (start + k) % count;
    if ((usable & (1 << i)) !== 0) {
      state.cursor = i + 1;
      return i;
    }
  }
  return -1;
}

function leastInFlight(providers: readonly ProviderLoad[], count: number, state: SelectionState, usable: number): number {
  const start = state.cursor % count;
  let best = -1;
  let bestLoad = Number.POSITIVE_INFINITY;
  // Scanning from the cursor makes the first of several equally loaded providers a different one each time.
  for (let k = 0; k < count; k++) {
    const i = (start + k) % count;
    if ((usable & (1 << i)) === 0) continue;
    const load = providers[i]!.inFlight;
    if (load < bestLoad) {
      best = i;
      bestLoad = load;
    }
  }
  if (best >= 0) state.cursor = best + 1;
  return best;
}

function smoothWeighted(providers: readonly ProviderLoad[], count: number, state: SelectionState, usable: number): number {
  const credits = state.credits;
  let total = 0;
  let best = -1;
  for (let i = 0; i < count && i < credits.length; i++) {
    if ((usable & (1 << i)) === 0) continue;
    const weight = providers[i]!.weight;
    credits[i]! += weight;
    total += weight;
    if (best < 0 || credits[i]! > credits[best]!) best = i;
  }
  if (best >= 0) credits[best]! -= total;
  return best;
}

/**
 * For a caller that selects once (a CLI call): least-inflight and round-robin pick uniformly, weighted in proportion
 * to the weights, first the first. Same distribution over many callers as the stateful strategies give one.
 */
export function selectOnce(strategy: SelectionStrategy, providers: readonly ProviderLoad[], count: number, random = Math.random): number {
  if (count <= 1) return count - 1;
  if (strategy === 'first') return 0;
  if (strategy !== 'weighted') return Math.min(count - 1, Math.floor(random() * count));
  let total = 0;
  for (let i = 0; i < count; i++) total += providers[i]!.weight;
  let point = random() * total;
  for (let i = 0; i < count; i++) {
    point -= providers[i]!.weight;
    if (point < 0) return i;
  }
  return count - 1;
}
