// Counts of the calls an agent serves and makes, and their recent latencies: what `pm2 monit`, `pm2 show` and the
// agent's /metrics report. Kept whether or not spans are recorded; fixed memory (two rings of durations).
import { LATENCY_BUCKETS_S } from '../../core/defaults.js';

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

export interface Direction {
  /** Calls finished. */
  total: number;
  /** Finished with any outcome but ok. */
  errors: number;
  /** Sum of durations, seconds (the Prometheus histogram's _sum). */
  seconds: number;
  readonly latency: LatencyWindow;
  /** Prometheus histogram buckets (cumulative counts are built when rendered). */
  readonly buckets: number[];
}

function direction(): Direction {
  return { total: 0, errors: 0, seconds: 0, latency: new LatencyWindow(), buckets: new Array(LATENCY_BUCKETS_S.length + 1).fill(0) };
}

export class CallStats {
  /** Tool calls this agent served (remote and self-proxy calls). */
  readonly served = direction();
  /** Dependency calls this agent made. */
  readonly calls = direction();

  record(kind: 'server' | 'client', ms: number, failed: boolean): void {
    const d = kind === 'server' ? this.served : this.calls;
    d.total += 1;
    if (failed) d.errors += 1;
    d.seconds += ms / 1000;
    d.latency.add(ms);
    let i = 0;
    while (i < LATENCY_BUCKETS_S.length && ms / 1000 > LATENCY_BUCKETS_S[i]!) i++;
    d.buckets[i]! += 1;
  }
}
