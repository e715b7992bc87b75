// What the registry keeps durably: one agent's saved state and the journal records that change it.
// The store emits these records; persistence journals them, and snapshots replay them into the sql.js data file.
import type { AgentStatus, HeartbeatRequest, RegistryEvent } from '../../core/wire.js';

/**
 * Everything about an agent that survives a restart. Heartbeat times are hot state, never journaled per HEAD:
 * the journal records last_seen with each registration and status change (a restart gives the agents that
 * were not unhealthy a fresh timeout of grace, so theirs need nothing more).
 */
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

/** A SavedAgent with the registration as its JSON text (as the data file, and journals since v2, hold it). */
export type SavedAgentRow = Omit<SavedAgent, 'registration'> & {
  registration: string;
  /** The agent's name (registration.name, else its id), for the data file's name column. */
  name?: string;
};

/** An event as the data file holds it: `data` as its JSON text. */
export type SavedEventRow = Omit<RegistryEvent, 'data'> & { data: string };

/** The part of a SavedAgent that changes without a new registration (status, hash answered, last heard). */
export type AgentStateChange = Pick<SavedAgent, 'id' | 'status' | 'status_reason' | 'status_changed_at' | 'registered' | 'posted_hash'> & {
  /** Absent in journals of earlier versions. */
  last_seen?: number;
};

export type JournalRecord =
  /** The registration as JSON text (the store has it already); journals of earlier versions hold the object. */
  | { op: 'agent'; agent: SavedAgentRow | SavedAgent }
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
