// The gateway's tool list, built from what the registry says (healthy providers per capability) and what the
// providers list themselves (title, description, schemas). Pure: the same mesh always gives the same catalog (apart
// from each tool's fresh selection state, which spreads its calls over its equally good providers).
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import { resolveDependency, standings, type ProviderCandidate } from '../core/resolver.js';
import { SelectionState, sharingCount, weightOf } from '../core/selection.js';
import type { CapabilityView } from '../core/wire.js';
import { capabilityMatcher, type GatewayFilter } from './filter.js';
import { assignToolNames } from './tool-names.js';

/** One exposed tool: a capability under its gateway name, with its providers ranked as the resolver ranks them. */
export interface GatewayTool {
  name: string;
  capability: string;
  /** Best first; calls are spread over the first `sharing` (equally good) and fail over along the rest. */
  providers: ProviderCandidate[];
  /** How many leading providers are equally good (same tag score and version): they share the calls. */
  sharing: number;
  /** Per provider, its calls under way through this gateway and its weight (what selection reads). */
  load: { inFlight: number; weight: number }[];
  /** Where round-robin among equals resumes (core/selection.ts). */
  selection: SelectionState;
  /** As tools/list shows it (the provider's own definition, under the gateway's name). */
  definition: Tool;
}

export interface Catalog {
  tools: Map<string, GatewayTool>;
  /** Changes exactly when what tools/list answers changes. */
  signature: string;
}

/** A provider's own tool definitions, by agent id, then tool name (from its tools/list); absent until fetched. */
export type ToolDefinitions = (agentId: string) => ReadonlyMap<string, Tool> | undefined;

export const EMPTY_CATALOG: Catalog = { tools: new Map(), signature: '[]' };

export function buildCatalog(providers: readonly CapabilityView[], filter: GatewayFilter, definitions: ToolDefinitions): Catalog {
  const admits = capabilityMatcher(filter);
  const byCapability = new Map<string, ProviderCandidate[]>();
  const descriptions = new Map<string, string>();
  for (const p of providers) {
    if (!p.available || !admits(p.name)) continue;
    const candidate: ProviderCandidate = {
      agent_id: p.agent_id,
      agent_name: p.agent_name,
      function_name: p.function_name,
      capability: p.name,
      version: p.version,
      tags: p.tags,
      endpoint: p.endpoint,
      ...(p.kwargs ? { kwargs: p.kwargs } : {}),
    };
    byCapability.set(p.name, [...(byCapability.get(p.name) ?? []), candidate]);
    descriptions.set(`${p.agent_id}\u0000${p.function_name}`, p.description);
  }

  const ranked = new Map<string, ProviderCandidate[]>();
  for (const [capability, candidates] of byCapability) {
    const order = resolveDependency({ capability, tags: filter.tags }, candidates).ranked;
    if (order.length) ranked.set(capability, order);
  }
  const names = assignToolNames(
    [...ranked].map(([capability, order]) => ({ capability, toolNames: [...new Set(order.map((c) => c.function_name))] })),
  );

  const tools = new Map<string, GatewayTool>();
  for (const [capability, order] of [...ranked].sort(([a], [b]) => (names.get(a)! < names.get(b)! ? -1 : 1))) {
    const name = names.get(capability)!;
    const own = order.map((c) => definitions(c.agent_id)?.get(c.function_name)).find((d) => d !== undefined);
    const top = order[0]!;
    const definition: Tool = own
      ? { ...own, name }
      : { name, description: descriptions.get(`${top.agent_id}\u0000${top.function_name}`) || undefined, inputSchema: { type: 'object' } };
    const sharing = sharingCount(standings({ capability, tags: filter.tags }, order).map((rank) => ({ rank })));
    const load = order.map((c) => ({ inFlight: 0, weight: weightOf(c.kwargs) }));
    tools.set(name, { name, capability, providers: order, sharing, load, selection: new SelectionState(), definition });
  }
  return { tools, signature: JSON.stringify([...tools.values()].map((t) => t.definition)) };
}
