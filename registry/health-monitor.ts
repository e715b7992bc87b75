// When the store's health sweep runs. An agent turns unhealthy at its deadline (last heard + timeout), not up to
// a sweep interval later: one timer, set for the earliest deadline the last sweep saw, or for a sooner one a
// registration brings, and never further away than health_interval (the purge and event-log cadence).
// HEAD heartbeats only move deadlines later, so they never touch the timer: HEAD stays one map lookup.

/** Sweeps at least this far apart, however many deadlines fall close together. */
export const MIN_SWEEP_GAP_MS = 100;

export class HealthMonitor {
  private timer: NodeJS.Timeout | null = null;
  /** When the timer fires (ms since epoch); Infinity when none is set. */
  private dueAt = Infinity;
  private lastSweep = -Infinity;
  private stopped = false;

  /**
   * `sweep` times out silent agents and answers the earliest deadline still ahead (ms since epoch), or null
   * when no agent can time out.
   */
  constructor(
    private readonly sweep: () => number | null,
    private readonly intervalMs: number,
    private readonly now: () => number = Date.now,
    private readonly minGapMs = MIN_SWEEP_GAP_MS,
  ) {}

  /** Sweeps now, then keeps sweeping at the deadlines. */
  start(): void {
    this.stopped = false;
    this.run();
  }

  /** An agent was heard from: its deadline may come before the planned sweep (a new agent, a short timeout). */
  expect(deadline: number): void {
    if (deadline < this.dueAt) this.plan(deadline);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.dueAt = Infinity;
  }

  /** When the next sweep is due (ms since epoch), for tests and metrics. */
  get nextSweepAt(): number {
    return this.dueAt;
  }

  private run(): void {
    this.timer = null;
    this.dueAt = Infinity;
    if (this.stopped) return;
    const next = this.sweep();
    this.lastSweep = this.now();
    this.plan(Math.min(next ?? Infinity, this.lastSweep + this.intervalMs));
  }

  private plan(at: number): void {
    if (this.stopped) return;
    const due = Math.max(at, this.lastSweep + this.minGapMs);
    if (this.timer) clearTimeout(this.timer);
    this.dueAt = due;
    // +1 ms: a timer may fire within the millisecond before Date.now() reaches the deadline.
    this.timer = setTimeout(() => this.run(), Math.max(0, due - this.now()) + 1);
    this.timer.unref();
  }
}
