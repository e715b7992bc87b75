// One agent as the store keeps it: the entry (its saved AgentState plus what views and resolution read) and its
// tools, which are also its resolution candidates. Per agent only a few hundred bytes per tool are kept, not the
// registration as sent (the storage holds that): 10 000 agents × 10 tools, so every field counts.
import { createHash } from 'node:crypto';
import { parseDependencySpec, type DependencySpec, type ProviderCandidate } from '../../core/resolver.js';
import type { Ranking } from '../../core/ranking.js';
import type { AgentStatus, DependencySpecInput, HeartbeatRequest } from '../../core/wire.js';
import type { AgentState } from '../storage/index.js';
import { InternTable } from './intern.js';

/**
 * One tool of an agent. It is also the tool's resolution candidate (a ProviderCandidate when it has a
 * capability): rankings and indexes hold these, never copies. The agent's id, name and endpoint are read
 * through it. Most tools declare no dependencies and no options: they get this class, whose `specs`, `ranked`
 * and `kwargs` are the shared defaults on its prototype; the others are a ConsumingTool, which holds its own
 * (three fields less on 100 000 tools).
 */
export class ToolEntry {
  constructor(
    readonly agent: AgentEntry,
    readonly function_name: string,
    readonly capability: string | undefined,
    /** MCP Mesh stores a tool without a version as 1.0.0, and resolves it as such. */
    readonly version: string,
    readonly tags: string[],
    readonly description: string,
  ) {}

  get agent_id(): string {
    return this.agent.id;
  }

  get agent_name(): string {
    return this.agent.name;
  }

  get endpoint(): string {
    return this.agent.endpoint;
  }
}

export interface ToolEntry {
  readonly specs: readonly DependencySpec[];
  /** Per spec: the shared ranking of its providers. */
  ranked: readonly SharedRanking[];
  /** MCP Mesh's tool options as sent (mostly none): handed to consumers, `weight` read by their spreading. */
  readonly kwargs: Record<string, unknown> | undefined;
}

/** A tool with dependencies or options: the same entry, with its own specs, rankings and options. */
class ConsumingTool extends ToolEntry {
  override ranked: readonly SharedRanking[] = NO_RANKINGS;

  constructor(
    agent: AgentEntry,
    function_name: string,
    capability: string | undefined,
    version: string,
    tags: string[],
    description: string,
    override readonly specs: readonly DependencySpec[],
    override readonly kwargs: Record<string, unknown> | undefined,
  ) {
    super(agent, function_name, capability, version, tags, description);
  }
}

export type ProvidingTool = ToolEntry & ProviderCandidate;

/** One distinct dependency spec of a capability and its ranking, shared by every consumer that declares it. */
export interface SharedRanking {
  spec: DependencySpec;
  ranking: Ranking;
  /**
   * Consumers declaring this spec, once per declaration (two tools of one agent may), in the order they came.
   * An array, not a Map of counts: a Map costs ~50 bytes per member against ~10.
   */
  users: AgentEntry[];
}

/**
 * The registration fields views show, as sent (absent ones left out): the same for every replica of a service,
 * so one frozen object is shared between equal ones. `metadata` (a pid, a pm_id) is the agent's own.
 */
export type AgentInfo = Pick<HeartbeatRequest, 'agent_type' | 'runtime' | 'version' | 'description' | 'namespace' | 'health'>;

/**
 * One agent: its saved state (the AgentState fields, shared with storage) and what views and resolution read.
 * The registration itself is not kept: its digest tells a repeated POST from an update.
 */
export interface AgentEntry extends AgentState {
  readonly id: string;
  readonly name: string;
  readonly endpoint: string;
  readonly info: AgentInfo;
  readonly metadata: HeartbeatRequest['metadata'];
  readonly digest: string;
  /** Set once, right after the entry is made (the tools point back at it). */
  tools: readonly ToolEntry[];
  /** Its own health check said unhealthy in its last POST: invisible to resolution. */
  readonly reportedUnhealthy: boolean;
  /** Restored from storage and not heard from since: shown as `unknown`, still resolvable (grace). */
  restored: boolean;
  /** topologyHash of its current resolution (the resolution itself is built from the rankings when asked). */
  hash: string;
}

/** Shared by every tool without dependencies or rankings (most of them): never mutated. */
const NO_SPECS: readonly DependencySpec[] = Object.freeze([]);
const NO_RANKINGS: readonly SharedRanking[] = Object.freeze([]);
const NO_TOOLS: readonly ToolEntry[] = Object.freeze([]);
// A plain ToolEntry's dependencies, rankings and options: none, read from the prototype.
Object.defineProperties(ToolEntry.prototype, {
  specs: { value: NO_SPECS, writable: true },
  ranked: { value: NO_RANKINGS, writable: true },
  kwargs: { value: undefined, writable: true },
});

/**
 * Builds agent entries, sharing through one intern table what replicas declare alike: tag lists, dependency
 * specs (their compiled filters are cached per spec object too) and capability lists.
 */
export class EntryBuilder {
  constructor(private readonly shared = new InternTable()) {}

  build(reg: HeartbeatRequest, digest: string, state: AgentState): AgentEntry {
    const id = reg.agent_id;
    // Without a port the agent serves stdio only (MCP Mesh's form).
    const scheme = reg.metadata?.tls === true ? 'https' : 'http';
    const endpoint = flat(reg.http_port ? `${scheme}://${reg.http_host || '127.0.0.1'}:${reg.http_port}` : `stdio://${id}`);
    const { agent_type, runtime, version, description, namespace, health } = reg;
    const info = this.shared.value<AgentInfo>(`info:${JSON.stringify([agent_type, runtime, version, description, namespace, health])}`, () => ({
      agent_type,
      runtime,
      version,
      description,
      namespace,
      health,
    }));
    // Every field written out in one literal (no spread): V8 keeps them all in the object itself.
    const entry: AgentEntry = {
      id,
      name: reg.name ?? id,
      endpoint,
      info,
      metadata: reg.metadata,
      digest,
      tools: NO_TOOLS,
      reportedUnhealthy: reg.health?.status === 'unhealthy',
      status: state.status,
      status_reason: state.status_reason,
      status_changed_at: state.status_changed_at,
      registered: state.registered,
      created_at: state.created_at,
      updated_at: state.updated_at,
      last_seen: state.last_seen,
      posted_hash: state.posted_hash,
      restored: false,
      hash: '',
    };
    entry.tools = (reg.tools ?? []).map((raw) => {
      const tags = this.shared.list('tags', raw.tags) as string[];
      const version = raw.version ?? '1.0.0';
      const description = raw.description ?? '';
      const hasDependencies = raw.dependencies !== undefined && raw.dependencies.length > 0;
      const kwargs = raw.kwargs && Object.keys(raw.kwargs).length > 0 ? raw.kwargs : undefined;
      if (!hasDependencies && kwargs === undefined) return new ToolEntry(entry, raw.function_name, raw.capability, version, tags, description);
      const specs = hasDependencies ? this.specs(raw.dependencies!) : NO_SPECS;
      return new ConsumingTool(entry, raw.function_name, raw.capability, version, tags, description, specs, kwargs);
    });
    return entry;
  }

  /** The capabilities an agent's tools provide, each once, in tool order (shared between equal lists). */
  capabilities(entry: AgentEntry): readonly string[] {
    return this.shared.list('capabilities', capabilityNames(entry));
  }

  /** One shared list per distinct list of dependencies, of one shared spec object per distinct dependency. */
  private specs(dependencies: DependencySpecInput[]): readonly DependencySpec[] {
    return this.shared.value(`specs:${JSON.stringify(dependencies)}`, () => dependencies.map((dependency) => this.spec(dependency)));
  }

  /** One shared spec object per distinct dependency (its `as` alias included). */
  private spec(dependency: DependencySpecInput): DependencySpec {
    return this.shared.value(`spec:${JSON.stringify(dependency)}`, () => parseDependencySpec(dependency));
  }
}

/** Visible to resolution: not unhealthy, and its own health check did not say so either. */
export function eligible(entry: AgentEntry): boolean {
  return entry.status !== 'unhealthy' && !entry.reportedUnhealthy;
}

/** The status views show: restored agents are `unknown` until heard from. */
export function statusOf(entry: AgentEntry): AgentStatus {
  if (entry.status === 'unhealthy' || entry.reportedUnhealthy) return 'unhealthy';
  return entry.restored ? 'unknown' : entry.status;
}

/** The capabilities the agent's tools provide, each once, in tool order (two tools may provide the same one). */
export function capabilityNames(entry: AgentEntry): string[] {
  const names: string[] = [];
  for (const tool of entry.tools) if (tool.capability !== undefined && !names.includes(tool.capability)) names.push(tool.capability);
  return names;
}

/** The agent's tools that provide a capability (its resolution candidates). */
export function providing(entry: AgentEntry): ProvidingTool[] {
  const tools: ProvidingTool[] = [];
  for (const tool of entry.tools) if (tool.capability !== undefined) tools.push(tool as ProvidingTool);
  return tools;
}

/** Tells a repeated registration from a changed one without keeping it. */
export function digestOf(json: string): string {
  return createHash('sha1').update(json).digest('base64');
}

export function healthCheckReason(health: HeartbeatRequest['health']): string {
  return `health check: ${health?.error ?? 'unhealthy'}`;
}

/** A flat copy of a string built by concatenation (a chain of cons cells costs ~3× the text). */
function flat(text: string): string {
  return JSON.parse(JSON.stringify(text)) as string;
}
