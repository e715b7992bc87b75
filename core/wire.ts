// The registry's wire contract: one zod schema per payload, used to validate input and to derive the types.
// Field names are MCP Mesh's (snake_case), so MCP Mesh agents and meshctl interoperate with this registry.
import { z } from 'zod';

/** Agent ids travel in URL paths: keep them to a safe alphabet and length. */
import { AGENT_ID_PATTERN } from './agent-id.js';

export { AGENT_ID_PATTERN };
const agentId = z.string().regex(AGENT_ID_PATTERN, 'must be 1-128 characters of A-Z a-z 0-9 . _ : - starting with a letter or digit');
const shortText = (max: number) => z.string().max(max, `must be at most ${max} characters`);
const capabilityName = z.string().min(1, 'must not be empty').max(256, 'must be at most 256 characters');

/** A tag filter: `tag` required, `+tag` preferred, `-tag` excluded; a nested array is an OR group. */
export const tagFilterSchema = z.array(z.union([shortText(128), z.array(shortText(128)).max(32)])).max(64, 'must hold at most 64 tags');

/** A dependency as declared by a tool: a bare capability name or a full spec. */
export const dependencySpecSchema = z.union([
  capabilityName,
  z
    .object({
      capability: capabilityName,
      tags: tagFilterSchema.optional(),
      /** A semver range the provider's version must satisfy. */
      version: shortText(256).optional(),
      /** The key under which the proxy is injected (default: the capability). */
      as: shortText(128).optional(),
    })
    .loose(),
]);

export const toolSchema = z
  .object({
    function_name: z.string().min(1, 'must not be empty').max(256),
    capability: capabilityName.optional(),
    version: shortText(64).optional(),
    tags: z.array(shortText(128)).max(64).optional(),
    description: shortText(8192).optional(),
    input_schema: z.record(z.string(), z.unknown()).optional(),
    output_schema: z.record(z.string(), z.unknown()).optional(),
    dependencies: z.array(dependencySpecSchema).max(64).optional(),
    /**
     * MCP Mesh's tool options (`@mesh.tool(**kwargs)`), kept as sent and handed to consumers with the provider.
     * Ours reads `weight`: the provider's share of its equals' calls under the `weighted` strategy (default 1).
     */
    kwargs: z
      .object({ weight: z.number().positive('must be a positive number').max(1_000_000, 'must be at most 1000000').optional() })
      .loose()
      .optional(),
  })
  .loose();

export const agentMetadataSchema = z
  .object({
    /** PM2's id of the app this agent runs in (lets the PM2 module mark it unhealthy on exit). */
    pm_id: z.number().int().min(0).optional(),
    /** PM2's name of that app. */
    pm2_name: shortText(256).optional(),
    /** The host that PM2 runs on: with registries on several hosts, each host's module marks only its own agents. */
    pm2_host: shortText(256).optional(),
    pid: z.number().int().min(0).optional(),
    /** The agent serves HTTPS: its endpoint is https://http_host:http_port (ours, additive). */
    tls: z.boolean().optional(),
  })
  .loose();

/** The agent's own health check result, reported in each full heartbeat. */
export const agentHealthSchema = z.object({ status: z.enum(['healthy', 'unhealthy', 'degraded']), error: shortText(4096).optional() }).loose();

/** POST /heartbeat: a full registration. */
export const heartbeatRequestSchema = z
  .object({
    agent_id: agentId,
    name: shortText(256).optional(),
    version: shortText(64).optional(),
    agent_type: shortText(64).optional(),
    runtime: shortText(64).optional(),
    description: shortText(8192).optional(),
    http_host: shortText(256).optional(),
    http_port: z.number().int().min(0).max(65535).optional(),
    namespace: shortText(256).optional(),
    tools: z.array(toolSchema).max(1000, 'must hold at most 1000 tools').optional(),
    metadata: agentMetadataSchema.optional(),
    health: agentHealthSchema.optional(),
  })
  .loose();

export type TagFilter = z.infer<typeof tagFilterSchema>;
export type DependencySpecInput = z.infer<typeof dependencySpecSchema>;
export type ToolRegistration = z.infer<typeof toolSchema>;
export type AgentMetadata = z.infer<typeof agentMetadataSchema>;
export type HeartbeatRequest = z.infer<typeof heartbeatRequestSchema>;

/** One resolved dependency, as MCP Mesh answers it. Unresolved: status "unresolved" and empty strings. */
export interface ResolvedDependency {
  agent_id: string;
  capability: string;
  endpoint: string;
  function_name: string;
  status: 'available' | 'unresolved';
  /** The provider tool's `kwargs` as it registered them (MCP Mesh answers them too); absent when it sent none. */
  kwargs?: Record<string, unknown>;
  // Ours, in dependency_alternatives entries only: what spreading and a consumer's own selection read.
  /** Standing in the ranking, 0 = best: entries of equal rank have the same tag score and version. */
  rank?: number;
  version?: string;
  tags?: string[];
}

/** `dependencies_resolved`: per consumer function_name, one entry per declared dependency, in order. */
export type DependenciesResolved = Record<string, ResolvedDependency[]>;

/**
 * Ours, additive: per consumer function_name and dependency position, the ranked healthy providers
 * (the chosen one first), so the runtime can fail over without asking the registry.
 */
export type DependencyAlternatives = Record<string, ResolvedDependency[][]>;

/** An agent's resolution as its runtime wires it (from POST /heartbeat, the topology long-poll, or itself). */
export interface Topology {
  resolved: DependenciesResolved;
  alternatives?: DependencyAlternatives;
}

/** 200 answer of POST /heartbeat. */
export interface HeartbeatResponse {
  agent_id: string;
  status: 'success';
  message: string;
  timestamp: string;
  llm_tools: Record<string, never>;
  dependencies_resolved: DependenciesResolved;
  dependency_alternatives: DependencyAlternatives;
  /** topologyHash(dependencies_resolved, dependency_alternatives) */
  topology_hash: string;
  /** Accepted but doubtful input, e.g. a dependency whose version range can never match (MCP Mesh has this field too). */
  warnings?: string[];
}

/** 200 answer of GET /agents/:id/topology (the long-poll watch). */
export interface TopologyResponse {
  agent_id: string;
  topology_hash: string;
  dependencies_resolved: DependenciesResolved;
  dependency_alternatives: DependencyAlternatives;
}

export type AgentStatus = 'healthy' | 'unhealthy' | 'unknown';

/** `refused`: a registration the registry turned down (missing or wrong credential, capability outside the policy). */
export type EventType = 'register' | 'unregister' | 'unhealthy' | 'healthy' | 'update' | 'expired' | 'refused';

/** One entry of GET /events and of the SSE stream. */
export interface RegistryEvent {
  id: number;
  agent_id: string;
  agent_name: string;
  event_type: EventType;
  timestamp: string;
  data: Record<string, unknown>;
}

/** Turns a zod failure into the one-line message of a 400: the first issue, naming its field. */
export function describeValidationError(error: z.ZodError): string {
  const issue = mostSpecificIssue(error.issues[0]);
  if (!issue) return 'invalid payload';
  const field = issue.path.length ? issue.path.map(String).join('.') : 'body';
  if (issue.code === 'invalid_type' && issue.input === undefined) return `${field} is required`;
  return `${field}: ${issue.message}`;
}

// ---- Read-side views (GET answers). MCP Mesh's field names first; ours (after "ours") are additive. ----

/** One capability an agent provides, as GET /agents lists it. */
export interface AgentCapabilityView {
  name: string;
  function_name: string;
  version: string;
  tags: string[];
  description: string;
  available: boolean;
  /** Present when not available ("agent unhealthy"), as MCP Mesh answers. */
  unavailable_reason?: string;
}

/** One dependency of an agent and how it resolved, as GET /agents lists it. */
export interface DependencyResolutionView {
  function_name: string;
  capability: string;
  /** The spec's plain tags (OR groups left out, as MCP Mesh does); absent when none. */
  tags?: string[];
  mcp_tool?: string;
  provider_agent_id?: string;
  endpoint?: string;
  status: 'available' | 'unresolved';
}

/** One agent of GET /agents and GET /agents/:id. */
export interface AgentView {
  id: string;
  name: string;
  agent_type: string;
  runtime: string;
  status: AgentStatus;
  endpoint: string;
  version: string;
  description: string;
  created_at: string;
  last_seen: string;
  /** null when the agent has no tools (as MCP Mesh answers). */
  capabilities: AgentCapabilityView[] | null;
  total_dependencies: number;
  /** A count here (MCP Mesh's name), not the map of the heartbeat answer. */
  dependencies_resolved: number;
  /** null when the agent has no dependencies; resolved ones first (as MCP Mesh answers). */
  dependency_resolutions: DependencyResolutionView[] | null;
  a2a_consumer: boolean;
  a2a_producer: boolean;
  llm_tool_resolutions: null;
  llm_provider_resolutions: null;
  // ours
  namespace: string;
  updated_at: string;
  /** Why the status is what it is ("heartbeat timeout", "process exit", "unregistered", "health check: …"). */
  status_reason: string | null;
  /** false once DELETE /agents/:id unregistered it (HEAD then answers 410). */
  registered: boolean;
  metadata: AgentMetadata;
  /** The agent's own health check result from its last full heartbeat. */
  health: { status: 'healthy' | 'unhealthy' | 'degraded'; error?: string } | null;
  topology_hash: string;
  dependency_alternatives: DependencyAlternatives;
  /**
   * The PM2 processes serving the agent, when it runs under PM2: one, or each worker of a cluster-mode app (they
   * share the agent's id and endpoint). Absent for other agents.
   */
  workers?: { pid: number; pm_id: number }[];
}

/** One provider of a dependency in an agent's GET /calls. */
export interface ProviderCallsView {
  agent_id: string;
  function_name: string;
  endpoint: string;
  /** Shares the calls (else failover only). */
  sharing: boolean;
  rank: number;
  weight: number;
  /** Calls it answered, calls that failed to reach it, calls under way. */
  calls: number;
  failures: number;
  in_flight: number;
  /** Moving average of its answer time, ms; null before its first answer. */
  latency_ms: number | null;
  /** Its fraction of the dependency's answered calls (0-1). */
  share: number;
}

/** One dependency of an agent in its GET /calls: how its calls spread. */
export interface DependencyCallsView {
  function_name: string;
  capability: string;
  /** Its key in the handler's deps. */
  key: string;
  /** A selection strategy, or `custom` for the consumer's own selection function. */
  strategy: string;
  /** The consumer's own ranking filter chooses the sharing providers. */
  filter?: boolean;
  calls: number;
  /** In attempt order: the sharing providers first. */
  providers: ProviderCallsView[];
}

/** An agent's GET /calls: the calls its dependency proxies made, per provider, since it started. */
export interface AgentCallsResponse {
  agent_id: string;
  dependencies: DependencyCallsView[];
}

export interface AgentsResponse {
  agents: AgentView[];
  count: number;
  timestamp: string;
}

/** One provider of GET /capabilities. */
export interface CapabilityView {
  name: string;
  function_name: string;
  version: string;
  tags: string[];
  description: string;
  agent_id: string;
  agent_name: string;
  endpoint: string;
  status: AgentStatus;
  available: boolean;
  /** The tool's `kwargs` as registered (its `weight` among them); absent when it sent none. */
  kwargs?: Record<string, unknown>;
}

export interface CapabilitiesResponse {
  capabilities: CapabilityView[];
  count: number;
  timestamp: string;
}

/** GET /events: without `since` newest first; with `since` ascending after it. `next` = the id to pass as `since` next. */
export interface EventsResponse {
  count: number;
  events: RegistryEvent[];
  next: number;
}

export interface HealthResponse {
  service: string;
  status: 'healthy' | 'degraded';
  timestamp: string;
  uptime_seconds: number;
  version: string;
  agents: { healthy: number; unhealthy: number; unknown: number; total: number };
  capabilities: number;
}

/** Every error answer: `{error, timestamp}` (MCP Mesh's shape). */
export interface ErrorResponse {
  error: string;
  timestamp: string;
}

/**
 * A union failure (a dependency is a string or a spec object) says only "Invalid input": report instead the
 * branch that got furthest, e.g. `tools.0.dependencies.0.tags: expected array` for a spec object.
 */
function mostSpecificIssue(issue: z.core.$ZodIssue | undefined): z.core.$ZodIssue | undefined {
  if (!issue || issue.code !== 'invalid_union' || !issue.errors?.length) return issue;
  let best: z.core.$ZodIssue | undefined;
  for (const branch of issue.errors) {
    const candidate = branch[0];
    if (candidate && (!best || candidate.path.length > best.path.length)) best = candidate;
  }
  if (!best || best.path.length === 0) return issue;
  return mostSpecificIssue({ ...best, path: [...issue.path, ...best.path] } as z.core.$ZodIssue);
}
