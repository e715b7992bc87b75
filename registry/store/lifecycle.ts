// Where a heartbeat is answered: the agents and their life — registration (POST), light heartbeat (HEAD),
// unregistration (DELETE), process exits, timeouts and purges, and loading saved agents. Each change goes to the
// resolution index, to the storage as a record, and out as an event.
import type { HeartbeatRequest, HeartbeatResponse } from '../../core/wire.js';
import type { RegistryMetrics } from '../metrics.js';
import { unreadable, type AgentState, type SavedAgent, type Storage } from '../storage/index.js';
import { digestOf, eligible, EntryBuilder, healthCheckReason, statusOf, type AgentEntry } from './agent.js';
import { agentChange, stateChange } from './changes.js';
import { registrationData, type Notifications } from './notifications.js';
import type { ResolutionIndex } from './resolution-index.js';

export interface LifecycleOptions {
  timeoutMs: number;
  retentionMs: number;
  storage: Storage;
  metrics: RegistryMetrics;
  now: () => number;
  /** Told each registration's deadline (now + timeout), so the health monitor can sweep no later than that. */
  onDeadline?: (deadline: number) => void;
}

export type HeadAnswer = 200 | 202 | 410;

export class AgentLifecycle {
  private readonly agents = new Map<string, AgentEntry>();
  private readonly entries = new EntryBuilder();

  constructor(
    private readonly options: LifecycleOptions,
    private readonly index: ResolutionIndex,
    private readonly notifications: Notifications,
  ) {}

  get(agentId: string): AgentEntry | undefined {
    return this.agents.get(agentId);
  }

  /** Agents held, healthy and unhealthy. */
  get size(): number {
    return this.agents.size;
  }

  all(): IterableIterator<AgentEntry> {
    return this.agents.values();
  }

  /**
   * Adds or replaces agents as a storage saved them (`source` names it in messages), with no events and no
   * records: at start, or later for state another writer saved. Agents that were not unhealthy get one
   * `timeout` of grace (last_seen = now) so a restart never flaps.
   */
  load(saved: Iterable<SavedAgent>, source: string): void {
    // Into an empty store (a start) nobody is wired yet: index everything, then rank each distinct spec once.
    const fresh = this.agents.size === 0;
    const loaded: AgentEntry[] = [];
    for (const agent of saved) {
      let request: HeartbeatRequest;
      try {
        request = JSON.parse(agent.registration) as HeartbeatRequest;
      } catch (error) {
        throw unreadable(source, error as Error);
      }
      // JSON.stringify(JSON.parse(text)) === text for text JSON.stringify wrote: the digest is the one a repeat POST gets.
      const entry = this.entries.build(request, digestOf(agent.registration), agent);
      if (agent.status !== 'unhealthy') {
        entry.restored = true;
        entry.last_seen = this.options.now();
      }
      const existing = this.agents.get(entry.id);
      if (existing) this.index.unindex(existing);
      if (!fresh) this.index.noteProviderChanges(existing ?? null, entry);
      this.agents.set(entry.id, entry);
      this.index.index(entry);
      loaded.push(entry);
    }
    this.index.recompute();
    for (const entry of loaded) this.index.attach(entry, !fresh);
    this.index.settle();
  }

  // ---- changes made by other replicas (and echoes of this one's), in the one order of all ----

  /**
   * A saved agent from the shared log: replaces the entry unless it says what the entry holds already (then
   * only a later last_seen is taken). No grace, no event, no record: the change carries its own.
   */
  applyAgent(saved: SavedAgent, source: string): void {
    const existing = this.agents.get(saved.id);
    const digest = digestOf(saved.registration);
    if (existing && existing.digest === digest && sameState(existing, saved)) {
      if (saved.last_seen > existing.last_seen) existing.last_seen = saved.last_seen;
      return;
    }
    let request: HeartbeatRequest;
    try {
      request = JSON.parse(saved.registration) as HeartbeatRequest;
    } catch (error) {
      throw unreadable(source, error as Error);
    }
    const entry = this.entries.build(request, digest, saved);
    if (existing) {
      entry.last_seen = Math.max(entry.last_seen, existing.last_seen);
      entry.hash = existing.hash; // watchers hear only of a real change
      this.index.unindex(existing);
    }
    this.index.noteProviderChanges(existing ?? null, entry);
    this.agents.set(entry.id, entry);
    this.index.index(entry);
    this.index.recompute();
    this.index.attach(entry, true);
    if (existing?.registered && !entry.registered) this.notifications.topologyChanged(entry.id);
  }

  /** A state change from the shared log (status, hash answered, last heard). */
  applyState(agentId: string, state: AgentState): void {
    const entry = this.agents.get(agentId);
    if (!entry) return;
    if (state.last_seen > entry.last_seen) entry.last_seen = state.last_seen;
    if (sameState(entry, state)) return;
    const wasEligible = eligible(entry);
    const wasRegistered = entry.registered;
    Object.assign(entry, { ...state, last_seen: entry.last_seen, restored: false });
    if (wasEligible && !eligible(entry)) this.index.providerLeft(entry);
    else if (!wasEligible && eligible(entry)) this.index.providerJoined(entry);
    this.index.recompute();
    if (wasRegistered && !entry.registered) this.notifications.topologyChanged(entry.id);
  }

  /** A purge from the shared log, or an agent the database no longer holds. */
  applyPurge(agentId: string): void {
    const entry = this.agents.get(agentId);
    if (!entry) return;
    if (eligible(entry)) this.index.providerLeft(entry);
    this.index.unindex(entry);
    this.agents.delete(agentId);
    this.index.recompute();
    this.notifications.topologyChanged(agentId);
  }

  /** Every agent not unhealthy counts as heard now (a restart's grace, after the storage was away). */
  grace(): void {
    const now = this.options.now();
    for (const entry of this.agents.values()) if (entry.status !== 'unhealthy' && entry.last_seen < now) entry.last_seen = now;
  }

  /** Last-seen times batched by the replica that answered the HEADs. */
  applySeen(seen: readonly [string, number][]): void {
    for (const [id, at] of seen) {
      const entry = this.agents.get(id);
      if (!entry || entry.status === 'unhealthy' || at <= entry.last_seen) continue;
      entry.last_seen = at;
      entry.restored = false;
    }
  }

  /** POST /heartbeat with an already validated payload. */
  register(request: HeartbeatRequest): HeartbeatResponse {
    const { metrics, storage } = this.options;
    const now = this.options.now();
    metrics.heartbeatPosts++;
    const existing = this.agents.get(request.agent_id);
    const statusBefore = existing ? statusOf(existing) : null;
    const wasRegistered = existing?.registered ?? false;
    const json = JSON.stringify(request);
    const digest = digestOf(json);
    const registrationChanged = !existing || existing.digest !== digest;
    const reportedUnhealthy = request.health?.status === 'unhealthy';
    const state: AgentState = {
      status: 'healthy',
      status_reason: reportedUnhealthy ? healthCheckReason(request.health) : null,
      status_changed_at: existing && existing.status === 'healthy' ? existing.status_changed_at : now,
      registered: true,
      created_at: existing?.created_at ?? now,
      updated_at: registrationChanged ? now : existing!.updated_at,
      last_seen: now,
      posted_hash: existing?.posted_hash ?? '',
    };
    const entry = this.entries.build(request, digest, state);
    if (existing) this.index.unindex(existing);
    this.index.noteProviderChanges(existing ?? null, entry);
    this.agents.set(entry.id, entry);
    this.index.index(entry);
    this.index.recompute();
    this.index.attach(entry, true);
    this.options.onDeadline?.(now + this.options.timeoutMs);
    const hashChanged = entry.posted_hash !== entry.hash;
    entry.posted_hash = entry.hash;

    const stateChanged = !existing || existing.status !== 'healthy' || !wasRegistered || existing.status_reason !== entry.status_reason;
    if (registrationChanged || stateChanged) storage.write(agentChange(entry, json));
    else if (hashChanged) storage.write(stateChange(entry));
    else storage.replica?.seen(entry.id, now); // a repeated POST is a heartbeat too: the other replicas hear of it

    const statusAfter = statusOf(entry);
    if (!existing || !wasRegistered) {
      metrics.registrations++;
      this.notifications.emit('register', entry, registrationData(entry, this.entries.capabilities(entry)));
    } else {
      if (registrationChanged) {
        metrics.updates++;
        this.notifications.emit('update', entry, registrationData(entry, this.entries.capabilities(entry)));
      }
      if (statusBefore !== statusAfter && statusAfter !== 'unknown' && statusBefore !== 'unknown') {
        this.notifications.emit(statusAfter, entry, { reason: statusAfter === 'healthy' ? 'heartbeat' : entry.status_reason });
      }
    }
    const { resolved, alternatives } = this.index.resolution(entry);
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
    entry.last_seen = this.options.now();
    this.options.storage.replica?.seen(agentId, entry.last_seen);
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
    entry.status_changed_at = this.options.now();
    entry.restored = false;
    if (wasEligible) this.index.providerLeft(entry);
    this.options.storage.write(stateChange(entry));
    this.options.metrics.unregistrations++;
    this.notifications.emit('unregister', entry, {
      agent_type: entry.info.agent_type ?? 'mcp_agent',
      name: entry.name,
      version: entry.info.version ?? '',
      reason: 'graceful_shutdown',
      source: 'delete_endpoint',
    });
    this.index.recompute();
    this.notifications.topologyChanged(entry.id);
    return true;
  }

  /**
   * The PM2 module saw the agent's process exit: unhealthy at once. Returns the agent ids it marked. With
   * `host`, only agents running under PM2 on that host (pm_ids repeat from one host's PM2 to the next). `workers`
   * (from registry/workers.ts): agents whose last process this was (`also`), agents other processes still serve
   * (`except`).
   */
  markProcessExited(pmId: number, reason = 'process exit', host?: string, workers: ExitedWorkers = {}): string[] {
    const marked: string[] = [];
    for (const entry of this.agents.values()) {
      if (entry.metadata?.pm_id !== pmId && !workers.also?.has(entry.id)) continue;
      if (workers.except?.has(entry.id)) continue;
      const agentHost = entry.metadata?.pm2_host;
      if (host !== undefined && typeof agentHost === 'string' && agentHost !== host) continue;
      if (!entry.registered || entry.status === 'unhealthy') continue;
      this.setStatus(entry, 'unhealthy', reason);
      marked.push(entry.id);
    }
    this.index.recompute();
    return marked;
  }

  /**
   * The health monitor's pass: time out agents silent for `timeout`, purge long-unhealthy ones, cap the event
   * log. Returns the earliest deadline (last heard + timeout) still ahead, or null when no agent can time out.
   */
  sweep(): number | null {
    // Replicas: another registry decides health now; this one follows its decisions.
    if (this.options.storage.replica?.decidesHealth() === false) return null;
    const now = this.options.now();
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
    this.index.recompute();
    this.notifications.saveTrim();
    return next === Infinity ? null : next;
  }

  /** `pm2 trigger mesh purge_unhealthy`: every unhealthy agent goes now, as retention would take it later. */
  purgeUnhealthy(): string[] {
    const purged: string[] = [];
    for (const entry of this.agents.values()) {
      if (entry.status !== 'unhealthy') continue;
      purged.push(entry.id);
      this.purge(entry);
    }
    if (purged.length) this.index.recompute();
    return purged;
  }

  private setStatus(entry: AgentEntry, status: 'healthy' | 'unhealthy', reason: string | null): void {
    const before = statusOf(entry);
    const wasEligible = eligible(entry);
    entry.status = status;
    entry.status_reason = status === 'healthy' && entry.reportedUnhealthy ? healthCheckReason(entry.info.health) : reason;
    entry.status_changed_at = this.options.now();
    entry.restored = false;
    if (wasEligible && !eligible(entry)) this.index.providerLeft(entry);
    else if (!wasEligible && eligible(entry)) this.index.providerJoined(entry);
    this.options.storage.write(stateChange(entry));
    const after = statusOf(entry);
    if (after !== before && after !== 'unknown') {
      this.notifications.emit(
        after,
        entry,
        after === 'unhealthy' ? { reason, last_seen: new Date(entry.last_seen).toISOString() } : { reason: 'heartbeat' },
      );
    }
  }

  private purge(entry: AgentEntry): void {
    this.options.metrics.purges++;
    this.index.unindex(entry);
    this.agents.delete(entry.id);
    this.options.storage.write({ op: 'purge', id: entry.id });
    this.notifications.emit('expired', entry, { reason: 'retention', unhealthy_since: new Date(entry.status_changed_at).toISOString() });
    this.notifications.topologyChanged(entry.id);
  }
}

/** The saved state a change carries besides the registration and last_seen (which only ever moves forward). */
function sameState(entry: AgentEntry, state: AgentState): boolean {
  return (
    entry.status === state.status &&
    entry.status_reason === state.status_reason &&
    entry.status_changed_at === state.status_changed_at &&
    entry.registered === state.registered &&
    entry.posted_hash === state.posted_hash &&
    entry.created_at === state.created_at &&
    entry.updated_at === state.updated_at
  );
}

/** Which agents a process exit concerns beyond metadata.pm_id, for agents served by several processes. */
export interface ExitedWorkers {
  also?: Set<string>;
  except?: Set<string>;
}
