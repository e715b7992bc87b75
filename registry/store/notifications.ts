// What the store tells others: the event log (GET /events, SSE, each event also saved and logged as a line)
// and the topology watchers (GET /agents/:id/topology long-polls, woken when an agent's answer changes).
import type { EventType, RegistryEvent } from '../../core/wire.js';
import type { RegistryMetrics } from '../metrics.js';
import type { Storage } from '../storage/index.js';
import type { AgentEntry } from './agent.js';
import { EventLog } from './event-log.js';

export class Notifications {
  readonly events: EventLog;
  private readonly watchers = new Map<string, Set<() => void>>();

  constructor(
    maxEvents: number,
    private readonly storage: Storage,
    private readonly metrics: RegistryMetrics,
    private readonly logLine: (line: string) => void,
    private readonly now: () => number,
  ) {
    this.events = new EventLog(maxEvents);
  }

  /**
   * Appends an event about the agent: kept, saved, streamed and logged. Replicas: the storage numbers it, and it
   * enters the log when the storage hands it back in the one order of all replicas.
   */
  emit(type: EventType, entry: AgentEntry, data: Record<string, unknown>): void {
    const event = this.storage.replica
      ? { id: 0, agent_id: entry.id, agent_name: entry.name, event_type: type, timestamp: new Date(this.now()).toISOString(), data }
      : this.events.append(entry.id, entry.name, type, data, this.now());
    this.metrics.eventsEmitted++;
    this.storage.write({ op: 'event', event });
    this.logLine(describeEvent(event, entry));
  }

  /** A `refused` event: a registration turned down before it reached the store (no entry exists for it). */
  refused(agentId: string, agentName: string, data: Record<string, unknown>): void {
    const event = this.events.append(agentId, agentName, 'refused', data, this.now());
    this.metrics.eventsEmitted++;
    this.storage.write({ op: 'event', event });
    this.logLine(`registry: refused ${agentId} ${agentName}: ${String(data.reason)}`);
  }

  /** The journal hears about the event log's cap once per sweep, not per event. */
  saveTrim(): void {
    const below = this.events.takeTrimPoint();
    if (below !== null) this.storage.write({ op: 'trim', below });
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

  topologyChanged(agentId: string): void {
    const set = this.watchers.get(agentId);
    if (!set) return;
    for (const onChange of [...set]) onChange();
  }
}

/**
 * The data of a register or update event. `capabilities`: the agent's capability names, each once, in tool
 * order (a list shared with its replicas: the event log keeps one per event).
 */
export function registrationData(entry: AgentEntry, capabilities: readonly string[]): Record<string, unknown> {
  // One literal, not spreads: the event log keeps these, and spread results got a hidden class each.
  const data: Record<string, unknown> = {
    agent_type: entry.info.agent_type ?? 'mcp_agent',
    name: entry.name,
    version: entry.info.version ?? '',
    endpoint: entry.endpoint,
    tools: entry.tools.length,
    capabilities,
  };
  const pmId = entry.metadata?.pm_id;
  if (pmId !== undefined) data.pm_id = pmId;
  return data;
}

function describeEvent(event: RegistryEvent, entry: AgentEntry): string {
  const reason = typeof event.data.reason === 'string' ? ` (${event.data.reason})` : '';
  const what = event.event_type === 'register' || event.event_type === 'update' ? ` ${entry.name} ${entry.endpoint} tools=${entry.tools.length}` : '';
  return `registry: ${event.event_type} ${event.agent_id}${what}${reason}`;
}
