// Counts of the calls an agent serves and makes, and their recent latencies: what `pm2 monit`, `pm2 show` and the
// agent's /metrics report. Kept whether or not spans are recorded; fixed memory (two rings of durations).
import { Histogram } from '../../core/histogram.js';

/** Recent durations kept per direction, for the percentiles. */
const WINDOW = 512;

export class LatencyWindow {
  private readonly values = new Float64Array(WINDOW);
  private count = 0;

  add(ms: number): void {
    this.values[this.count++ % WINDOW] = ms;
  }

  /** The q-quantile (0..1) of the recent durations, in ms; 0 before any. */
  quantile(q: number): number {
    const n = Math.min(this.count, WINDOW);
    if (n === 0) return 0;
    const sorted = this.values.slice(0, n).sort();
    return sorted[Math.min(n - 1, Math.ceil(q * n) - 1)]!;
  }
}

export class Direction {
  /** Calls finished. */
  total = 0;
  /** Finished with any outcome but ok. */
  errors = 0;
  readonly latency = new LatencyWindow();
  readonly histogram = new Histogram();
}

export class CallStats {
  /** Tool calls this agent served (remote and self-proxy calls). */
  readonly served = new Direction();
  /** Dependency calls this agent made. */
  readonly calls = new Direction();

  record(kind: 'server' | 'client', ms: number, failed: boolean): void {
    const d = kind === 'server' ? this.served : this.calls;
    d.total += 1;
    if (failed) d.errors += 1;
    d.latency.add(ms);
    d.histogram.observe(ms / 1000);
  }
}
