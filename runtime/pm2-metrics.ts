// An agent's mesh metrics in `pm2 show <agent>` and `pm2 monit`, through PM2's own channel (core/pm2-io.ts): calls
// served and dependency calls per second, errors, p95 latency, dependencies resolved x/y, the registry link.
import { CounterRate, sendMetrics, type Pm2Metric } from '../core/pm2-io.js';
import type { CallStats } from './tracing/call-stats.js';

/** How often PM2 gets new values (@pm2/io sends about once a second; a little less often is plenty). */
const REPORT_MS = 2_000;

export interface AgentMetricSource {
  stats: CallStats;
  dependencies(): { resolved: number; total: number };
  registry(): string;
}

/** The metrics as PM2 shows them, rates from the counters' growth since the last report. */
export function agentMetrics(source: AgentMetricSource, rates: { served: CounterRate; calls: CounterRate }, at: number): Record<string, Pm2Metric> {
  const { served, calls } = source.stats;
  const deps = source.dependencies();
  return {
    'Calls served/s': { value: round(rates.served.next(served.total, at)), unit: 'req/s' },
    'Dependency calls/s': { value: round(rates.calls.next(calls.total, at)), unit: 'req/s' },
    Errors: { value: served.errors + calls.errors, unit: `(served ${served.errors}, calls ${calls.errors})` },
    'p95 latency': { value: round(served.latency.quantile(0.95)), unit: 'ms' },
    Dependencies: { value: `${deps.resolved}/${deps.total}`, unit: 'resolved' },
    Registry: { value: source.registry() },
  };
}

/** Reports every REPORT_MS until the returned function is called. */
export function reportToPm2(source: AgentMetricSource): () => void {
  const rates = { served: new CounterRate(), calls: new CounterRate() };
  const report = () => sendMetrics(agentMetrics(source, rates, Date.now()));
  report();
  const timer = setInterval(report, REPORT_MS);
  timer.unref();
  return () => clearInterval(timer);
}

const round = (n: number) => Math.round(n * 10) / 10;
