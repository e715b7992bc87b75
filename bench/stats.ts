// Percentiles and number formatting for the table.

/** A timed run of calls, as the bench agent measures it in process and the agent rows read it. */
export interface Timing {
  calls: number;
  seconds: number;
  perSecond: number;
  p50Us: number;
  p99Us: number;
  meanUs: number;
}

/** The q-quantile (0..1) of `values` by nearest rank; NaN when empty. */
export function percentile(values: number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = Float64Array.from(values).sort();
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank]!;
}

/** 3 significant digits, thousands separated by a thin space as in the seed's "10 000". */
export function num(value: number, digits = 3): string {
  if (!Number.isFinite(value)) return 'n/a';
  const abs = Math.abs(value);
  const rounded = abs >= 10 ** digits ? Math.round(value) : Number(value.toPrecision(digits));
  const [whole, fraction] = String(Math.abs(rounded)).split('.');
  const grouped = whole!.replace(/\B(?=(\d{3})+(?!\d))/g, ' ');
  return `${rounded < 0 ? '-' : ''}${grouped}${fraction ? `.${fraction}` : ''}`;
}

/** A latency in ms, switching to µs below 1 ms. */
export function ms(value: number): string {
  if (!Number.isFinite(value)) return 'n/a';
  return value < 1 ? `${num(value * 1000)} µs` : `${num(value)} ms`;
}

export function bytes(value: number): string {
  if (!Number.isFinite(value)) return 'n/a';
  if (Math.abs(value) >= 1024 * 1024) return `${num(value / 1024 / 1024)} MB`;
  if (Math.abs(value) >= 1024) return `${num(value / 1024)} KB`;
  return `${num(value)} B`;
}

export function p50p99(values: number[]): string {
  return `${ms(percentile(values, 0.5))} / ${ms(percentile(values, 0.99))}`;
}
