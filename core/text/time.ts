// Times as the CLI and the dashboard show them: durations, ages, clock times.

/**
 * A duration in seconds: `42s`, `5m07s`, `3h05m`, `2d4h`; `short` keeps only the largest unit (`5m`, `3h`) and
 * counts hours up to two days, for narrow columns.
 */
export function duration(seconds: number, { short = false } = {}): string {
  if (!Number.isFinite(seconds) || seconds < 0) return short ? '0s' : '-';
  const s = Math.floor(seconds);
  if (s < 60) return `${s}s`;
  if (short) {
    if (s < 3600) return `${Math.floor(s / 60)}m`;
    if (s < 48 * 3600) return `${Math.floor(s / 3600)}h`;
    return `${Math.floor(s / 86400)}d`;
  }
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  if (s < 86400) return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
  return `${Math.floor(s / 86400)}d${Math.floor((s % 86400) / 3600)}h`;
}

/** How long ago an ISO time was: `5m07s ago`, or `-` when there is none. */
export function ago(iso: string | undefined, now = Date.now()): string {
  if (!iso) return '-';
  const at = Date.parse(iso);
  if (Number.isNaN(at)) return '-';
  return `${duration(Math.max(0, (now - at) / 1000))} ago`;
}

/** The local time of a timestamp, HH:MM:SS, or the text itself when it is not a date. */
export function clock(timestamp: string): string {
  const ms = Date.parse(timestamp);
  if (Number.isNaN(ms)) return timestamp;
  const d = new Date(ms);
  return [d.getHours(), d.getMinutes(), d.getSeconds()].map((n) => String(n).padStart(2, '0')).join(':');
}
