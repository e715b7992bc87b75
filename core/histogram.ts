// A latency histogram in Prometheus's terms (per-bucket counts, sum, count) and its text exposition; one kit for the
// registry's and the agents' /metrics.
import { LATENCY_BUCKETS_S } from './defaults.js';

export class Histogram {
  /** Per bound of LATENCY_BUCKETS_S, then +Inf: not cumulative (the exposition adds them up). */
  readonly counts = new Array<number>(LATENCY_BUCKETS_S.length + 1).fill(0);
  count = 0;
  /** Seconds. */
  sum = 0;

  observe(seconds: number): void {
    let i = 0;
    while (i < LATENCY_BUCKETS_S.length && seconds > LATENCY_BUCKETS_S[i]!) i++;
    this.counts[i]! += 1;
    this.count += 1;
    this.sum += seconds;
  }

  /** The `_bucket`, `_sum` and `_count` samples; `labels` without braces, e.g. `route="/agents"` ('' for none). */
  samples(name: string, labels: string): string[] {
    const lines: string[] = [];
    const sep = labels ? `${labels},` : '';
    let cumulative = 0;
    LATENCY_BUCKETS_S.forEach((bound, i) => {
      cumulative += this.counts[i]!;
      lines.push(`${name}_bucket{${sep}le="${bound}"} ${cumulative}`);
    });
    lines.push(`${name}_bucket{${sep}le="+Inf"} ${this.count}`);
    const braces = labels ? `{${labels}}` : '';
    lines.push(`${name}_sum${braces} ${this.sum}`, `${name}_count${braces} ${this.count}`);
    return lines;
  }
}

/** `# HELP` and `# TYPE` lines of a metric family. */
export function metricHead(name: string, type: 'counter' | 'gauge' | 'histogram' | 'summary', help: string): string[] {
  return [`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`];
}

/** A label value as the exposition format wants it. */
export function labelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}
