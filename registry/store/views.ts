// The wire views of the state: an agent as GET /agents shows it (MCP Mesh's shape plus ours), and the
// providers GET /capabilities finds. Built from the entries and the resolution index when asked.
import Range from 'semver/classes/range.js';
import valid from 'semver/functions/valid.js';
import { compareText } from '../../core/resolver.js';
import type { AgentCapabilityView, AgentView, CapabilityView, DependencyResolutionView } from '../../core/wire.js';
import { eligible, statusOf, type AgentEntry } from './agent.js';
import type { ResolutionIndex } from './resolution-index.js';

export interface CapabilityQuery {
  name?: string;
  tags?: string[];
  version?: string;
}

export function agentView(entry: AgentEntry, index: ResolutionIndex): AgentView {
  const info = entry.info;
  const available = eligible(entry);
  const resolvedViews: DependencyResolutionView[] = [];
  const unresolvedViews: DependencyResolutionView[] = [];
  for (const tool of entry.tools) {
    tool.specs.forEach((spec, i) => {
      const chosen = tool.ranked[i]?.ranking.list[0];
      const view: DependencyResolutionView = { function_name: tool.function_name, capability: spec.capability, status: 'unresolved' };
      const plainTags = spec.tags.filter((tag): tag is string => typeof tag === 'string');
      if (plainTags.length > 0) view.tags = plainTags;
      if (chosen) {
        Object.assign(view, { mcp_tool: chosen.function_name, provider_agent_id: chosen.agent_id, endpoint: chosen.endpoint, status: 'available' });
        resolvedViews.push(view);
      } else unresolvedViews.push(view);
    });
  }
  const total = resolvedViews.length + unresolvedViews.length;
  const capabilities: AgentCapabilityView[] = entry.tools
    .filter((t) => t.capability !== undefined)
    .map((t) => ({
      name: t.capability!,
      function_name: t.function_name,
      version: t.version,
      tags: t.tags,
      description: t.description,
      available,
      ...(available ? {} : { unavailable_reason: 'agent unhealthy' }),
    }));
  return {
    id: entry.id,
    name: entry.name,
    agent_type: info.agent_type ?? 'mcp_agent',
    runtime: info.runtime ?? 'python', // MCP Mesh's default; our runtime sends "typescript"
    status: statusOf(entry),
    endpoint: entry.endpoint,
    version: info.version ?? '',
    description: info.description ?? '',
    created_at: new Date(entry.created_at).toISOString(),
    last_seen: new Date(entry.last_seen).toISOString(),
    capabilities: capabilities.length > 0 ? capabilities : null,
    total_dependencies: total,
    dependencies_resolved: resolvedViews.length,
    dependency_resolutions: total > 0 ? [...resolvedViews, ...unresolvedViews] : null,
    a2a_consumer: false,
    a2a_producer: false,
    llm_tool_resolutions: null,
    llm_provider_resolutions: null,
    namespace: info.namespace ?? 'default',
    updated_at: new Date(entry.updated_at).toISOString(),
    status_reason: entry.status_reason,
    registered: entry.registered,
    metadata: entry.metadata ?? {},
    health: info.health ? { status: info.health.status, ...(info.health.error !== undefined ? { error: info.health.error } : {}) } : null,
    topology_hash: entry.hash,
    dependency_alternatives: index.resolution(entry).alternatives,
  };
}

/** The providers matching a GET /capabilities query, sorted by capability, agent and function name. */
export function findCapabilities(query: CapabilityQuery, index: ResolutionIndex): CapabilityView[] {
  const range = query.version !== undefined ? new Range(query.version.replace(/\s*,\s*/g, ' ')) : null;
  const required = (query.tags ?? []).filter((t) => !t.startsWith('-') && !t.startsWith('+'));
  const excluded = (query.tags ?? []).filter((t) => t.startsWith('-')).map((t) => t.slice(1));
  const sources = query.name !== undefined ? [[query.name, index.providersOf(query.name) ?? []] as const] : [...index.allProviders()];
  const found: CapabilityView[] = [];
  for (const [capability, agents] of sources) {
    for (const entry of agents) {
      for (const tool of entry.tools) {
        if (tool.capability !== capability) continue;
        if (!required.every((t) => tool.tags.includes(t)) || excluded.some((t) => tool.tags.includes(t))) continue;
        if (range && !(valid(tool.version) && range.test(tool.version))) continue;
        found.push({
          name: capability,
          function_name: tool.function_name,
          version: tool.version,
          tags: tool.tags,
          description: tool.description,
          agent_id: entry.id,
          agent_name: entry.name,
          endpoint: entry.endpoint,
          status: statusOf(entry),
          available: eligible(entry),
          ...(tool.kwargs ? { kwargs: tool.kwargs } : {}),
        });
      }
    }
  }
  return found.sort((a, b) => compareText(a.name, b.name) || compareText(a.agent_id, b.agent_id) || compareText(a.function_name, b.function_name));
}
