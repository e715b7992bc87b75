// Keeping a dependency's ranking of providers up to date as providers come and go, without rescanning them all.
// Pure: the store calls it once per distinct dependency spec of each changed capability.
import { resolveDependency, standings, type DependencySpec, type ProviderCandidate } from './resolver.js';

/** Ranked providers answered per dependency in `dependency_alternatives` (chosen one first). */
export const MAX_ALTERNATIVES = 5;
/** Ranked providers kept per dependency, so that losing one rarely needs a rescan of all of them. */
export const RANK_DEPTH = 8;

/**
 * The best providers of one dependency, best first, at most RANK_DEPTH. The first `exact` entries are known
 * to be the true top ones; `complete` means the list holds every match. Ranking is a total order, so the top
 * of (known top + new candidates) is the new top, and removing an entry keeps the rest of the known top.
 */
export interface Ranking {
  list: ProviderCandidate[];
  exact: number;
  complete: boolean;
  /** The standing of each of the first MAX_ALTERNATIVES (equal = equally good: they share a consumer's calls). */
  ranks: number[];
}

/** How the healthy providers of one capability changed: candidates gone (by key) and candidates new. */
export interface CapabilityDelta {
  removed: Set<string>;
  added: ProviderCandidate[];
}

/** Ranks every candidate. */
export function rankFully(spec: DependencySpec, candidates: readonly ProviderCandidate[]): Ranking {
  const ranked = resolveDependency(spec, candidates).ranked;
  const list = ranked.slice(0, RANK_DEPTH);
  return { list, exact: list.length, complete: ranked.length <= RANK_DEPTH, ranks: topStandings(spec, list) };
}

/**
 * Applies a capability's change to a ranking: drops what left, merges what came. Only when fewer than
 * MAX_ALTERNATIVES entries remain known does it rank `allCandidates()` again.
 */
export function updateRanking(
  spec: DependencySpec,
  ranking: Ranking,
  delta: CapabilityDelta,
  allCandidates: () => readonly ProviderCandidate[],
): Ranking {
  let { list, exact, complete } = ranking;
  const before = list;
  if (delta.removed.size > 0 && list.some((c) => delta.removed.has(candidateKey(c)))) {
    const kept: ProviderCandidate[] = [];
    const knownBefore = exact;
    list.forEach((candidate, position) => {
      if (!delta.removed.has(candidateKey(candidate))) kept.push(candidate);
      else if (position < knownBefore) exact--;
    });
    list = kept;
    if (!complete && exact < MAX_ALTERNATIVES) return rankFully(spec, allCandidates());
  }
  if (delta.added.length > 0) {
    const merged = resolveDependency(spec, [...list, ...delta.added]).ranked;
    list = merged.slice(0, RANK_DEPTH);
    if (complete) {
      complete = merged.length <= RANK_DEPTH;
      exact = list.length;
    }
  }
  // Ranks change only with the list (a changed candidate is removed and added again, so the list changes too).
  const ranks = list === before ? ranking.ranks : topStandings(spec, list);
  return { list, exact: complete ? list.length : exact, complete, ranks };
}

/** Computed once per ranking change, not per answer: many consumers share a ranking. */
function topStandings(spec: DependencySpec, list: readonly ProviderCandidate[]): number[] {
  return standings(spec, list.length > MAX_ALTERNATIVES ? list.slice(0, MAX_ALTERNATIVES) : list);
}

/** What resolution depends on in a spec (not its `as` alias): equal shapes share one ranking. */
export function shapeKey(spec: DependencySpec): string {
  return JSON.stringify([spec.tags, spec.version ?? null]);
}

/** One provider tool's identity: function names are unique within an agent. */
export function candidateKey(candidate: ProviderCandidate): string {
  return `${candidate.agent_id}\u0000${candidate.function_name}`;
}

/** Same first MAX_ALTERNATIVES providers in the same order, as the wire shows them (tags, version and kwargs too). */
export function sameTop(a: readonly ProviderCandidate[], b: readonly ProviderCandidate[]): boolean {
  const count = Math.min(a.length, MAX_ALTERNATIVES);
  if (count !== Math.min(b.length, MAX_ALTERNATIVES)) return false;
  for (let i = 0; i < count; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x === y) continue;
    if (x.agent_id !== y.agent_id || x.function_name !== y.function_name || x.endpoint !== y.endpoint) return false;
    if (!sameOffer(x, y)) return false;
  }
  return true;
}

/** Same version, tags and kwargs: what a consumer's spreading reads of a provider besides its identity. */
export function sameOffer(a: ProviderCandidate, b: ProviderCandidate): boolean {
  if (a.version !== b.version || a.tags.length !== b.tags.length) return false;
  for (let i = 0; i < a.tags.length; i++) if (a.tags[i] !== b.tags[i]) return false;
  return a.kwargs === b.kwargs || JSON.stringify(a.kwargs) === JSON.stringify(b.kwargs);
}
