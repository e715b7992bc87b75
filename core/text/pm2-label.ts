// How an agent's PM2 process is named on screen: the app as `name#pm_id`, as `pm2 ls` shows it.

export interface Pm2Identity {
  name?: string;
  pmId?: number;
  pid?: number;
  /** pm_ids of the processes serving one agent when there are several (the workers of a cluster-mode app). */
  workers?: number[];
}

/**
 * `weather-fast#2` (`api#3,4` for a cluster app's workers), with ` 1141` (its pid) when `withPid`; outside PM2 only the pid is known: `pid 1141`.
 * `-` when there is nothing to show.
 */
export function pm2Label(p: Pm2Identity | null | undefined, { withPid = false } = {}): string {
  if (!p) return '-';
  // A cluster app: one agent, its workers' pm_ids, as `pm2 ls` lists them.
  if (p.workers && p.workers.length > 1) {
    const app = `${p.name ?? ''}#${p.workers.join(',')}`;
    return withPid ? `${app} ×${p.workers.length}` : app;
  }
  const app = p.name !== undefined ? (p.pmId !== undefined ? `${p.name}#${p.pmId}` : p.name) : p.pmId !== undefined ? `#${p.pmId}` : '';
  if (!withPid) return app || '-';
  // Outside PM2 the runtime still reports its pid: say what the number is.
  if (app === '') return p.pid !== undefined ? `pid ${p.pid}` : '-';
  return p.pid !== undefined ? `${app} ${p.pid}` : app;
}
