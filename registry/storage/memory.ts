// The storage of a registry without a data file: nothing is kept, every change is "durable" at once.
import type { Storage } from './index.js';

export function openMemoryStorage(): Storage {
  return {
    location: ':memory:',
    restore: () => Promise.resolve({ agents: [], events: [], nextEventId: 1 }),
    write() {},
    durable: () => Promise.resolve(),
    healthy: true,
    pendingBytes: 0,
    snapshot: () => Promise.resolve(),
    close: () => Promise.resolve(),
  };
}
