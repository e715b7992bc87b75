// A row of bar characters for a series of numbers (the dashboard's heartbeat rate).

const BARS = '▁▂▃▄▅▆▇█';

/** The newest `width` values as bar characters scaled to the largest shown; missing history is blank. */
export function sparkline(values: readonly number[], width: number): string {
  if (width <= 0) return '';
  const shown = values.slice(-width);
  const max = Math.max(0, ...shown);
  const bars = shown.map((v) => (max <= 0 ? BARS[0] : BARS[Math.min(BARS.length - 1, Math.round((Math.max(0, v) / max) * (BARS.length - 1)))]));
  return ' '.repeat(width - shown.length) + bars.join('');
}
