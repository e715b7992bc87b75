// The registry's state in memory, behind one façade for the routes: agents and their life (lifecycle.ts),
// resolution (resolution-index.ts), the wire views (views.ts), events and topology watchers (notifications.ts).
// Every change goes to the storage as a record (changes.ts); reads never touch it.
import type {
  AgentView,
  CapabilityView,
  EventsResponse,
  HeartbeatRequest,
  HeartbeatResponse,
  RegistryEvent,
  TopologyResponse,
} from '../../core/wire.js';
import type { RegistryMetrics } from '../metrics.js';
import type { ReplicatedChange, RestoredState, SavedAgent, Storage } from '../storage/index.js';
import { statusOf } from './agent.js';
import type { EventQuery } from './event-log.js';
import { AgentLifecycle, type ExitedWorkers, type HeadAnswer } from './lifecycle.js';
import { Notifications } from './notifications.js';
import { ResolutionIndex } from './resolution-index.js';
import { agentView, findCapabilities, type CapabilityQuery } from './views.js';

export type { HeadAnswer } from './lifecycle.js';
export type { CapabilityQuery } from './views.js';

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

export class RegistryStore {
  private readonly notifications: Notifications;
  private readonly index: ResolutionIndex;
  private readonly agents: AgentLifecycle;

  constructor(options: StoreOptions) {
    const now = options.now ?? Date.now;
    this.notifications = new Notifications(options.maxEvents, options.storage, options.metrics, options.log, now);
    this.index = new ResolutionIndex(options.metrics, (entry) => this.notifications.topologyChanged(entry.id));
    this.agents = new AgentLifecycle({ ...options, now }, this.index, this.notifications);
  }

  // ---- state from storage ----

  /** Loads what a storage restored at start (`source` names it in messages). */
  restore(state: RestoredState, source: string): void {
    this.loadAgents(state.agents, source);
    this.notifications.events.restore(state.events, state.nextEventId);
  }

  /**
   * Adds or replaces saved agents (as a storage holds them) and re-resolves whom they concern, with no events
   * and no records: the path for state written elsewhere (at start; a replica's feed later).
   */
  loadAgents(saved: Iterable<SavedAgent>, source: string): void {
    this.agents.load(saved, source);
  }

  /**
   * Applies a change read from the storage shared by replicas, in the one order of all of them: the registry
   * that made it applied it already (it is a no-op there); events enter the log only this way, numbered.
   */
  applyReplicated(change: ReplicatedChange, source: string): void {
    switch (change.op) {
      case 'agent':
        this.agents.applyAgent(change.agent, source);
        break;
      case 'state':
        this.agents.applyState(change.id, change.state);
        break;
      case 'purge':
        this.agents.applyPurge(change.id);
        break;
      case 'event':
        this.notifications.events.insert(change.event);
        break;
      case 'seen':
        this.agents.applySeen(change.seen);
        break;
      case 'trim':
        break; // each registry caps its own log
    }
  }

  /**
   * Makes memory equal to the storage's agents (after a failed commit, or when the shared log moved on), and gives
   * the agents that were not unhealthy one timeout of grace, as a restart does: heartbeats other replicas answered
   * meanwhile reach the database only once those replicas are back too.
   */
  resync(saved: readonly SavedAgent[], source: string): void {
    const kept = new Set(saved.map((agent) => agent.id));
    for (const entry of [...this.agents.all()]) if (!kept.has(entry.id)) this.agents.applyPurge(entry.id);
    for (const agent of saved) this.agents.applyAgent(agent, source);
    this.agents.grace();
  }

  // ---- heartbeats ----

  /** POST /heartbeat with an already validated payload. */
  register(request: HeartbeatRequest): HeartbeatResponse {
    return this.agents.register(request);
  }

  /** HEAD /heartbeat/:id: 200, 202 (topology changed: POST again) or 410 (unknown or unhealthy: POST again). */
  touch(agentId: string): HeadAnswer {
    return this.agents.touch(agentId);
  }

  /** DELETE /agents/:id: kept as unhealthy for audit, consumers re-resolve. false when unknown. */
  unregister(agentId: string): boolean {
    return this.agents.unregister(agentId);
  }

  /** The PM2 module saw the agent's process exit: unhealthy at once (with `host`: only that host's; `workers`: see lifecycle.ts). Returns the agent ids it marked. */
  markProcessExited(pmId: number, reason?: string, host?: string, workers?: ExitedWorkers): string[] {
    return this.agents.markProcessExited(pmId, reason, host, workers);
  }

  /** Purges every unhealthy agent now (an operator's action); returns their ids. */
  purgeUnhealthy(): string[] {
    return this.agents.purgeUnhealthy();
  }

  /** The health monitor's pass; returns the earliest deadline still ahead, or null. */
  sweep(): number | null {
    return this.agents.sweep();
  }

  // ---- topology ----

  topology(agentId: string): TopologyResponse | null {
    const entry = this.agents.get(agentId);
    if (!entry || !entry.registered) return null;
    const { resolved, alternatives } = this.index.resolution(entry);
    return { agent_id: entry.id, topology_hash: entry.hash, dependencies_resolved: resolved, dependency_alternatives: alternatives };
  }

  /** Calls `onChange` when the agent's topology hash changes, or it is unregistered or purged. */
  watchTopology(agentId: string, onChange: () => void): () => void {
    return this.notifications.watchTopology(agentId, onChange);
  }

  get watcherCount(): number {
    return this.notifications.watcherCount;
  }

  // ---- events ----

  subscribe(listener: (event: RegistryEvent) => void): () => void {
    return this.notifications.events.subscribe(listener);
  }

  listEvents(query: EventQuery): EventsResponse {
    return this.notifications.events.list(query);
  }

  /** Events after `id`, oldest first (SSE resume). */
  eventsAfter(id: number): RegistryEvent[] {
    return this.notifications.events.after(id);
  }

  get eventCount(): number {
    return this.notifications.events.size;
  }

  // ---- reads ----

  listAgents(filter: { status?: string; capability?: string } = {}): AgentView[] {
    const views: AgentView[] = [];
    const source = filter.capability !== undefined ? (this.index.providersOf(filter.capability) ?? []) : this.agents.all();
    for (const entry of source) {
      if (filter.status !== undefined && statusOf(entry) !== filter.status) continue;
      views.push(agentView(entry, this.index));
    }
    return views;
  }

  getAgent(agentId: string): AgentView | null {
    const entry = this.agents.get(agentId);
    return entry ? agentView(entry, this.index) : null;
  }

  findCapabilities(query: CapabilityQuery): CapabilityView[] {
    return findCapabilities(query, this.index);
  }

  /** The name an agent id is registered under (healthy or not), or undefined. */
  nameOf(agentId: string): string | undefined {
    return this.agents.get(agentId)?.name;
  }

  /** Agents held, healthy and unhealthy (O(1), unlike counts()). */
  get size(): number {
    return this.agents.size;
  }

  /** Records a registration the access checks turned down (a `refused` event). */
  recordRefusal(agentId: string, agentName: string, data: Record<string, unknown>): void {
    this.notifications.refused(agentId, agentName, data);
  }

  /** Whether an agent the registry holds (any status) serves at `endpoint` (http://host:port): /proxy's only targets. */
  hasEndpoint(endpoint: string): boolean {
    for (const entry of this.agents.all()) if (entry.endpoint === endpoint) return true;
    return false;
  }

  counts(): { healthy: number; unhealthy: number; unknown: number; total: number } {
    const counts = { healthy: 0, unhealthy: 0, unknown: 0, total: 0 };
    for (const entry of this.agents.all()) {
      counts[statusOf(entry)]++;
      counts.total++;
    }
    return counts;
  }

  get capabilityCount(): number {
    return this.index.capabilityCount;
  }
}
