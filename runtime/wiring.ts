// Wiring, pure: what the registry answered about this agent's dependencies (dependencies_resolved plus the ranked
// alternatives) → one slot per declared dependency, holding its providers in the order calls try them.
// inject.ts keeps the current slots and hands them to calls; proxy-call.ts makes the calls.
import { unresolvedEntry } from '../core/unresolved-entry.js';
import { sharingCount } from '../core/selection.js';
import { topologyHash } from '../core/topology-hash.js';
import type { DependenciesResolved, DependencyAlternatives, ResolvedDependency, Topology } from '../core/wire.js';
import type { DependencySpec } from './types.js';

/** One declared dependency of a tool, wired. */
export interface Slot {
  /** Its key in the handler's `deps`. */
  key: string;
  capability: string;
  /** Ranked providers, the registry's choice first. Empty: unresolved. */
  candidates: ResolvedDependency[];
}

/** Slots per tool name (tools with no dependencies have none). */
export type Slots = Map<string, Slot[]>;

/** Declared dependencies per tool name, in registration order. */
export type DependencySpecs = Map<string, readonly DependencySpec[]>;

export function dependencyKey(spec: DependencySpec): string {
  return typeof spec === 'string' ? spec : (spec.as ?? spec.capability);
}

function dependencyCapability(spec: DependencySpec): string {
  return typeof spec === 'string' ? spec : spec.capability;
}

export function sameProvider(a: ResolvedDependency, b: ResolvedDependency): boolean {
  return a.agent_id === b.agent_id && a.function_name === b.function_name && a.endpoint === b.endpoint;
}

function isAvailable(entry: ResolvedDependency | undefined): entry is ResolvedDependency {
  return !!entry && entry.status === 'available' && !!entry.agent_id && !!entry.function_name;
}

/** The available providers of dependency `i` of tool `fn`, the chosen one first. */
function rankedProviders(topology: Topology, fn: string, i: number): ResolvedDependency[] {
  const primary = topology.resolved?.[fn]?.[i];
  const ranked = (topology.alternatives?.[fn]?.[i] ?? []).filter(isAvailable);
  if (!isAvailable(primary)) return ranked;
  // The alternatives' entry of the chosen provider carries its rank: spreading reads it.
  return [ranked.find((c) => sameProvider(c, primary)) ?? primary, ...ranked.filter((c) => !sameProvider(c, primary))];
}

/**
 * The slots of a topology from the registry, and its hash. With `kept` (the current slots, while the registry is
 * still filling up again after losing its state) a dependency keeps its current providers, in their order, ahead
 * of the registry's; `merged` then says the wiring differs from the registry's answer (and so does its hash).
 */
export function wireTopology(specs: DependencySpecs, topology: Topology, kept?: Slots): { slots: Slots; hash: string; merged: boolean } {
  const slots: Slots = new Map();
  let merged = false;
  for (const [fn, list] of specs) {
    if (list.length === 0) continue;
    const old = kept?.get(fn);
    slots.set(
      fn,
      list.map((spec, i) => {
        let candidates = rankedProviders(topology, fn, i);
        const keep = old?.[i]?.candidates ?? [];
        // A registry still filling up knows less than we do: keep our providers, in our order, ahead of its news.
        if (keep.some((c) => !candidates.some((n) => sameProvider(n, c)))) {
          candidates = [...keep, ...candidates.filter((n) => !keep.some((c) => sameProvider(c, n)))];
          merged = true;
        }
        return { key: dependencyKey(spec), capability: dependencyCapability(spec), candidates };
      }),
    );
  }
  const hash = merged ? slotsHash(slots) : topologyHash(topology.resolved ?? {}, topology.alternatives ?? {});
  return { slots, hash, merged };
}

/** The slots of a topology this agent resolved itself, keeping only providers `isOwn` accepts (its own tools). */
export function wireOwnTopology(
  specs: DependencySpecs,
  topology: Topology,
  isOwn: (c: ResolvedDependency) => boolean,
): { slots: Slots; hash: string } {
  const slots: Slots = new Map();
  for (const [fn, list] of specs) {
    if (list.length === 0) continue;
    slots.set(
      fn,
      // Only this agent's own tools: anything else would be a remote provider nobody vouched for.
      list.map((spec, i) => ({
        key: dependencyKey(spec),
        capability: dependencyCapability(spec),
        candidates: rankedProviders(topology, fn, i).filter(isOwn),
      })),
    );
  }
  return { slots, hash: slotsHash(slots) };
}

/** Hash of a wiring that is not the registry's answer as is (kept providers, or resolved by the agent itself). */
function slotsHash(slots: Slots): string {
  const resolved: DependenciesResolved = {};
  const alternatives: DependencyAlternatives = {};
  for (const [fn, list] of slots) {
    resolved[fn] = list.map((s) => (s.candidates[0] ? resolvedEntry(s.candidates[0]) : unresolvedEntry(s.capability)));
    alternatives[fn] = list.map((s) => s.candidates);
  }
  return topologyHash(resolved, alternatives);
}

/** A dependencies_resolved entry as the registry answers it: an alternatives entry without its rank, version and tags. */
function resolvedEntry(c: ResolvedDependency): ResolvedDependency {
  const { rank: _rank, version: _version, tags: _tags, ...entry } = c;
  return entry;
}

/** `hello.time_service→timesvc-1a2b3c4d/now(+1)`, one item per declared dependency; this agent's own tools as `self`. */
export function describeSlots(slots: Iterable<[string, readonly Slot[]]>, agentId: string): string {
  const items: string[] = [];
  for (const [fn, list] of slots) {
    for (const s of list) {
      const [first, ...rest] = s.candidates;
      const sharing = sharingCount(s.candidates);
      // `(3 sharing, +1)`: three equally good providers share the calls, one more is failover only.
      const more =
        sharing > 1
          ? `(${sharing} sharing${rest.length + 1 > sharing ? `, +${rest.length + 1 - sharing}` : ''})`
          : rest.length
            ? `(+${rest.length})`
            : '';
      const target = first ? `${first.agent_id === agentId ? 'self' : first.agent_id}/${first.function_name}${more}` : 'unresolved';
      items.push(`${fn}.${s.key}→${target}`);
    }
  }
  return items.length ? items.join(', ') : 'no dependencies';
}
