// Which tool `pm2-mesh call <name>` means, as meshctl looks it up: a tool name first, then a capability, then
// `agent/tool`; when nothing fits, the near matches. Pure: it reads the registry's GET /capabilities list.
import { nearNames } from '../core/near-names.js';
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

/** Up to 5 names close to `name` (core/near-names.ts), each with what it is. */
export function nearMatches(name: string, providers: readonly CapabilityView[]): string[] {
  const labels = new Map<string, string>();
  for (const p of providers) {
    if (!labels.has(p.function_name)) labels.set(p.function_name, `${p.function_name} (tool of ${p.agent_name})`);
    if (p.name !== p.function_name && !labels.has(p.name)) labels.set(p.name, `${p.name} (capability)`);
  }
  return nearNames(name, labels.keys(), 5).map((candidate) => labels.get(candidate)!);
}
