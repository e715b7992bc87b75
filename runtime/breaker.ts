// Per-provider circuit breaker: after `threshold` connection failures in a row a provider gets no more calls,
// until the topology shows it (again) or, after `cooldownMs`, one trial call succeeds.

export interface BreakerOptions {
  threshold?: number;
  cooldownMs?: number;
  now?: () => number;
}

interface Circuit {
  failures: number;
  openedAt?: number;
  trialInFlight: boolean;
}

export type CircuitState = 'closed' | 'open' | 'half-open';

export class CircuitBreaker {
  private readonly circuits = new Map<string, Circuit>();
  private readonly threshold: number;
  private readonly cooldownMs: number;
  private readonly now: () => number;

  constructor(options: BreakerOptions = {}) {
    this.threshold = options.threshold ?? 3;
    this.cooldownMs = options.cooldownMs ?? 10_000;
    this.now = options.now ?? Date.now;
  }

  state(key: string): CircuitState {
    const c = this.circuits.get(key);
    if (!c || c.openedAt === undefined) return 'closed';
    return this.now() - c.openedAt >= this.cooldownMs ? 'half-open' : 'open';
  }

  /** No provider has failed lately: nothing to check (selection's fast path). */
  get quiet(): boolean {
    return this.circuits.size === 0;
  }

  /** Open and not yet due for a trial: selection leaves it out. */
  isOpen(key: string): boolean {
    const c = this.circuits.get(key);
    return c !== undefined && c.openedAt !== undefined && (this.now() - c.openedAt < this.cooldownMs || c.trialInFlight);
  }

  /** May a call go to this provider now? A half-open circuit lets exactly one trial through. */
  allow(key: string): boolean {
    const c = this.circuits.get(key);
    if (!c || c.openedAt === undefined) return true;
    if (this.now() - c.openedAt < this.cooldownMs || c.trialInFlight) return false;
    c.trialInFlight = true;
    return true;
  }

  success(key: string): void {
    this.circuits.delete(key);
  }

  /** Returns true when this failure opened (or re-opened) the circuit. */
  failure(key: string): boolean {
    const c = this.circuits.get(key) ?? { failures: 0, trialInFlight: false };
    this.circuits.set(key, c);
    c.failures += 1;
    const wasTrial = c.trialInFlight;
    c.trialInFlight = false;
    if (wasTrial || c.failures >= this.threshold) {
      c.openedAt = this.now();
      return true;
    }
    return false;
  }

  /** The registry lists these providers as healthy in a new topology: give them a fresh start. */
  reset(keys: Iterable<string>): void {
    for (const key of keys) this.circuits.delete(key);
  }
}
