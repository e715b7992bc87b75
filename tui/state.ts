// The dashboard's picture of the registry (what the data source knows) and its pure transitions.
import type { TraceResponse } from '../core/span-wire.js';
import type { AgentCallsResponse, RegistryEvent } from '../core/wire.js';
import type { CallEdgeRow } from './calls-model.js';
import type { DashboardAgent, RegistryHealth } from './registry-model.js';

export type ConnectionStatus = 'connecting' | 'online' | 'unreachable' | 'refused';
/** live: SSE connected · polling: the registry has no stream, events are polled · down: reconnecting. */
export type StreamStatus = 'connecting' | 'live' | 'polling' | 'down';

export interface DashboardState {
  registryUrl: string;
  connection: ConnectionStatus;
  /** Epoch ms when `connection` last changed. */
  connectionSince: number;
  /** Why the last request failed ('' when online). */
  lastError: string;
  /** Epoch ms of the last successful GET /agents; null before the first. */
  lastUpdate: number | null;
  agents: DashboardAgent[];
  health: RegistryHealth | null;
  /** Ascending by id, at most MAX_EVENTS. */
  events: RegistryEvent[];
  stream: StreamStatus;
  /** Heartbeats per second, one sample per poll, oldest first. */
  heartbeatRates: number[];
  /** Where the rate comes from: the registry's counter, or agents whose last_seen moved (a lower bound). */
  rateSource: 'metrics' | 'last_seen' | null;
  /** The selected agent's own figures (its GET /calls): how its dependencies' calls spread. */
  calls: AgentCalls | null;
  /** Dependency edges and their call rates (GET /traces/edges), busiest first. */
  edges: CallEdgeRow[];
  /** false: the registry keeps no traces (MCP Mesh's); null: not known yet. */
  callsSupported: boolean | null;
  /** The trace the drill-down shows, once loaded. */
  trace: TraceResponse | null;
}

/** One agent's GET /calls as last read, or why it could not be. */
export interface AgentCalls {
  agentId: string;
  report: AgentCallsResponse | null;
  error: string;
}

export const MAX_EVENTS = 500;
export const MAX_RATE_SAMPLES = 240;

export function initialState(registryUrl: string, now: number): DashboardState {
  return {
    registryUrl,
    connection: 'connecting',
    connectionSince: now,
    lastError: '',
    lastUpdate: null,
    agents: [],
    health: null,
    events: [],
    stream: 'connecting',
    heartbeatRates: [],
    rateSource: null,
    calls: null,
    edges: [],
    callsSupported: null,
    trace: null,
  };
}

const eventKey = (e: RegistryEvent) => (Number.isFinite(e.id) ? `#${e.id}` : `${e.timestamp}|${e.agent_id}|${e.event_type}`);

/** Adds events (from backfill, the stream or polling), dropping duplicates, kept in id order and capped. */
export function mergeEvents(current: readonly RegistryEvent[], incoming: readonly RegistryEvent[]): RegistryEvent[] {
  const seen = new Set(current.map(eventKey));
  const fresh = incoming.filter((e) => {
    const key = eventKey(e);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  if (fresh.length === 0) return current as RegistryEvent[];
  const all = [...current, ...fresh];
  // Streamed events arrive in order; only a backfill can land before them, so a sort is rarely needed.
  const ordered = all.every((e, i) => i === 0 || !(e.id < all[i - 1]!.id)) ? all : [...all].sort((a, b) => a.id - b.id);
  return ordered.slice(-MAX_EVENTS);
}

/** The newest event id known, the Last-Event-ID to resume the stream from. */
export function lastEventId(events: readonly RegistryEvent[]): number | null {
  for (let i = events.length - 1; i >= 0; i--) if (Number.isFinite(events[i]!.id)) return events[i]!.id;
  return null;
}

export function pushRate(rates: readonly number[], rate: number): number[] {
  return [...rates, rate].slice(-MAX_RATE_SAMPLES);
}

export interface CounterReading {
  value: number;
  at: number;
}

/** The heartbeat rate is averaged over this long: agents beat every few seconds, a 1 s rate is mostly 0 or a spike. */
export const RATE_WINDOW_MS = 10_000;

/** Adds a counter reading, keeping just enough to span the window; a counter that went backwards (registry restart) starts over. */
export function addReading(readings: readonly CounterReading[], reading: CounterReading): CounterReading[] {
  const last = readings[readings.length - 1];
  if (last && (reading.value < last.value || reading.at <= last.at)) return [reading];
  const kept = [...readings, reading];
  while (kept.length > 2 && kept[1]!.at <= reading.at - RATE_WINDOW_MS) kept.shift();
  return kept;
}

/** Per second, from the oldest to the newest reading kept; null until there are two. */
export function windowRate(readings: readonly CounterReading[]): number | null {
  const first = readings[0];
  const last = readings[readings.length - 1];
  if (!first || !last || last.at <= first.at) return null;
  return (last.value - first.value) / ((last.at - first.at) / 1000);
}

/** Fallback rate: agents whose last_seen moved since the last poll, per second (one per agent at most). */
export function lastSeenRate(previous: readonly DashboardAgent[], current: readonly DashboardAgent[], seconds: number): number {
  if (seconds <= 0) return 0;
  const before = new Map(previous.map((a) => [a.id, a.lastSeen]));
  let moved = 0;
  for (const a of current) {
    const was = before.get(a.id);
    if (a.lastSeen !== null && was !== undefined && was !== null && a.lastSeen > was) moved++;
  }
  return moved / seconds;
}
