// pm2-mesh deps <agent>: how the agent's declared dependencies are wired right now (and the fallbacks).
import type { Command } from '../args.js';
import { findAgent, jsonOption, registryClient, registryOptions } from '../connection.js';
import { paintStatus } from '../../core/text/colour.js';
import { printJson } from '../output.js';
import { agentCycles, type DependencyCycle } from '../../core/cycles.js';
import { renderTable } from '../../core/text/table.js';
import type { AgentView, DependencyResolutionView } from '../../core/wire.js';

export function filterLabel(dependency: DependencyResolutionView): string {
  const tags = (dependency.tags ?? []).map((tag) => (Array.isArray(tag) ? `(${tag.join('|')})` : tag));
  return tags.join(' ') || '-';
}

/** Healthy fallbacks per dependency, in the order of `dependency_resolutions` (per tool, by position). */
export function fallbackCounts(agent: AgentView): number[] {
  const seen = new Map<string, number>();
  return (agent.dependency_resolutions ?? []).map((dependency) => {
    const position = seen.get(dependency.function_name) ?? 0;
    seen.set(dependency.function_name, position + 1);
    const ranked = agent.dependency_alternatives?.[dependency.function_name]?.[position] ?? [];
    return Math.max(0, ranked.length - 1);
  });
}

/** One line per dependency cycle through the agent (the registry's wiring, agent → provider). */
export function renderCycles(cycles: readonly DependencyCycle[]): string {
  return cycles.map((cycle) => `cycle: ${cycle.path.join(' → ')} (a call around it may loop)\n`).join('');
}

export function renderDependencies(agent: AgentView, cycles: readonly DependencyCycle[] = []): string {
  const dependencies = agent.dependency_resolutions ?? [];
  if (!dependencies.length) return `${agent.name} (${agent.id}) declares no dependencies\n`;
  const fallbacks = fallbackCounts(agent);
  const rows = dependencies.map((dependency, i) => [
    dependency.function_name,
    dependency.capability,
    filterLabel(dependency),
    dependency.status,
    dependency.provider_agent_id || '-',
    dependency.mcp_tool || '-',
    dependency.endpoint || '-',
    String(fallbacks[i]),
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
    "Show how an agent's dependencies are resolved: the chosen provider of each, how many healthy fallbacks exist, and any dependency cycle through it.",
  details: ['<agent> is an agent id, or a name when one healthy agent has it.'],
  options: { ...registryOptions, ...jsonOption },
  positionals: { min: 1, max: 1 },
  async run({ values, positionals }) {
    const client = registryClient(values);
    const agent = await findAgent(client, positionals[0]!);
    // Cycles need the whole wiring: one GET /agents, only when the agent is wired to someone.
    const wired = (agent.dependency_resolutions ?? []).some((d) => d.provider_agent_id && d.provider_agent_id !== agent.id);
    const cycles = wired ? agentCycles((await client.agents()).agents).filter((cycle) => cycle.nodes.includes(agent.id)) : [];
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
      });
      return 0;
    }
    process.stdout.write(renderDependencies(agent, cycles));
    return 0;
  },
};
