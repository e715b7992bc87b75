// Where resolution happens: the capability index (capability → its providers) and one shared ranking per
// distinct dependency spec (capability, tags, version). A change to a capability updates each distinct spec of
// it once, and rebuilds (re-hashes) only the consumers whose top MAX_ALTERNATIVES changed. Agents' answers
// (dependencies_resolved, dependency_alternatives) are built from the rankings when asked, never kept.
import { MAX_ALTERNATIVES, rankFully, sameOffer, sameTop, shapeKey, candidateKey, updateRanking, type CapabilityDelta } from '../../core/ranking.js';
import { toAlternative, toResolved, unresolvedEntry, type DependencySpec, type ProviderCandidate } from '../../core/resolver.js';
import { topologyHash } from '../../core/topology-hash.js';
import type { DependenciesResolved, DependencyAlternatives, ResolvedDependency } from '../../core/wire.js';
import type { RegistryMetrics } from '../metrics.js';
import { capabilityNames, eligible, providing, type AgentEntry, type ProvidingTool, type SharedRanking } from './agent.js';

export interface Resolution {
  resolved: DependenciesResolved;
  alternatives: DependencyAlternatives;
}

export class ResolutionIndex {
  /**
   * capability → agents whose tools provide it (any status), in the order they (re)registered. Arrays, not
   * Sets: a Set costs ~26 bytes per member against ~10, and there is one member per agent and capability
   * (100 000 at 10 000 agents); leaving costs a scan of the capability's providers.
   */
  private readonly providers = new Map<string, AgentEntry[]>();
  /** capability → its distinct dependency specs (by shape) and their shared rankings. */
  private readonly shapes = new Map<string, Map<string, SharedRanking>>();
  /** capability → healthy candidates, built on demand within one change and dropped after it (not kept per agent). */
  private readonly candidateCache = new Map<string, ProvidingTool[]>();
  /** Per (shared) list of specs: their shared rankings, one array for every tool that declares that list. */
  private readonly rankingLists = new WeakMap<readonly DependencySpec[], readonly SharedRanking[]>();
  /** Capabilities whose healthy providers changed since the last recompute, and how. */
  private readonly changedCaps = new Map<string, CapabilityDelta>();

  /** `onHashChange`: an agent's topology hash changed (its long-polls answer). */
  constructor(
    private readonly metrics: RegistryMetrics,
    private readonly onHashChange: (entry: AgentEntry) => void,
  ) {}

  /** Agents providing `capability` (any status), or undefined when none does. */
  providersOf(capability: string): readonly AgentEntry[] | undefined {
    return this.providers.get(capability);
  }

  /** Every capability and its providers. */
  allProviders(): IterableIterator<[string, readonly AgentEntry[]]> {
    return this.providers.entries();
  }

  get capabilityCount(): number {
    return this.providers.size;
  }

  /** Adds the agent as a provider of its tools' capabilities. */
  index(entry: AgentEntry): void {
    for (const capability of capabilityNames(entry)) {
      const list = this.providers.get(capability);
      if (list) list.push(entry);
      else this.providers.set(capability, [entry]);
    }
  }

  /** Removes the agent as a provider and as a user of its shared rankings. */
  unindex(entry: AgentEntry): void {
    for (const capability of capabilityNames(entry)) removeFrom(this.providers, capability, entry);
    for (const tool of entry.tools) {
      for (const shared of tool.ranked) {
        const at = shared.users.indexOf(entry);
        if (at >= 0) shared.users.splice(at, 1);
        if (shared.users.length > 0) continue;
        const byShape = this.shapes.get(shared.spec.capability)!;
        byShape.delete(shapeKey(shared.spec));
        if (byShape.size === 0) this.shapes.delete(shared.spec.capability);
      }
    }
  }

  /** Records how the healthy candidates differ between an agent's old and new registration. */
  noteProviderChanges(before: AgentEntry | null, after: AgentEntry): void {
    const oldTools = before && eligible(before) ? providing(before) : [];
    const newTools = eligible(after) ? providing(after) : [];
    const oldByKey = new Map(oldTools.map((c) => [candidateKey(c), c]));
    const newByKey = new Map(newTools.map((c) => [candidateKey(c), c]));
    for (const [key, old] of oldByKey) {
      const now = newByKey.get(key);
      if (!now || !sameCandidate(old, now)) this.delta(old.capability).removed.add(key);
    }
    for (const [key, now] of newByKey) {
      const old = oldByKey.get(key);
      if (!old || !sameCandidate(old, now)) this.delta(now.capability).added.push(now);
    }
  }

  /** The agent left resolution (unhealthy, unregistered): its tools are no longer candidates. */
  providerLeft(entry: AgentEntry): void {
    for (const tool of providing(entry)) this.delta(tool.capability).removed.add(candidateKey(tool));
  }

  /** The agent is back in resolution. */
  providerJoined(entry: AgentEntry): void {
    for (const tool of providing(entry)) this.delta(tool.capability).added.push(tool);
  }

  /**
   * Applies the pending capability changes: each distinct spec of a changed capability is updated once, and
   * only the consumers whose top MAX_ALTERNATIVES changed are rebuilt (and re-hashed).
   */
  recompute(): void {
    if (this.changedCaps.size === 0) return;
    const started = performance.now();
    this.candidateCache.clear();
    const changedConsumers = new Set<AgentEntry>();
    for (const [capability, delta] of this.changedCaps) {
      for (const shared of this.shapes.get(capability)?.values() ?? []) {
        this.metrics.resolutions++;
        const after = updateRanking(shared.spec, shared.ranking, delta, () => this.candidates(capability));
        const changed = !sameTop(shared.ranking.list, after.list);
        shared.ranking = after;
        if (changed) for (const consumer of shared.users) changedConsumers.add(consumer);
      }
    }
    this.changedCaps.clear();
    this.candidateCache.clear();
    for (const consumer of changedConsumers) this.rebuild(consumer, true);
    this.metrics.resolutionSeconds += (performance.now() - started) / 1000;
  }

  /**
   * Attaches the agent to the shared ranking of each of its specs (ranking new ones in full), then rebuilds it.
   * `notify`: tell onHashChange when its hash changed (not while restoring).
   */
  attach(entry: AgentEntry, notify: boolean): void {
    const started = performance.now();
    for (const tool of entry.tools) {
      if (tool.specs.length === 0) continue;
      tool.ranked = this.rankingsOf(tool.specs);
      for (const shared of tool.ranked) shared.users.push(entry);
    }
    this.candidateCache.clear();
    this.rebuild(entry, notify);
    this.metrics.resolutionSeconds += (performance.now() - started) / 1000;
  }

  /**
   * The shared rankings of a list of specs. Tools declaring the same (shared) list of specs get one shared array
   * of them, kept while each of its rankings is still the one in use for its shape.
   */
  private rankingsOf(specs: readonly DependencySpec[]): readonly SharedRanking[] {
    const known = this.rankingLists.get(specs);
    if (known?.every((shared) => this.shapes.get(shared.spec.capability)?.get(shapeKey(shared.spec)) === shared)) return known;
    const ranked = Object.freeze(specs.map((spec) => this.rankingOf(spec)));
    this.rankingLists.set(specs, ranked);
    return ranked;
  }

  /** The shared ranking of a spec's shape, ranked in full when it is new. */
  private rankingOf(spec: DependencySpec): SharedRanking {
    let byShape = this.shapes.get(spec.capability);
    if (!byShape) this.shapes.set(spec.capability, (byShape = new Map()));
    const key = shapeKey(spec);
    let shared = byShape.get(key);
    if (!shared) {
      this.metrics.resolutions++;
      byShape.set(key, (shared = { spec, ranking: rankFully(spec, this.candidates(spec.capability)), users: [] }));
    }
    return shared;
  }

  /** Drops pending changes (after a restore, every agent was attached against the final state). */
  settle(): void {
    this.changedCaps.clear();
    this.candidateCache.clear();
  }

  /** dependencies_resolved and dependency_alternatives, from the shared rankings (built when asked, not kept). */
  resolution(entry: AgentEntry): Resolution {
    const resolved: DependenciesResolved = {};
    const alternatives: DependencyAlternatives = {};
    for (const tool of entry.tools) {
      if (tool.specs.length === 0) continue;
      resolved[tool.function_name] = tool.specs.map((spec, i) => {
        const best = tool.ranked[i]!.ranking.list[0];
        return best ? toResolved(best) : unresolvedEntry(spec.capability);
      });
      alternatives[tool.function_name] = tool.ranked.map(({ ranking }) => {
        const count = Math.min(ranking.list.length, MAX_ALTERNATIVES);
        const entries = new Array<ResolvedDependency>(count);
        for (let k = 0; k < count; k++) entries[k] = toAlternative(ranking.list[k]!, ranking.ranks[k]!);
        return entries;
      });
    }
    return { resolved, alternatives };
  }

  private delta(capability: string): CapabilityDelta {
    let delta = this.changedCaps.get(capability);
    if (!delta) this.changedCaps.set(capability, (delta = { removed: new Set(), added: [] }));
    return delta;
  }

  private candidates(capability: string): readonly ProviderCandidate[] {
    let list = this.candidateCache.get(capability);
    if (list) return list;
    list = [];
    for (const provider of this.providers.get(capability) ?? []) {
      if (!eligible(provider)) continue;
      for (const tool of provider.tools) if (tool.capability === capability) list.push(tool as ProvidingTool);
    }
    this.candidateCache.set(capability, list);
    return list;
  }

  /** Re-hashes the agent's resolution; onHashChange hears when it changed. */
  private rebuild(entry: AgentEntry, notify: boolean): void {
    // An agent without dependencies (most providers) gets the one hash of an empty resolution, not a copy each.
    let hash = emptyHash();
    if (entry.tools.some((tool) => tool.specs.length > 0)) {
      const { resolved, alternatives } = this.resolution(entry);
      hash = topologyHash(resolved, alternatives);
    }
    const changed = hash !== entry.hash;
    entry.hash = hash;
    if (changed && notify) this.onHashChange(entry);
  }
}

let emptyTopologyHash: string | undefined;

function emptyHash(): string {
  emptyTopologyHash ??= topologyHash({}, {});
  return emptyTopologyHash;
}

/** Same candidate for resolution (agent_id and function_name are the key, compared by the caller). */
function sameCandidate(a: ProvidingTool, b: ProvidingTool): boolean {
  if (a.agent_name !== b.agent_name || a.capability !== b.capability || a.endpoint !== b.endpoint) return false;
  return sameOffer(a, b);
}

function removeFrom(map: Map<string, AgentEntry[]>, key: string, entry: AgentEntry): void {
  const list = map.get(key);
  if (!list) return;
  const at = list.indexOf(entry);
  if (at < 0) return;
  if (list.length === 1) map.delete(key);
  else list.splice(at, 1);
}
