// pm2-mesh deps <agent>: how the agent's declared dependencies are wired right now (and the fallbacks).
import { tlsFetchFor } from './call.js';
import type { Command } from '../args.js';
import { findAgent, jsonOption, registryClient, registryOptions } from '../connection.js';
import { paintStatus } from '../../core/text/colour.js';
import { printJson } from '../output.js';
import { agentCycles, type DependencyCycle } from '../../core/cycles.js';
import { renderTable } from '../../core/text/table.js';
import { fetchAgentCalls, shareRows } from '../../core/agent-calls.js';
import { sharingCount } from '../../core/selection.js';
import type { AgentCallsResponse, AgentView, DependencyResolutionView } from '../../core/wire.js';

export function filterLabel(dependency: DependencyResolutionView): string {
  const tags = (dependency.tags ?? []).map((tag) => (Array.isArray(tag) ? `(${tag.join('|')})` : tag));
  return tags.join(' ') || '-';
}

/** Per dependency, in the order of `dependency_resolutions` (per tool, by position): how many healthy providers share
 * its calls (equally good: same rank), and how many more are failover only. */
export function providerCounts(agent: AgentView): { sharing: number; fallbacks: number }[] {
  const seen = new Map<string, number>();
  return (agent.dependency_resolutions ?? []).map((dependency) => {
    const position = seen.get(dependency.function_name) ?? 0;
    seen.set(dependency.function_name, position + 1);
    const ranked = agent.dependency_alternatives?.[dependency.function_name]?.[position] ?? [];
    const sharing = dependency.status === 'available' ? Math.max(1, sharingCount(ranked)) : 0;
    return { sharing, fallbacks: Math.max(0, ranked.length - Math.max(sharing, 1)) };
  });
}

/** Healthy fallbacks per dependency (providers that are not sharing its calls). */
export function fallbackCounts(agent: AgentView): number[] {
  return providerCounts(agent).map((c) => c.fallbacks);
}

/** Per dependency and provider: who shares the calls, who is failover, and the share of calls each answered. */
export function renderShares(calls: AgentCallsResponse): string {
  const rows = shareRows(calls);
  if (!rows.length) return '';
  return (
    '\n' +
    renderTable(
      [
        { header: 'DEPENDENCY' },
        { header: 'STRATEGY' },
        { header: 'PROVIDER' },
        { header: 'ROLE' },
        { header: 'CALLS', align: 'right' },
        { header: 'SHARE', align: 'right' },
        { header: 'LATENCY', align: 'right' },
        { header: 'IN FLIGHT', align: 'right' },
        { header: 'WEIGHT', align: 'right' },
      ],
      rows.map((r) => [r.dependency, r.strategy, r.provider, r.role, r.calls, r.share, r.latency, r.inFlight, r.weight]),
    )
  );
}

/** One line per dependency cycle through the agent (the registry's wiring, agent → provider). */
export function renderCycles(cycles: readonly DependencyCycle[]): string {
  return cycles.map((cycle) => `cycle: ${cycle.path.join(' → ')} (a call around it may loop)\n`).join('');
}

export function renderDependencies(agent: AgentView, cycles: readonly DependencyCycle[] = []): string {
  const dependencies = agent.dependency_resolutions ?? [];
  if (!dependencies.length) return `${agent.name} (${agent.id}) declares no dependencies\n`;
  const counts = providerCounts(agent);
  const rows = dependencies.map((dependency, i) => [
    dependency.function_name,
    dependency.capability,
    filterLabel(dependency),
    dependency.status,
    dependency.provider_agent_id || '-',
    dependency.mcp_tool || '-',
    dependency.endpoint || '-',
    String(counts[i]!.sharing),
    String(counts[i]!.fallbacks),
  ]);
  return (
    renderTable(
      [
        { header: 'TOOL' },
        { header: 'NEEDS' },
        { header: 'TAGS' },
        { header: 'STATUS', style: paintStatus },
        { header: 'PROVIDER' },
        { header: 'VIA TOOL' },
        { header: 'ENDPOINT' },
        { header: 'SHARED BY', align: 'right' },
        { header: 'FALLBACKS', align: 'right' },
      ],
      rows,
    ) + renderCycles(cycles)
  );
}

export const deps: Command = {
  name: 'deps',
  args: '<agent>',
  summary:
    "Show how an agent's dependencies are resolved: the chosen provider of each, how many equal providers share its calls and their share, how many healthy fallbacks exist, and any dependency cycle through it.",
  details: [
    '<agent> is an agent id, or a name when one healthy agent has it.',
    'The shares of calls come from the agent itself (GET <endpoint>/calls); when it cannot be reached the wiring is shown without them.',
  ],
  options: { ...registryOptions, ...jsonOption },
  positionals: { min: 1, max: 1 },
  async run({ values, positionals }) {
    const client = registryClient(values);
    const agent = await findAgent(client, positionals[0]!);
    // Cycles need the whole wiring: one GET /agents, only when the agent is wired to someone.
    const wired = (agent.dependency_resolutions ?? []).some((d) => d.provider_agent_id && d.provider_agent_id !== agent.id);
    const cycles = wired ? agentCycles((await client.agents()).agents).filter((cycle) => cycle.nodes.includes(agent.id)) : [];
    let calls: AgentCallsResponse | null = null;
    let callsError: string | undefined;
    if (agent.dependency_resolutions?.length && agent.status !== 'unhealthy') {
      const { fetch: fetchImpl } = tlsFetchFor(agent.endpoint);
      calls = await fetchAgentCalls(agent.endpoint, fetchImpl ? { fetchImpl } : {}).catch((error: Error) => ((callsError = error.message), null));
    }
    if (values.json) {
      printJson({
        agent_id: agent.id,
        name: agent.name,
        total_dependencies: agent.total_dependencies,
        dependencies_resolved: agent.dependencies_resolved,
        topology_hash: agent.topology_hash,
        dependency_resolutions: agent.dependency_resolutions ?? [],
        dependency_alternatives: agent.dependency_alternatives ?? {},
        cycles: cycles.map((cycle) => cycle.path),
        calls,
      });
      return 0;
    }
    process.stdout.write(renderDependencies(agent, cycles));
    if (calls) process.stdout.write(renderShares(calls));
    else if (callsError) process.stdout.write(`\nshares of calls: not available (${callsError})\n`);
    return 0;
  },
};
