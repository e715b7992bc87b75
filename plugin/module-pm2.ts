// The module in `pm2 show mesh` and `pm2 monit`, through PM2's own channel (core/pm2-io.ts): its settings (empty ones
// empty, the token masked), the mesh's health as metrics (agents healthy/total, heartbeats/s, registrations/min),
// and actions for `pm2 trigger mesh <action>`: snapshot (save the data file now), purge_unhealthy.
import { CounterRate, registerAction, sendConfiguration, sendMetrics, type Pm2Metric } from '../core/pm2-io.js';
import type { Registry } from '../registry/index.js';
import { CONFIG_KEYS, type ConfigKey } from './config.js';

const REPORT_MS = 2_000;
/** What `pm2 show mesh` prints for a token that is set. */
export const MASKED = '•••••• (set)';

/** The settings as `pm2 show mesh` prints them: each key, '' when unset, the token masked. */
export function displaySettings(raw: Record<ConfigKey, string>): Record<string, string> {
  const shown: Record<string, string> = {};
  for (const key of CONFIG_KEYS) shown[key] = key === 'token' && raw[key] !== '' ? MASKED : raw[key];
  return shown;
}

export function moduleMetrics(
  stats: ReturnType<Registry['stats']>,
  rates: { heartbeats: CounterRate; registrations: CounterRate },
  at: number,
): Record<string, Pm2Metric> {
  return {
    'Agents healthy': { value: `${stats.agents.healthy}/${stats.agents.total}` },
    'Heartbeats/s': { value: round(rates.heartbeats.next(stats.heartbeats, at)), unit: 'hb/s' },
    'Registrations/min': { value: round(rates.registrations.next(stats.registrations, at) * 60), unit: 'reg/min' },
  };
}

/** Announces the settings and actions, then reports the metrics every REPORT_MS; returns the stop function. */
export function reportModuleToPm2(registry: Registry, raw: Record<ConfigKey, string>, log: (line: string) => void): () => void {
  sendConfiguration({ module_conf: displaySettings(raw) });
  registerAction('snapshot', async () => {
    const where = await registry.snapshot();
    log(`[mesh] pm2 trigger snapshot: saved ${where}`);
    return { saved: where, agents: registry.stats().agents };
  });
  registerAction('purge_unhealthy', async () => {
    const purged = await registry.purgeUnhealthy();
    log(`[mesh] pm2 trigger purge_unhealthy: purged ${purged.length} agent(s)${purged.length ? `: ${purged.join(', ')}` : ''}`);
    return { purged };
  });
  const rates = { heartbeats: new CounterRate(), registrations: new CounterRate() };
  const report = () => sendMetrics(moduleMetrics(registry.stats(), rates, Date.now()));
  report();
  const timer = setInterval(report, REPORT_MS);
  timer.unref();
  return () => clearInterval(timer);
}

const round = (n: number) => Math.round(n * 10) / 10;
