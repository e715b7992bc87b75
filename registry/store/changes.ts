// The storage records of the store's changes, read off the entries (the storage makes them durable).
import type { AgentState, StorageChange } from '../storage/index.js';
import type { AgentEntry } from './agent.js';

/** A registration and the agent's state; its JSON text as the store made it (for the digest) goes as is. */
export function agentChange(entry: AgentEntry, registration: string): StorageChange {
  return { op: 'agent', agent: { id: entry.id, name: entry.name, registration, ...stateOf(entry) } };
}

/** A change of the agent's state without a new registration (status, hash answered, last heard). */
export function stateChange(entry: AgentEntry): StorageChange {
  return { op: 'state', id: entry.id, state: stateOf(entry) };
}

/** The AgentState fields of an entry. */
function stateOf(from: AgentState): AgentState {
  const { status, status_reason, status_changed_at, registered, created_at, updated_at, last_seen, posted_hash } = from;
  return { status, status_reason, status_changed_at, registered, created_at, updated_at, last_seen, posted_hash };
}
