// What the dashboard knows about the registry, decoded leniently from its JSON answers.
// Lenient on purpose: the dashboard must also show MCP Mesh's own registry, which lacks our extra fields.
import { sharingCount } from '../core/selection.js';
import type { RegistryEvent } from '../core/wire.js';

export interface AgentCapability {
  name: string;
  functionName: string;
  version: string;
  tags: string[];
  description: string;
}

/** One declared dependency of one tool and, when resolved, the provider it was given. */
export interface DependencyWiring {
  functionName: string;
  capability: string;
  tags: string[];
  version: string;
  /** Empty when unresolved. */
  providerAgentId: string;
  providerTool: string;
  endpoint: string;
  resolved: boolean;
  /** Agent ids of the equally good providers that share its calls (the registry's ranks); one or none otherwise. */
  sharedBy: string[];
}

export interface Pm2Info {
  pmId?: number;
  name?: string;
  pid?: number;
  /** pm_ids of a cluster app's workers, when several serve the agent. */
  workers?: number[];
}

export interface DashboardAgent {
  id: string;
  name: string;
  /** healthy | unhealthy | unknown (any other string is shown as is). */
  status: string;
  statusReason: string;
  endpoint: string;
  version: string;
  namespace: string;
  createdAt: string;
  /** Epoch ms of the last heartbeat, null when the registry did not say. */
  lastSeen: number | null;
  capabilities: AgentCapability[];
  totalDependencies: number;
  dependenciesResolved: number;
  wiring: DependencyWiring[];
  pm2: Pm2Info | null;
}

export interface StatusCounts {
  healthy: number;
  unhealthy: number;
  unknown: number;
  total: number;
}

export interface RegistryHealth {
  status: string;
  version: string;
  uptimeSeconds: number | null;
  counts: StatusCounts | null;
  capabilities: number | null;
}

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '');
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
/** Tags may hold OR groups (nested arrays); shown flattened as a|b. */
const tagList = (v: unknown): string[] =>
  list(v)
    .map((t) => (Array.isArray(t) ? t.map(str).join('|') : str(t)))
    .filter((t) => t !== '');

function decodeTime(v: unknown): number | null {
  if (typeof v !== 'string' || v === '') return null;
  const ms = Date.parse(v);
  return Number.isNaN(ms) ? null : ms;
}

function decodeCapability(v: unknown): AgentCapability | null {
  if (!isObject(v)) return null;
  return {
    name: str(v.name ?? v.capability),
    functionName: str(v.function_name),
    version: str(v.version),
    tags: tagList(v.tags),
    description: str(v.description),
  };
}

function decodeWiring(v: unknown): DependencyWiring | null {
  if (!isObject(v)) return null;
  const providerAgentId = str(v.provider_agent_id ?? v.agent_id);
  return {
    functionName: str(v.function_name),
    capability: str(v.capability),
    tags: tagList(v.tags),
    version: str(v.version),
    providerAgentId,
    providerTool: str(v.mcp_tool),
    endpoint: str(v.endpoint),
    resolved: v.status === 'available' && providerAgentId !== '',
    sharedBy: [],
  };
}

function decodePm2(v: unknown, workers: unknown): Pm2Info | null {
  if (!isObject(v)) return null;
  // pm2_id is the spelling of ARCHITECTURE.md's example payload; pm_id the brief's.
  const info: Pm2Info = { pmId: num(v.pm_id) ?? num(v.pm2_id), name: str(v.pm2_name) || undefined, pid: num(v.pid) };
  // A cluster app's workers (one agent, several processes): shown as name#1,2.
  const pmIds = list(workers)
    .map((w) => (isObject(w) ? num(w.pm_id) : undefined))
    .filter((id): id is number => id !== undefined);
  if (pmIds.length > 1) info.workers = pmIds;
  return info.pmId === undefined && info.name === undefined && info.pid === undefined ? null : info;
}

export function decodeAgent(v: unknown): DashboardAgent | null {
  if (!isObject(v)) return null;
  const id = str(v.id ?? v.agent_id);
  if (id === '') return null;
  const wiring = list(v.dependency_resolutions)
    .map(decodeWiring)
    .filter((w): w is DependencyWiring => w !== null);
  addSharing(wiring, isObject(v.dependency_alternatives) ? v.dependency_alternatives : {});
  return {
    id,
    name: str(v.name) || id,
    status: str(v.status) || 'unknown',
    statusReason: str(v.status_reason),
    endpoint: str(v.endpoint),
    version: str(v.version),
    namespace: str(v.namespace),
    createdAt: str(v.created_at),
    lastSeen: decodeTime(v.last_seen),
    capabilities: list(v.capabilities)
      .map(decodeCapability)
      .filter((c): c is AgentCapability => c !== null),
    totalDependencies: num(v.total_dependencies) ?? wiring.length,
    dependenciesResolved: num(v.dependencies_resolved) ?? wiring.filter((w) => w.resolved).length,
    wiring,
    pm2: decodePm2(v.metadata, v.workers),
  };
}

/** Who shares each resolved dependency: the leading providers of its ranked alternatives with the same rank. */
function addSharing(wiring: DependencyWiring[], alternatives: Json): void {
  const seen = new Map<string, number>();
  for (const w of wiring) {
    const position = seen.get(w.functionName) ?? 0;
    seen.set(w.functionName, position + 1);
    if (!w.resolved) continue;
    const ranked = list(list(alternatives[w.functionName])[position]).filter(isObject);
    const count = sharingCount(ranked.map((e) => ({ rank: num(e.rank) })));
    w.sharedBy = count > 1 ? ranked.slice(0, count).map((e) => str(e.agent_id)) : [w.providerAgentId];
  }
}

/** GET /agents → agents sorted by name then id, so rows do not jump between refreshes. */
export function decodeAgents(body: unknown): DashboardAgent[] {
  const raw = isObject(body) ? body.agents : body;
  return list(raw)
    .map(decodeAgent)
    .filter((a): a is DashboardAgent => a !== null)
    .sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id));
}

export function decodeHealth(body: unknown): RegistryHealth {
  const v = isObject(body) ? body : {};
  const a = isObject(v.agents) ? v.agents : null;
  const counts: StatusCounts | null = a
    ? { healthy: num(a.healthy) ?? 0, unhealthy: num(a.unhealthy) ?? 0, unknown: num(a.unknown) ?? 0, total: num(a.total) ?? 0 }
    : null;
  return {
    status: str(v.status) || 'unknown',
    version: str(v.version),
    uptimeSeconds: num(v.uptime_seconds) ?? null,
    counts,
    capabilities: num(v.capabilities) ?? null,
  };
}

const EVENT_TYPES = new Set(['register', 'unregister', 'unhealthy', 'healthy', 'update', 'expired', 'refused']);

/** One event from GET /events or the SSE stream; null when it is not one. */
export function decodeEvent(v: unknown): RegistryEvent | null {
  if (!isObject(v)) return null;
  const type = str(v.event_type);
  return {
    id: num(v.id) ?? Number(str(v.id) || NaN),
    agent_id: str(v.agent_id),
    agent_name: str(v.agent_name),
    // Unknown types are kept (shown as is) rather than dropped: a newer registry may add some.
    event_type: (EVENT_TYPES.has(type) ? type : type || 'update') as RegistryEvent['event_type'],
    timestamp: str(v.timestamp),
    data: isObject(v.data) ? v.data : {},
  };
}

/** GET /events → events in ascending id order (the registry answers newest first without `since`). */
export function decodeEvents(body: unknown): RegistryEvent[] {
  const raw = isObject(body) ? body.events : body;
  return list(raw)
    .map(decodeEvent)
    .filter((e): e is RegistryEvent => e !== null)
    .sort((a, b) => (Number.isFinite(a.id) && Number.isFinite(b.id) ? a.id - b.id : Date.parse(a.timestamp) - Date.parse(b.timestamp)));
}

/** Counts by status from the agents themselves, for registries whose /health has no counts. */
export function countStatuses(agents: readonly DashboardAgent[]): StatusCounts {
  const counts: StatusCounts = { healthy: 0, unhealthy: 0, unknown: 0, total: agents.length };
  for (const a of agents) {
    if (a.status === 'healthy') counts.healthy++;
    else if (a.status === 'unhealthy') counts.unhealthy++;
    else counts.unknown++;
  }
  return counts;
}
