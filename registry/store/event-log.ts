// The registry's event log in memory: ids ascending, capped at maxEvents (oldest dropped), with live listeners.
import type { EventsResponse, EventType, RegistryEvent } from '../../core/wire.js';

export interface EventQuery {
  since?: number;
  limit: number;
  agentId?: string;
  type?: string;
}

export class EventLog {
  private events: RegistryEvent[] = [];
  /** Index of the oldest kept event: capping moves it, the array is compacted in chunks (O(1) per event). */
  private head = 0;
  private nextId = 1;
  /** Events below this id were reported dropped (see takeTrimPoint). */
  private trimmedBelow = 1;
  private readonly listeners = new Set<(event: RegistryEvent) => void>();

  constructor(private readonly maxEvents: number) {}

  /** Loads saved events; a log larger than the cap is reported by the next takeTrimPoint(). */
  restore(events: readonly RegistryEvent[], nextId: number): void {
    this.events = events.slice(-this.maxEvents);
    this.head = 0;
    this.nextId = Math.max(nextId, (this.events.at(-1)?.id ?? 0) + 1);
    this.trimmedBelow = events[0]?.id ?? this.nextId;
  }

  append(agentId: string, agentName: string, type: EventType, data: Record<string, unknown>, now: number): RegistryEvent {
    const event: RegistryEvent = {
      id: this.nextId++,
      agent_id: agentId,
      agent_name: agentName,
      event_type: type,
      timestamp: new Date(now).toISOString(),
      data,
    };
    this.push(event);
    return event;
  }

  /** An event numbered by the storage (replicas share one numbering), in id order; one already held is ignored. */
  insert(event: RegistryEvent): void {
    if (event.id < this.nextId) return;
    this.nextId = event.id + 1;
    this.push(event);
  }

  private push(event: RegistryEvent): void {
    this.events.push(event);
    if (this.size > this.maxEvents) this.head = this.events.length - this.maxEvents;
    if (this.head > 1024 && this.head * 2 > this.events.length) {
      this.events = this.events.slice(this.head);
      this.head = 0;
    }
    for (const listener of [...this.listeners]) listener(event);
  }

  subscribe(listener: (event: RegistryEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get size(): number {
    return this.events.length - this.head;
  }

  /** Without `since`: newest first. With `since`: ascending, after that id. `next` = the id to ask `since` next. */
  list(query: EventQuery): EventsResponse {
    const found: RegistryEvent[] = [];
    const matches = (e: RegistryEvent) =>
      (query.agentId === undefined || e.agent_id === query.agentId) && (query.type === undefined || e.event_type === query.type);
    const last = this.events.length - 1;
    if (query.since === undefined) {
      for (let i = last; i >= this.head && found.length < query.limit; i--) {
        if (matches(this.events[i]!)) found.push(this.events[i]!);
      }
      return { count: found.length, events: found, next: this.nextId - 1 };
    }
    let next = query.since;
    for (let i = this.firstIndexAfter(query.since); i <= last && found.length < query.limit; i++) {
      const event = this.events[i]!;
      next = event.id;
      if (matches(event)) found.push(event);
    }
    return { count: found.length, events: found, next };
  }

  /** Events after `id`, oldest first (SSE resume). */
  after(id: number): RegistryEvent[] {
    return this.events.slice(this.firstIndexAfter(id));
  }

  /** The id below which events were dropped since the last call, or null: saved copies trim to it. */
  takeTrimPoint(): number | null {
    const first = this.events[this.head]?.id ?? this.nextId;
    if (first <= this.trimmedBelow) return null;
    this.trimmedBelow = first;
    return first;
  }

  private firstIndexAfter(id: number): number {
    let lo = this.head;
    let hi = this.events.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.events[mid]!.id <= id) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
