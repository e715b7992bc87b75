// The registry's state in memory: agents, the capability index, per-agent topology hash, health and the event
// log. Every change goes to a ChangeSink (the journal) as a record; reads never touch SQL. Per agent it keeps only
// what resolution and views read (a few hundred bytes per tool), not the registration as sent.
// Consumers that declare the same dependency (capability, tags, version) share one ranking: a change to a
// capability updates each distinct spec of it once, and rebuilds only the consumers whose answer changed.
import { createHash } from 'node:crypto';
import semver from 'semver';
import { EventLog, type EventQuery } from './event-log.js';
import type { RegistryMetrics } from './metrics.js';
import { unreadable, type AgentState, type RestoredState, type SavedAgent, type Storage } from './storage/index.js';
import {
  MAX_ALTERNATIVES, rankFully, sameTop, shapeKey, candidateKey, updateRanking, type CapabilityDelta, type Ranking,
} from '../core/ranking.js';
import { parseDependencySpec, toResolved, type DependencySpec, type ProviderCandidate } from '../core/resolver.js';
import { topologyHash } from '../core/topology-hash.js';
import type {
  AgentCapabilityView, AgentStatus, AgentView, CapabilityView, DependenciesResolved, DependencyAlternatives, DependencyResolutionView,
  EventsResponse, EventType, HeartbeatRequest, HeartbeatResponse, RegistryEvent, ResolvedDependency,
  TopologyResponse,
} from '../core/wire.js';

export interface StoreOptions {
  timeoutMs: number;
  retentionMs: number;
  maxEvents: number;
  storage: Storage;
  metrics: RegistryMetrics;
  log: (line: string) => void;
  now?: () => number;
  /** Told each registration's deadline (now + timeout), so the health monitor can sweep no later than that. */
  onDeadline?: (deadline: number) => void;
}

/**
 * One tool of an agent. It is also the tool's resolution candidate (a ProviderCandidate when it has a
 * capability): rankings and indexes hold these, never copies. Only what views and resolution read is kept;
 * the agent's id, name and endpoint are read through it (10 000 agents × 10 tools: every field counts).
 */
class ToolEntry {
  /** Per spec: the shared ranking of its providers. */
  ranked: readonly SharedRanking[] = NO_RANKINGS;

  constructor(
    readonly agent: AgentEntry,
    readonly function_name: string,
    readonly capability: string | undefined,
    /** MCP Mesh stores a tool without a version as 1.0.0, and resolves it as such. */
    readonly version: string,
    readonly tags: string[],
    readonly description: string,
    readonly specs: readonly DependencySpec[],
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

type ProvidingTool = ToolEntry & ProviderCandidate;

/** One distinct dependency spec of a capability and its ranking, shared by every consumer that declares it. */
interface SharedRanking {
  spec: DependencySpec;
  ranking: Ranking;
  /** Consumers declaring this spec, with how many times (two tools of one agent may). */
  users: Map<AgentEntry, number>;
}

/** The registration fields views show, as sent (absent ones left out). */
type AgentInfo = Pick<HeartbeatRequest, 'agent_type' | 'runtime' | 'version' | 'description' | 'namespace' | 'metadata' | 'health'>;

/**
 * One agent. The registration itself is not kept (the journal and the data file hold it): its digest tells a
 * repeated POST from an update, and the tools keep what resolution and views read.
 */
interface AgentEntry extends AgentState {
  readonly id: string;
  readonly name: string;
  readonly endpoint: string;
  readonly info: AgentInfo;
  readonly digest: string;
  /** Set once, right after the entry is made (the tools point back at it). */
  tools: readonly ToolEntry[];
  /** Its own health check said unhealthy in its last POST: invisible to resolution. */
  readonly reportedUnhealthy: boolean;
  /** Restored from disk and not heard from since: shown as `unknown`, still resolvable (grace). */
  restored: boolean;
  /** topologyHash of its current resolution (the resolution itself is built from the rankings when asked). */
  hash: string;
}

/** Shared by every tool without tags, dependencies or rankings (most of them): never mutated. */
const NO_TAGS: string[] = Object.freeze([]) as unknown as string[];
const NO_SPECS: readonly DependencySpec[] = Object.freeze([]);
const NO_RANKINGS: readonly SharedRanking[] = Object.freeze([]);
const NO_TOOLS: readonly ToolEntry[] = Object.freeze([]);
/** Distinct tag lists kept for sharing (replicas declare the same tags); past this many, lists are not pooled. */
const MAX_POOLED_TAG_LISTS = 10_000;

export type HeadAnswer = 200 | 202 | 410;

export interface CapabilityQuery {
  name?: string;
  tags?: string[];
  version?: string;
}

export class RegistryStore {
  private readonly agents = new Map<string, AgentEntry>();
  /** capability → agents whose tools provide it (any status). */
  private readonly providers = new Map<string, Set<AgentEntry>>();
  /** capability → its distinct dependency specs (by shape) and their shared rankings. */
  private readonly shapes = new Map<string, Map<string, SharedRanking>>();
  /** capability → healthy candidates, built on demand within one change and dropped after it (not kept per agent). */
  private readonly candidateCache = new Map<string, ProvidingTool[]>();
  /** Capabilities whose healthy providers changed since the last recompute, and how. */
  private readonly changedCaps = new Map<string, CapabilityDelta>();
  private readonly watchers = new Map<string, Set<() => void>>();
  private readonly tagLists = new Map<string, string[]>();
  private readonly log: EventLog;
  private readonly now: () => number;

  constructor(private readonly options: StoreOptions) {
    this.now = options.now ?? Date.now;
    this.log = new EventLog(options.maxEvents);
  }

  // ---- restore ----

  /**
   * Loads the state a storage restored at start (`source` names it in messages). Healthy agents get one
   * `timeout` of grace (last_seen = now) so a restart never flaps.
   */
  restore(state: RestoredState, source: string): void {
    const now = this.now();
    for (const saved of state.agents) {
      let request: HeartbeatRequest;
      try {
        request = JSON.parse(saved.registration) as HeartbeatRequest;
      } catch (error) {
        throw unreadable(source, error as Error);
      }
      // JSON.stringify(JSON.parse(text)) === text for text JSON.stringify wrote: the digest is the one a repeat POST gets.
      const entry = this.buildEntry(request, digestOf(saved.registration), saved);
      if (saved.status !== 'unhealthy') {
        entry.restored = true;
        entry.last_seen = now;
      }
      this.agents.set(entry.id, entry);
      this.index(entry);
    }
    for (const entry of this.agents.values()) this.resolveAll(entry, false);
    this.changedCaps.clear();
    this.candidateCache.clear();
    this.log.restore(state.events, state.nextEventId);
  }

  // ---- heartbeats ----

  /** POST /heartbeat with an already validated payload. */
  register(request: HeartbeatRequest): HeartbeatResponse {
    const now = this.now();
    this.options.metrics.heartbeatPosts++;
    const existing = this.agents.get(request.agent_id);
    const statusBefore = existing ? this.statusOf(existing) : null;
    const wasRegistered = existing?.registered ?? false;
    const json = JSON.stringify(request);
    const digest = digestOf(json);
    const registrationChanged = !existing || existing.digest !== digest;
    const reportedUnhealthy = request.health?.status === 'unhealthy';
    const entry = this.buildEntry(request, digest, {
      status: 'healthy',
      status_reason: reportedUnhealthy ? healthCheckReason(request.health) : null,
      status_changed_at: existing && existing.status === 'healthy' ? existing.status_changed_at : now,
      registered: true,
      created_at: existing?.created_at ?? now,
      updated_at: registrationChanged ? now : existing!.updated_at,
      last_seen: now,
      posted_hash: existing?.posted_hash ?? '',
    });
    if (existing) {
      this.unindex(existing);
      this.noteProviderChanges(existing, entry);
    } else {
      this.noteProviderChanges(null, entry);
    }
    this.agents.set(entry.id, entry);
    this.index(entry);
    this.recomputeChanged();
    this.resolveAll(entry, true);
    this.options.onDeadline?.(now + this.options.timeoutMs);
    const hashChanged = entry.posted_hash !== entry.hash;
    entry.posted_hash = entry.hash;

    const stateChanged = !existing || existing.status !== 'healthy' || !wasRegistered || existing.status_reason !== entry.status_reason;
    if (registrationChanged || stateChanged) this.options.storage.write({ op: 'agent', agent: savedOf(entry, json) });
    else if (hashChanged) this.options.storage.write({ op: 'state', id: entry.id, state: stateOf(entry) });

    const statusAfter = this.statusOf(entry);
    if (!existing || !wasRegistered) {
      this.options.metrics.registrations++;
      this.emit('register', entry, registrationData(entry));
    } else {
      if (registrationChanged) {
        this.options.metrics.updates++;
        this.emit('update', entry, registrationData(entry));
      }
      if (statusBefore !== statusAfter && statusAfter !== 'unknown' && statusBefore !== 'unknown') {
        this.emit(statusAfter, entry, { reason: statusAfter === 'healthy' ? 'heartbeat' : entry.status_reason });
      }
    }
    const { resolved, alternatives } = this.resolution(entry);
    return {
      agent_id: entry.id,
      status: 'success',
      message: existing ? 'Agent updated via heartbeat' : 'Agent registered via heartbeat',
      timestamp: new Date(now).toISOString(),
      llm_tools: {},
      dependencies_resolved: resolved,
      dependency_alternatives: alternatives,
      topology_hash: entry.hash,
    };
  }

  /**
   * HEAD /heartbeat/:id: one Map lookup. 410 unknown, unregistered or unhealthy (as MCP Mesh: the agent POSTs
   * its full state again, which makes it healthy); 202 when its topology changed since its last POST; else 200.
   */
  touch(agentId: string): HeadAnswer {
    const entry = this.agents.get(agentId);
    if (!entry || entry.status === 'unhealthy') return 410;
    entry.last_seen = this.now();
    if (entry.restored) entry.restored = false;
    return entry.hash !== entry.posted_hash ? 202 : 200;
  }

  /** DELETE /agents/:id: kept as unhealthy for audit, consumers re-resolve. false when unknown. */
  unregister(agentId: string): boolean {
    const entry = this.agents.get(agentId);
    if (!entry) return false;
    if (!entry.registered) return true;
    const wasEligible = eligible(entry);
    entry.registered = false;
    entry.status = 'unhealthy';
    entry.status_reason = 'unregistered';
    entry.status_changed_at = this.now();
    entry.restored = false;
    if (wasEligible) this.providerLeft(entry);
    this.options.storage.write({ op: 'state', id: entry.id, state: stateOf(entry) });
    this.options.metrics.unregistrations++;
    this.emit('unregister', entry, {
      agent_type: entry.info.agent_type ?? 'mcp_agent', name: entry.name, version: entry.info.version ?? '',
      reason: 'graceful_shutdown', source: 'delete_endpoint',
    });
    this.recomputeChanged();
    this.notifyWatchers(entry.id);
    return true;
  }

  /** The PM2 module saw the agent's process exit: unhealthy at once. Returns the agent ids it marked. */
  markProcessExited(pmId: number, reason = 'process exit'): string[] {
    const marked: string[] = [];
    for (const entry of this.agents.values()) {
      if (entry.info.metadata?.pm_id !== pmId) continue;
      if (!entry.registered || entry.status === 'unhealthy') continue;
      this.setStatus(entry, 'unhealthy', reason);
      marked.push(entry.id);
    }
    this.recomputeChanged();
    return marked;
  }

  /**
   * The health monitor's pass: time out agents silent for `timeout`, purge long-unhealthy ones, cap the event
   * log. Returns the earliest deadline (last heard + timeout) still ahead, or null when no agent can time out.
   */
  sweep(): number | null {
    const now = this.now();
    const timeoutMs = this.options.timeoutMs;
    let next = Infinity;
    // Deleting the current entry (purge) while iterating a Map is safe: no copy of 10 000 entries per sweep.
    for (const entry of this.agents.values()) {
      if (entry.status !== 'unhealthy') {
        const deadline = entry.last_seen + timeoutMs;
        if (now >= deadline) {
          this.options.metrics.timeouts++;
          this.setStatus(entry, 'unhealthy', 'heartbeat timeout');
        } else if (deadline < next) next = deadline;
      } else if (now - entry.status_changed_at > this.options.retentionMs) {
        this.purge(entry);
      }
    }
    this.recomputeChanged();
    // The journal hears about the cap once per sweep, not per event.
    const below = this.log.takeTrimPoint();
    if (below !== null) this.options.storage.write({ op: 'trim', below });
    return next === Infinity ? null : next;
  }

  // ---- topology ----

  topology(agentId: string): TopologyResponse | null {
    const entry = this.agents.get(agentId);
    if (!entry || !entry.registered) return null;
    const { resolved, alternatives } = this.resolution(entry);
    return { agent_id: entry.id, topology_hash: entry.hash, dependencies_resolved: resolved, dependency_alternatives: alternatives };
  }

  /** Calls `onChange` when the agent's topology hash changes, or it is unregistered or purged. */
  watchTopology(agentId: string, onChange: () => void): () => void {
    let set = this.watchers.get(agentId);
    if (!set) this.watchers.set(agentId, (set = new Set()));
    set.add(onChange);
    return () => {
      const current = this.watchers.get(agentId);
      if (!current) return;
      current.delete(onChange);
      if (current.size === 0) this.watchers.delete(agentId);
    };
  }

  get watcherCount(): number {
    let count = 0;
    for (const set of this.watchers.values()) count += set.size;
    return count;
  }

  // ---- events ----

  subscribe(listener: (event: RegistryEvent) => void): () => void {
    return this.log.subscribe(listener);
  }

  listEvents(query: EventQuery): EventsResponse {
    return this.log.list(query);
  }

  /** Events after `id`, oldest first (SSE resume). */
  eventsAfter(id: number): RegistryEvent[] {
    return this.log.after(id);
  }

  get eventCount(): number {
    return this.log.size;
  }

  // ---- reads ----

  listAgents(filter: { status?: string; capability?: string } = {}): AgentView[] {
    const views: AgentView[] = [];
    const source = filter.capability !== undefined ? this.providers.get(filter.capability) ?? [] : this.agents.values();
    for (const entry of source) {
      if (filter.status !== undefined && this.statusOf(entry) !== filter.status) continue;
      views.push(this.view(entry));
    }
    return views;
  }

  getAgent(agentId: string): AgentView | null {
    const entry = this.agents.get(agentId);
    return entry ? this.view(entry) : null;
  }

  findCapabilities(query: CapabilityQuery): CapabilityView[] {
    const range = query.version !== undefined ? new semver.Range(query.version.replace(/\s*,\s*/g, ' ')) : null;
    const required = (query.tags ?? []).filter((t) => !t.startsWith('-') && !t.startsWith('+'));
    const excluded = (query.tags ?? []).filter((t) => t.startsWith('-')).map((t) => t.slice(1));
    const sources = query.name !== undefined ? [[query.name, this.providers.get(query.name) ?? new Set<AgentEntry>()] as const] : [...this.providers];
    const found: CapabilityView[] = [];
    for (const [capability, agents] of sources) {
      for (const entry of agents) {
        for (const tool of entry.tools) {
          if (tool.capability !== capability) continue;
          if (!required.every((t) => tool.tags.includes(t)) || excluded.some((t) => tool.tags.includes(t))) continue;
          if (range && !(semver.valid(tool.version) && range.test(tool.version))) continue;
          found.push({
            name: capability,
            function_name: tool.function_name,
            version: tool.version,
            tags: tool.tags,
            description: tool.description,
            agent_id: entry.id,
            agent_name: entry.name,
            endpoint: entry.endpoint,
            status: this.statusOf(entry),
            available: eligible(entry),
          });
        }
      }
    }
    return found.sort((a, b) => cmp(a.name, b.name) || cmp(a.agent_id, b.agent_id) || cmp(a.function_name, b.function_name));
  }

  counts(): { healthy: number; unhealthy: number; unknown: number; total: number } {
    const counts = { healthy: 0, unhealthy: 0, unknown: 0, total: 0 };
    for (const entry of this.agents.values()) {
      counts[this.statusOf(entry)]++;
      counts.total++;
    }
    return counts;
  }

  get capabilityCount(): number {
    return this.providers.size;
  }

  // ---- internals ----

  private statusOf(entry: AgentEntry): AgentStatus {
    if (entry.status === 'unhealthy' || entry.reportedUnhealthy) return 'unhealthy';
    return entry.restored ? 'unknown' : entry.status;
  }

  private setStatus(entry: AgentEntry, status: 'healthy' | 'unhealthy', reason: string | null): void {
    const before = this.statusOf(entry);
    const wasEligible = eligible(entry);
    entry.status = status;
    entry.status_reason = status === 'healthy' && entry.reportedUnhealthy ? healthCheckReason(entry.info.health) : reason;
    entry.status_changed_at = this.now();
    entry.restored = false;
    if (wasEligible && !eligible(entry)) this.providerLeft(entry);
    else if (!wasEligible && eligible(entry)) this.providerJoined(entry);
    this.options.storage.write({ op: 'state', id: entry.id, state: stateOf(entry) });
    const after = this.statusOf(entry);
    if (after !== before && after !== 'unknown') {
      this.emit(after, entry, after === 'unhealthy'
        ? { reason, last_seen: new Date(entry.last_seen).toISOString() }
        : { reason: 'heartbeat' });
    }
  }

  private purge(entry: AgentEntry): void {
    this.options.metrics.purges++;
    this.unindex(entry);
    this.agents.delete(entry.id);
    this.options.storage.write({ op: 'purge', id: entry.id });
    this.emit('expired', entry, { reason: 'retention', unhealthy_since: new Date(entry.status_changed_at).toISOString() });
    this.notifyWatchers(entry.id);
  }

  private buildEntry(reg: HeartbeatRequest, digest: string, state: AgentState): AgentEntry {
    const id = reg.agent_id;
    // Without a port the agent serves stdio only (MCP Mesh's form).
    const endpoint = flat(reg.http_port ? `http://${reg.http_host || '127.0.0.1'}:${reg.http_port}` : `stdio://${id}`);
    const info: AgentInfo = {
      agent_type: reg.agent_type, runtime: reg.runtime, version: reg.version, description: reg.description,
      namespace: reg.namespace, metadata: reg.metadata, health: reg.health,
    };
    const entry: AgentEntry = {
      id, name: reg.name ?? id, endpoint, info, digest, tools: NO_TOOLS,
      reportedUnhealthy: reg.health?.status === 'unhealthy',
      restored: false,
      hash: '',
      ...stateOf(state),
    };
    entry.tools = (reg.tools ?? []).map((raw) => new ToolEntry(
      entry, raw.function_name, raw.capability, raw.version ?? '1.0.0', this.pooledTags(raw.tags), raw.description ?? '',
      raw.dependencies && raw.dependencies.length > 0 ? raw.dependencies.map(parseDependencySpec) : NO_SPECS,
    ));
    return entry;
  }

  /** One shared (frozen) array per distinct tag list. */
  private pooledTags(tags: string[] | undefined): string[] {
    if (!tags || tags.length === 0) return NO_TAGS;
    const key = tags.join('\u0000');
    const pooled = this.tagLists.get(key);
    if (pooled) return pooled;
    if (this.tagLists.size >= MAX_POOLED_TAG_LISTS) return tags;
    const list = Object.freeze([...tags]) as string[];
    this.tagLists.set(key, list);
    return list;
  }

  private index(entry: AgentEntry): void {
    for (const tool of entry.tools) if (tool.capability !== undefined) addTo(this.providers, tool.capability, entry);
  }

  /** Removes the agent as a provider and as a user of its shared rankings. */
  private unindex(entry: AgentEntry): void {
    for (const tool of entry.tools) if (tool.capability !== undefined) removeFrom(this.providers, tool.capability, entry);
    for (const tool of entry.tools) {
      for (const shared of tool.ranked) {
        const uses = (shared.users.get(entry) ?? 0) - 1;
        if (uses > 0) {
          shared.users.set(entry, uses);
          continue;
        }
        shared.users.delete(entry);
        if (shared.users.size > 0) continue;
        const byShape = this.shapes.get(shared.spec.capability)!;
        byShape.delete(shapeKey(shared.spec));
        if (byShape.size === 0) this.shapes.delete(shared.spec.capability);
      }
    }
  }

  private delta(capability: string): CapabilityDelta {
    let delta = this.changedCaps.get(capability);
    if (!delta) this.changedCaps.set(capability, (delta = { removed: new Set(), added: [] }));
    return delta;
  }

  /** Records how the healthy candidates differ between an agent's old and new registration. */
  private noteProviderChanges(before: AgentEntry | null, after: AgentEntry): void {
    const oldTools = before && eligible(before) ? providing(before) : [];
    const newTools = eligible(after) ? providing(after) : [];
    const oldByKey = new Map(oldTools.map((c) => [candidateKey(c), c]));
    const newByKey = new Map(newTools.map((c) => [candidateKey(c), c]));
    for (const [key, old] of oldByKey) {
      const now = newByKey.get(key);
      if (!now || !sameCandidate(old, now)) this.delta(old.capability).removed.add(key);
    }
    for (const [key, now] of newByKey) {
      const old = oldByKey.get(key);
      if (!old || !sameCandidate(old, now)) this.delta(now.capability).added.push(now);
    }
  }

  private providerLeft(entry: AgentEntry): void {
    for (const tool of providing(entry)) this.delta(tool.capability).removed.add(candidateKey(tool));
  }

  private providerJoined(entry: AgentEntry): void {
    for (const tool of providing(entry)) this.delta(tool.capability).added.push(tool);
  }

  /**
   * Applies the pending capability changes: each distinct spec of a changed capability is updated once, and
   * only the consumers whose top MAX_ALTERNATIVES changed are rebuilt (and re-hashed).
   */
  private recomputeChanged(): void {
    if (this.changedCaps.size === 0) return;
    const started = performance.now();
    this.candidateCache.clear();
    const changedConsumers = new Set<AgentEntry>();
    for (const [capability, delta] of this.changedCaps) {
      for (const shared of this.shapes.get(capability)?.values() ?? []) {
        this.options.metrics.resolutions++;
        const after = updateRanking(shared.spec, shared.ranking, delta, () => this.candidates(capability));
        const changed = !sameTop(shared.ranking.list, after.list);
        shared.ranking = after;
        if (changed) for (const consumer of shared.users.keys()) changedConsumers.add(consumer);
      }
    }
    this.changedCaps.clear();
    this.candidateCache.clear();
    for (const consumer of changedConsumers) this.rebuild(consumer, true);
    this.options.metrics.resolutionSeconds += (performance.now() - started) / 1000;
  }

  private candidates(capability: string): readonly ProviderCandidate[] {
    let list = this.candidateCache.get(capability);
    if (list) return list;
    list = [];
    for (const provider of this.providers.get(capability) ?? []) {
      if (!eligible(provider)) continue;
      for (const tool of provider.tools) if (tool.capability === capability) list.push(tool as ProvidingTool);
    }
    this.candidateCache.set(capability, list);
    return list;
  }

  /** Attaches the agent to the shared ranking of each of its specs (ranking new ones in full), then rebuilds it. */
  private resolveAll(entry: AgentEntry, notify: boolean): void {
    const started = performance.now();
    for (const tool of entry.tools) {
      if (tool.specs.length === 0) continue;
      tool.ranked = tool.specs.map((spec) => {
        let byShape = this.shapes.get(spec.capability);
        if (!byShape) this.shapes.set(spec.capability, (byShape = new Map()));
        const key = shapeKey(spec);
        let shared = byShape.get(key);
        if (!shared) {
          this.options.metrics.resolutions++;
          byShape.set(key, (shared = { spec, ranking: rankFully(spec, this.candidates(spec.capability)), users: new Map() }));
        }
        shared.users.set(entry, (shared.users.get(entry) ?? 0) + 1);
        return shared;
      });
    }
    this.candidateCache.clear();
    this.rebuild(entry, notify);
    this.options.metrics.resolutionSeconds += (performance.now() - started) / 1000;
  }

  /** dependencies_resolved and dependency_alternatives, from the shared rankings (built when asked, not kept). */
  private resolution(entry: AgentEntry): { resolved: DependenciesResolved; alternatives: DependencyAlternatives } {
    const resolved: DependenciesResolved = {};
    const alternatives: DependencyAlternatives = {};
    for (const tool of entry.tools) {
      if (tool.specs.length === 0) continue;
      resolved[tool.function_name] = tool.specs.map((spec, i) => {
        const best = tool.ranked[i]!.ranking.list[0];
        return best ? toResolved(best) : unresolved(spec.capability);
      });
      alternatives[tool.function_name] = tool.ranked.map((shared) => shared.ranking.list.slice(0, MAX_ALTERNATIVES).map(toResolved));
    }
    return { resolved, alternatives };
  }

  /** Re-hashes the agent's resolution; watchers hear when it changed. */
  private rebuild(entry: AgentEntry, notify: boolean): void {
    const { resolved, alternatives } = this.resolution(entry);
    const hash = topologyHash(resolved, alternatives);
    const changed = hash !== entry.hash;
    entry.hash = hash;
    if (changed && notify) this.notifyWatchers(entry.id);
  }

  private notifyWatchers(agentId: string): void {
    const set = this.watchers.get(agentId);
    if (!set) return;
    for (const onChange of [...set]) onChange();
  }

  private emit(type: EventType, entry: AgentEntry, data: Record<string, unknown>): void {
    const event = this.log.append(entry.id, entry.name, type, data, this.now());
    this.options.metrics.eventsEmitted++;
    this.options.storage.write({ op: 'event', event });
    this.options.log(describeEvent(event, entry));
  }

  private view(entry: AgentEntry): AgentView {
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
    const capabilities: AgentCapabilityView[] = entry.tools.filter((t) => t.capability !== undefined).map((t) => ({
      name: t.capability!, function_name: t.function_name, version: t.version, tags: t.tags,
      description: t.description, available, ...(available ? {} : { unavailable_reason: 'agent unhealthy' }),
    }));
    return {
      id: entry.id,
      name: entry.name,
      agent_type: info.agent_type ?? 'mcp_agent',
      runtime: info.runtime ?? 'python', // MCP Mesh's default; our runtime sends "typescript"
      status: this.statusOf(entry),
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
      metadata: info.metadata ?? {},
      health: info.health ? { status: info.health.status, ...(info.health.error !== undefined ? { error: info.health.error } : {}) } : null,
      topology_hash: entry.hash,
      dependency_alternatives: this.resolution(entry).alternatives,
    };
  }
}

function eligible(entry: AgentEntry): boolean {
  return entry.status !== 'unhealthy' && !entry.reportedUnhealthy;
}

/** The agent's tools that provide a capability (its resolution candidates). */
function providing(entry: AgentEntry): ProvidingTool[] {
  const tools: ProvidingTool[] = [];
  for (const tool of entry.tools) if (tool.capability !== undefined) tools.push(tool as ProvidingTool);
  return tools;
}

/** Same candidate for resolution (agent_id and function_name are the key, compared by the caller). */
function sameCandidate(a: ProvidingTool, b: ProvidingTool): boolean {
  if (a.agent_name !== b.agent_name || a.capability !== b.capability || a.endpoint !== b.endpoint || a.version !== b.version) return false;
  if (a.tags.length !== b.tags.length) return false;
  for (let i = 0; i < a.tags.length; i++) if (a.tags[i] !== b.tags[i]) return false;
  return true;
}

/** Tells a repeated registration from a changed one without keeping it. */
function digestOf(json: string): string {
  return createHash('sha1').update(json).digest('base64');
}

/** The saved form of a registration: its JSON text as the store made it (for the digest) goes as is. */
function savedOf(entry: AgentEntry, registration: string): SavedAgent {
  return { id: entry.id, name: entry.name, registration, ...stateOf(entry) };
}

/** The AgentState fields of an entry (or of a saved agent): the one place that lists them. */
function stateOf(from: AgentState): AgentState {
  const { status, status_reason, status_changed_at, registered, created_at, updated_at, last_seen, posted_hash } = from;
  return { status, status_reason, status_changed_at, registered, created_at, updated_at, last_seen, posted_hash };
}

function healthCheckReason(health: HeartbeatRequest['health']): string {
  return `health check: ${health?.error ?? 'unhealthy'}`;
}

function unresolved(capability: string): ResolvedDependency {
  return { agent_id: '', capability, endpoint: '', function_name: '', status: 'unresolved' };
}

function registrationData(entry: AgentEntry): Record<string, unknown> {
  const capabilities = new Set<string>();
  for (const tool of entry.tools) if (tool.capability !== undefined) capabilities.add(tool.capability);
  // One literal, not spreads: the event log keeps these, and spread results got a hidden class each.
  const data: Record<string, unknown> = {
    agent_type: entry.info.agent_type ?? 'mcp_agent', name: entry.name, version: entry.info.version ?? '',
    endpoint: entry.endpoint, tools: entry.tools.length, capabilities: [...capabilities],
  };
  const pmId = entry.info.metadata?.pm_id;
  if (pmId !== undefined) data.pm_id = pmId;
  return data;
}

/** A flat copy of a string built by concatenation (a chain of cons cells costs ~3× the text). */
function flat(text: string): string {
  return JSON.parse(JSON.stringify(text)) as string;
}

function describeEvent(event: RegistryEvent, entry: AgentEntry): string {
  const reason = typeof event.data.reason === 'string' ? ` (${event.data.reason})` : '';
  const what = event.event_type === 'register' || event.event_type === 'update'
    ? ` ${entry.name} ${entry.endpoint} tools=${entry.tools.length}`
    : '';
  return `registry: ${event.event_type} ${event.agent_id}${what}${reason}`;
}

function addTo(map: Map<string, Set<AgentEntry>>, key: string, entry: AgentEntry): void {
  let set = map.get(key);
  if (!set) map.set(key, (set = new Set()));
  set.add(entry);
}

function removeFrom(map: Map<string, Set<AgentEntry>>, key: string, entry: AgentEntry): void {
  const set = map.get(key);
  if (!set) return;
  set.delete(entry);
  if (set.size === 0) map.delete(key);
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
