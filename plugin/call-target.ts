// Which tool `pm2-mesh call <name>` means, as meshctl looks it up: a tool name first, then a capability, then
// `agent/tool`; when nothing fits, the near matches. Pure: it reads the registry's GET /capabilities list.
import type { CapabilityView } from '../core/wire.js';

export interface CallTarget {
  agent_id: string;
  endpoint: string;
  tool: string;
  /** The capability of the tool called (by tool name or capability). */
  capability?: string;
}

export interface TargetFilter {
  /** Only this provider: an agent id or name. */
  agent?: string;
}

export type TargetChoice =
  /** The healthy providers of what the name means; the caller ranks them (tags, version) and picks one. */
  { ok: true; matchedBy: 'tool' | 'capability'; providers: CapabilityView[] } | { ok: false; reason: 'unhealthy' | 'unknown'; message: string };

/** `agent/tool`: the agent part is looked up by the caller (id or name); undefined for the other forms. */
export function splitAgentTool(target: string): { agent: string; tool: string } | undefined {
  const slash = target.indexOf('/');
  return slash > 0 && slash < target.length - 1 ? { agent: target.slice(0, slash), tool: target.slice(slash + 1) } : undefined;
}

/** The healthy (or restored, still resolvable) providers: by tool name, else by capability. */
export function chooseTarget(name: string, providers: readonly CapabilityView[], filter: TargetFilter): TargetChoice {
  const wanted = (p: CapabilityView) => !filter.agent || p.agent_id === filter.agent || p.agent_name === filter.agent;
  for (const matchedBy of ['tool', 'capability'] as const) {
    const named = providers.filter((p) => (matchedBy === 'tool' ? p.function_name : p.name) === name);
    if (!named.length) continue;
    const live = named.filter((p) => p.status !== 'unhealthy' && wanted(p));
    if (live.length) return { ok: true, matchedBy, providers: live };
    return {
      ok: false,
      reason: 'unhealthy',
      message: `no healthy provider of ${matchedBy} "${name}"${filter.agent ? ` with agent ${filter.agent}` : ''} (${named.length} known: ${describe(named)}; see pm2-mesh list --all)`,
    };
  }
  const near = nearMatches(name, providers);
  return {
    ok: false,
    reason: 'unknown',
    message: `no tool, capability or agent/tool named "${name}"${near.length ? `; did you mean ${near.join(', ')}?` : ' (see pm2-mesh caps)'}`,
  };
}

function describe(providers: readonly CapabilityView[]): string {
  return (
    providers
      .slice(0, 3)
      .map((p) => `${p.agent_id} ${p.status}`)
      .join(', ') + (providers.length > 3 ? ', …' : '')
  );
}

/** Up to 5 names close to `name` (edit distance, or one containing the other), each with what it is. */
export function nearMatches(name: string, providers: readonly CapabilityView[]): string[] {
  const candidates = new Map<string, string>();
  for (const p of providers) {
    candidates.set(p.function_name, candidates.get(p.function_name) ?? `${p.function_name} (tool of ${p.agent_name})`);
    if (p.name !== p.function_name) candidates.set(p.name, candidates.get(p.name) ?? `${p.name} (capability)`);
  }
  const wanted = name.toLowerCase();
  const limit = Math.max(2, Math.floor(wanted.length / 3));
  return [...candidates]
    .map(([candidate, label]) => {
      const lower = candidate.toLowerCase();
      const distance = lower.includes(wanted) || wanted.includes(lower) ? 1 : editDistance(wanted, lower);
      return { label, distance, candidate };
    })
    .filter((c) => c.distance <= limit)
    .sort((a, b) => a.distance - b.distance || a.candidate.localeCompare(b.candidate))
    .slice(0, 5)
    .map((c) => c.label);
}

/** Levenshtein distance, two rows. */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}
