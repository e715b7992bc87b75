// Where the registry's state reaches the disk: the one interface every storage backend implements, and the
// records it stores. The store writes a change record for each change it makes and serves from memory; a
// backend only makes those records durable and hands the state back at the next start. Backends: sql.js
// (./sqlite/, a journal folded into an SQLite file), PostgreSQL (./postgres/, shared by replicas) and none
// (./memory.ts, for registries without a data file).
import type { AgentStatus, RegistryEvent } from '../../core/wire.js';

/**
 * The part of an agent's saved state that changes without a new registration. The store's agent entries carry
 * these same fields (they extend this type), so a record is read off an entry, never assembled by hand.
 * Heartbeat times are hot state, never saved per HEAD: last_seen is saved with each registration and status
 * change (a restart gives the agents that were not unhealthy a fresh timeout of grace anyway).
 */
export interface AgentState {
  status: AgentStatus;
  status_reason: string | null;
  /** ms since epoch of the last status change (retention counts from here). */
  status_changed_at: number;
  /** false once DELETE /agents/:id unregistered it. */
  registered: boolean;
  created_at: number;
  updated_at: number;
  last_seen: number;
  /** The topology hash answered to the agent's last POST: HEAD compares against it (202 when it differs). */
  posted_hash: string;
}

/** Everything about an agent that survives a restart. */
export interface SavedAgent extends AgentState {
  id: string;
  /** registration.name, else the id. */
  name: string;
  /** The validated POST /heartbeat payload as JSON text, exactly as the store serialized it (its digest tells a repeat POST). */
  registration: string;
}

/** One change, in the order the store made it. A backend applies them in that order (a replica too). */
export type StorageChange =
  | { op: 'agent'; agent: SavedAgent }
  | { op: 'state'; id: string; state: AgentState }
  | { op: 'purge'; id: string }
  | { op: 'event'; event: RegistryEvent }
  /** Events with an id below `below` are dropped (the cap). */
  | { op: 'trim'; below: number };

/** A batch of last-seen times (ms since epoch) from the replica that answered those HEADs (replicas only). */
export type SeenChange = { op: 'seen'; seen: [id: string, at: number][] };

/** What replicas exchange: the store's changes plus last-seen batches. */
export type ReplicatedChange = StorageChange | SeenChange;

/** What a registry does with the changes its replica storage reads from the others (the store's side). */
export interface ReplicaHooks {
  /** Applies one change in the one order of all replicas; a change this registry made and applied is a no-op. */
  apply(change: ReplicatedChange): void;
  /** Makes memory equal to the database's agents (after a failed commit, or when the log moved on without it). */
  resync(agents: SavedAgent[]): void;
  /** This registry now decides health: sweep soon. */
  leading(): void;
}

/**
 * The extension of a backend that lets several registries share it and serve one mesh (replicas: PostgreSQL).
 * Its presence changes three things for the store: event ids come from the storage (one numbering for all
 * replicas, so the store adds an event to its log only when the storage hands it back through `apply`); one
 * replica at a time decides health (`decidesHealth`); HEADs never wait on the storage (`seen` batches last-seen
 * times) and keep being answered from memory while it cannot commit, since it comes back by itself.
 */
export interface Replica {
  /** Starts applying every replica's changes (this one's too) in order, and competing to decide health. */
  follow(hooks: ReplicaHooks): Promise<void>;
  /** A HEAD heard the agent: written with the next batch, never per HEAD. */
  seen(agentId: string, at: number): void;
  /** Whether this registry times out and purges agents now (one replica at a time does). */
  decidesHealth(): boolean;
  /** Why changes are refused while the storage is not healthy, for the 503 answer. */
  readonly unavailableReason: string;
}

/** What a backend hands back at start. */
export interface RestoredState {
  agents: SavedAgent[];
  /** Oldest first. */
  events: RegistryEvent[];
  /** The next event id to hand out (kept across trims of the event log). */
  nextEventId: number;
}

/**
 * A storage backend. Open it with the backend's own `open…Storage(location, options)`, which refuses (throws
 * a message naming the location and what to do) a store that is not the registry's, is damaged, or is in use.
 */
export interface Storage {
  /** Where the state lives (a file path, a database URL without its password): named in messages. */
  readonly location: string;
  /**
   * The saved state, read at open. Called once, before the first write; the backend drops its copy then
   * (the caller owns the arrays, and may empty them once applied).
   */
  restore(): Promise<RestoredState>;
  /** Queues a change. Never throws and never waits: durable() tells when it is safe. Ignored after close(). */
  write(change: StorageChange): void;
  /**
   * Resolves once every change written so far is durable (fsynced, committed); an acknowledged POST or DELETE
   * waits for it before its answer. Rejects after a storage failure: the change may be lost, say so (503).
   */
  durable(): Promise<void>;
  /** false once the backend cannot make changes durable (a disk error): writes are refused until a restart. */
  readonly healthy: boolean;
  /** Bytes of changes written but not yet folded into a snapshot (GET /metrics), 0 when it has no such notion. */
  readonly pendingBytes: number;
  /** Folds the changes written so far into the backend's compact form now (backends also do it on their own). */
  snapshot(): Promise<void>;
  /** Makes every change durable (and compacts when that is quick), then releases the location. */
  close(): Promise<void>;
  /** Present when registries can share this storage as replicas (see Replica). */
  readonly replica?: Replica;
}

/** The options every backend's open function takes. */
export interface StorageOptions {
  log: (line: string) => void;
  /** Told about each durable write and snapshot (GET /metrics). */
  metrics: StorageMetrics;
}

/** The counters a backend keeps up to date (RegistryMetrics has them). */
export interface StorageMetrics {
  journalFlushes: number;
  journalFlushSeconds: number;
  journalRecords: number;
  snapshots: number;
  snapshotSeconds: number;
}

/** The message for saved state that cannot be read (the same for every backend). */
export function unreadable(location: string, error: Error): Error {
  return new Error(
    `refusing to use ${location} as the registry data file: its content cannot be read (${error.message}). Nothing was changed; move it away or choose another --data-file.`,
  );
}
