// What the registry keeps durably: one agent's saved state and the journal records that change it.
// The store emits these records; persistence writes them (journal, then the sql.js snapshot) and replays them.
import type { AgentStatus, HeartbeatRequest, RegistryEvent } from './wire.js';

/** Everything about an agent that survives a restart (heartbeat times are hot state: only saved with snapshots). */
export interface SavedAgent {
  id: string;
  /** The validated POST /heartbeat payload, as sent. */
  registration: HeartbeatRequest;
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

/** The part of a SavedAgent that changes without a new registration (status, hash answered). */
export type AgentStateChange = Pick<SavedAgent, 'id' | 'status' | 'status_reason' | 'status_changed_at' | 'registered' | 'posted_hash'>;

export type JournalRecord =
  | { op: 'agent'; agent: SavedAgent }
  | { op: 'state'; state: AgentStateChange }
  | { op: 'purge'; id: string }
  | { op: 'event'; event: RegistryEvent }
  /** Events with an id below `below` are dropped (the cap). */
  | { op: 'trim'; below: number };

/** Where the store sends its changes. In-memory registries use a sink that drops them. */
export interface ChangeSink {
  write(record: JournalRecord): void;
  /** Resolves once every record written so far is durable (fsynced). */
  durable(): Promise<void>;
  /** Whether the sink can still make records durable (false after a disk error). */
  readonly healthy: boolean;
}

export const memorySink: ChangeSink = {
  write() {},
  durable: () => Promise.resolve(),
  healthy: true,
};
