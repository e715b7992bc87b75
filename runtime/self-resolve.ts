// Self-dependencies without a registry: the registry's own resolver, run over this agent's tools as the only
// candidates, so that a standalone (or not yet registered) agent still wires the capabilities it provides itself.
import { MAX_ALTERNATIVES } from '../core/ranking.js';
import {
  parseDependencySpec,
  resolveDependency,
  standings,
  toAlternative,
  toResolved,
  unresolvedEntry,
  type ProviderCandidate,
} from '../core/resolver.js';
import type { DependenciesResolved, DependencyAlternatives, HeartbeatRequest, Topology } from '../core/wire.js';

/**
 * What the registry would answer this agent if it were alone in the mesh, from the registration it would send
 * and the endpoint it serves at; undefined when none of its dependencies is a capability of its own.
 */
export function selfTopology(registration: HeartbeatRequest, endpoint: string): Topology | undefined {
  const tools = registration.tools ?? [];
  const candidates: ProviderCandidate[] = [];
  for (const tool of tools) {
    if (tool.capability === undefined) continue;
    candidates.push({
      agent_id: registration.agent_id,
      agent_name: registration.name ?? registration.agent_id,
      function_name: tool.function_name,
      capability: tool.capability,
      // As the registry stores a tool registered without a version.
      version: tool.version ?? '1.0.0',
      tags: tool.tags ?? [],
      endpoint,
      ...(tool.kwargs && Object.keys(tool.kwargs).length > 0 ? { kwargs: tool.kwargs } : {}),
    });
  }
  const resolved: DependenciesResolved = {};
  const alternatives: DependencyAlternatives = {};
  let wired = 0;
  for (const tool of tools) {
    const specs = (tool.dependencies ?? []).map(parseDependencySpec);
    if (specs.length === 0) continue;
    // As the registry builds them (resolution-index.ts), so that both give the same topology hash.
    const tops = specs.map((spec) => resolveDependency(spec, candidates).ranked.slice(0, MAX_ALTERNATIVES));
    const ranked = tops.map((top, i) => {
      const ranks = standings(specs[i]!, top);
      return top.map((candidate, j) => toAlternative(candidate, ranks[j]!));
    });
    resolved[tool.function_name] = tops.map((top, i) => (top[0] ? toResolved(top[0]) : unresolvedEntry(specs[i]!.capability)));
    alternatives[tool.function_name] = ranked;
    wired += ranked.filter((list) => list.length > 0).length;
  }
  return wired > 0 ? { resolved, alternatives } : undefined;
}
