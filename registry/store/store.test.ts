// The store re-resolves incrementally (shared rankings per spec, merges, partial rescans). This checks, over
// thousands of random registrations, updates, departures, process exits and timeouts, that every agent's
// answer equals a resolution from scratch of the same state: a fresh store restored from nothing but the
// records the store journaled (so the journal is also checked to hold everything a restart needs).
import test from 'ava';
import { RegistryMetrics } from '../metrics.js';
import { openMemoryStorage } from '../storage/memory.js';
import type { SavedAgent, Storage } from '../storage/index.js';
import { RegistryStore } from './index.js';
import type { HeartbeatRequest } from '../../core/wire.js';

/** Small deterministic PRNG (mulberry32), so a failure can be replayed from its seed. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let x = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

const CAPS = ['storage', 'time', 'search', 'llm'];
const TAGS = ['fast', 'slow', 'eu', 'us', 'beta'];
const VERSIONS = ['1.0.0', '1.2.0', '2.0.0', '2.1.0-beta.1', 'latest', undefined];
const RANGES = [undefined, '>=1.0.0', '^2', '1.x', '>=1.1.0 <2.0.0', '>=banana'];

/** Keeps what the journal would let a restart rebuild: each agent's saved state, from the records alone. */
function ledgerStorage(): Storage & { agents: Map<string, SavedAgent> } {
  const agents = new Map<string, SavedAgent>();
  return {
    ...openMemoryStorage(),
    agents,
    write(change) {
      if (change.op === 'agent') agents.set(change.agent.id, structuredClone(change.agent));
      else if (change.op === 'state') Object.assign(agents.get(change.id)!, change.state);
      else if (change.op === 'purge') agents.delete(change.id);
    },
  };
}

function newStore(now: () => number, storage: Storage = ledgerStorage()): RegistryStore {
  return new RegistryStore({ timeoutMs: 1000, retentionMs: 1e9, maxEvents: 1000, storage, metrics: new RegistryMetrics(), log: () => {}, now });
}

function randomRegistration(rand: () => number, id: string): HeartbeatRequest {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rand() * items.length)]!;
  const tags = () => TAGS.filter(() => rand() < 0.3);
  const filter = () => {
    const out: (string | string[])[] = [];
    if (rand() < 0.3) out.push(pick(TAGS));
    if (rand() < 0.3) out.push(`+${pick(TAGS)}`);
    if (rand() < 0.2) out.push(`-${pick(TAGS)}`);
    if (rand() < 0.15) out.push([pick(TAGS), pick(TAGS)]);
    return out;
  };
  const tools = Array.from({ length: 1 + Math.floor(rand() * 3) }, (_, t) => {
    const version = pick(VERSIONS);
    const dependencies = Array.from({ length: Math.floor(rand() * 3) }, () => {
      const range = pick(RANGES);
      return rand() < 0.3 ? pick(CAPS) : { capability: pick(CAPS), tags: filter(), ...(range ? { version: range } : {}) };
    });
    return {
      function_name: `f${t}`,
      ...(rand() < 0.9 ? { capability: pick(CAPS) } : {}),
      ...(version ? { version } : {}),
      tags: tags(),
      dependencies,
    };
  });
  return {
    agent_id: id,
    name: id.split('-')[0],
    http_host: '127.0.0.1',
    http_port: 9000 + Math.floor(rand() * 3),
    tools,
    metadata: { pm_id: Math.floor(rand() * 5) },
    ...(rand() < 0.1 ? { health: { status: 'unhealthy' as const, error: 'down' } } : {}),
  };
}

for (const seed of [1, 2, 3, 4, 5, 6]) {
  test(`incremental resolution equals resolution from scratch (seed ${seed})`, (t) => {
    const rand = random(seed);
    let clock = 1_000_000;
    const ledger = ledgerStorage();
    const store = newStore(() => clock, ledger);
    const ids = Array.from({ length: 25 }, (_, i) => `agent${i}-${String(i).padStart(8, '0')}`);
    let checks = 0;
    for (let step = 0; step < 600; step++) {
      const id = ids[Math.floor(rand() * ids.length)]!;
      const roll = rand();
      if (roll < 0.55) store.register(randomRegistration(rand, id));
      else if (roll < 0.7) store.unregister(id);
      else if (roll < 0.8) store.markProcessExited(Math.floor(rand() * 5));
      else if (roll < 0.9) store.touch(id);
      else {
        clock += 600; // some agents time out
        store.sweep();
      }
      if (step % 3 !== 0) continue;
      const fresh = newStore(() => clock);
      fresh.restore({ agents: [...ledger.agents.values()].map((a) => structuredClone(a)), events: [], nextEventId: 1 }, 'the ledger');
      for (const agentId of ids) {
        const incremental = store.topology(agentId);
        const scratch = fresh.topology(agentId);
        if (JSON.stringify(incremental) !== JSON.stringify(scratch)) {
          t.deepEqual(incremental, scratch, `seed ${seed}, step ${step}, agent ${agentId}`);
          return;
        }
        checks++;
      }
    }
    t.log(`${checks} agent answers compared`);
    t.pass();
  });
}

test('saved agents loaded into a live store (a replica feed) resolve as if loaded at once', (t) => {
  const rand = random(7);
  const clock = 1_000_000;
  const ledger = ledgerStorage();
  const store = newStore(() => clock, ledger);
  const ids = Array.from({ length: 30 }, (_, i) => `agent${i}-${String(i).padStart(8, '0')}`);
  for (let step = 0; step < 200; step++) {
    const id = ids[Math.floor(rand() * ids.length)]!;
    if (rand() < 0.8) store.register(randomRegistration(rand, id));
    else store.unregister(id);
  }
  const saved = () => [...ledger.agents.values()].map((a) => structuredClone(a));
  const atOnce = newStore(() => clock);
  atOnce.restore({ agents: saved(), events: [], nextEventId: 1 }, 'the ledger');
  const inBatches = newStore(() => clock);
  const all = saved();
  inBatches.loadAgents(all.slice(0, 10), 'the ledger');
  inBatches.loadAgents(all.slice(10), 'the ledger');
  inBatches.loadAgents(all.slice(5, 15), 'the ledger'); // replaced by the same state: no change
  for (const id of ids) t.deepEqual(inBatches.topology(id), atOnce.topology(id), id);
});
