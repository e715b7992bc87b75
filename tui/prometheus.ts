// Reads the few numbers the dashboard needs from the registry's Prometheus text (GET /metrics).

export interface MetricSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const SAMPLE_LINE = /^([A-Za-z_:][A-Za-z0-9_:]*)(\{(.*)\})?\s+(\S+)/;
const LABEL = /([A-Za-z_][A-Za-z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

/** Parses the text exposition format; comment and malformed lines are skipped. */
export function parsePrometheusText(text: string): MetricSample[] {
  const samples: MetricSample[] = [];
  for (const line of text.split('\n')) {
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    const m = SAMPLE_LINE.exec(trimmed);
    if (!m) continue;
    const value = Number(m[4]);
    if (Number.isNaN(value)) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[3] ?? '').matchAll(LABEL)) labels[l[1]!] = l[2]!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    samples.push({ name: m[1]!, labels, value });
  }
  return samples;
}

/** Our registry's counter (POST and HEAD heartbeats, by `kind`). */
export const HEARTBEAT_COUNTER = 'mesh_registry_heartbeats_total';

/**
 * The heartbeat counter summed over its labels: ours, else the first counter whose name mentions
 * heartbeats for other registries, or null when there is none.
 */
export function heartbeatCounter(samples: readonly MetricSample[]): number | null {
  const isHeartbeatCounter = (n: string) => /heartbeat/i.test(n) && n.endsWith('_total');
  const names = samples.map((s) => s.name);
  const name = names.find((n) => n === HEARTBEAT_COUNTER) ?? names.find(isHeartbeatCounter);
  if (name === undefined) return null;
  return samples.filter((s) => s.name === name).reduce((sum, s) => sum + s.value, 0);
}
