// Text primitives of the dashboard: fitting text into cells, colouring it (or not), ages and sparklines. Pure.

export type Tone = 'good' | 'bad' | 'warn' | 'info' | 'dim' | 'strong';

const SGR: Record<Tone, [string, string]> = {
  good: ['\x1b[32m', '\x1b[39m'],
  bad: ['\x1b[31m', '\x1b[39m'],
  warn: ['\x1b[33m', '\x1b[39m'],
  info: ['\x1b[36m', '\x1b[39m'],
  // Plain on purpose: bright black is black on 8-colour terminals (blessed falls back to 8 for unknown TERMs).
  dim: ['', ''],
  strong: ['\x1b[1m', '\x1b[22m'],
};

/** Colours text with an SGR sequence, or leaves it plain when colour is off (NO_COLOR). */
export type Painter = (text: string, tone: Tone | null) => string;

export function painter(color: boolean): Painter {
  if (!color) return (text) => text;
  return (text, tone) => (tone && text !== '' ? SGR[tone][0] + text + SGR[tone][1] : text);
}

/** Whether colour is wanted: https://no-color.org — NO_COLOR set to anything but '' turns it off. */
export function colorWanted(env: NodeJS.ProcessEnv): boolean {
  return env.NO_COLOR === undefined || env.NO_COLOR === '';
}

/** Removes control characters (a registry field must not move the cursor or change colours). */
export function sanitize(text: string): string {
  return text.replace(/[\x00-\x1f\x7f-\x9f]/g, ' ');
}

/** Cuts or pads plain text to exactly `width` columns; a cut ends with an ellipsis. */
export function fit(text: string, width: number, align: 'left' | 'right' = 'left'): string {
  if (width <= 0) return '';
  const clean = sanitize(text);
  if (clean.length > width) return width === 1 ? '…' : clean.slice(0, width - 1) + '…';
  return align === 'left' ? clean.padEnd(width) : clean.padStart(width);
}

/** Cuts plain text to at most `width` columns without padding. */
export function clip(text: string, width: number): string {
  const clean = sanitize(text);
  return clean.length > width ? (width <= 1 ? '…'.slice(0, Math.max(0, width)) : clean.slice(0, width - 1) + '…') : clean;
}

/** A short age: 0s … 59s, 1m … 59m, 1h … 47h, then days. */
export function formatAge(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  if (s < 48 * 3600) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86400)}d`;
}

/** HH:MM:SS of a timestamp in local time, or the raw text when it is not a date. */
export function formatClock(timestamp: string): string {
  const ms = Date.parse(timestamp);
  if (Number.isNaN(ms)) return clip(timestamp, 8);
  const d = new Date(ms);
  return [d.getHours(), d.getMinutes(), d.getSeconds()].map((n) => String(n).padStart(2, '0')).join(':');
}

const BARS = '▁▂▃▄▅▆▇█';

/** The newest `width` values as bar characters scaled to the largest shown; missing history is blank. */
export function sparkline(values: readonly number[], width: number): string {
  if (width <= 0) return '';
  const shown = values.slice(-width);
  const max = Math.max(0, ...shown);
  const bars = shown.map((v) => (max <= 0 ? BARS[0] : BARS[Math.min(BARS.length - 1, Math.round((Math.max(0, v) / max) * (BARS.length - 1)))]));
  return ' '.repeat(width - shown.length) + bars.join('');
}

export interface ColumnSpec {
  title: string;
  /** Columns it never goes below (unless the whole width is smaller than the minimums). */
  min: number;
  /** Columns it never grows beyond. */
  max: number;
  align?: 'left' | 'right';
  /** When even the minimums do not fit, higher numbers shrink first (default: rightmost first). */
  shrinkOrder?: number;
  /** Who gets room for its content first: lower numbers first (default: the column's position). */
  growOrder?: number;
}

/**
 * Column widths for a table `width` columns wide with one space between columns. Every column gets its
 * minimum; the rest goes first to columns narrower than their `desired` width (their widest content),
 * by `growOrder`, then one column at a time to any column up to its maximum. When even the minimums do not fit,
 * columns shrink by `shrinkOrder`, then rightmost first (down to 0, i.e. hidden).
 */
export function fitColumns(specs: readonly ColumnSpec[], width: number, desired: readonly number[] = []): number[] {
  const gaps = Math.max(0, specs.length - 1);
  const widths = specs.map((s) => s.min);
  let spare = width - gaps - widths.reduce((a, b) => a + b, 0);
  const cutOrder = specs.map((_, i) => i).sort((a, b) => (specs[b]!.shrinkOrder ?? 0) - (specs[a]!.shrinkOrder ?? 0) || b - a);
  for (const i of cutOrder) {
    if (spare >= 0) break;
    const cut = Math.min(widths[i]!, -spare);
    widths[i]! -= cut;
    spare += cut;
    if (widths[i] === 0 && gaps > 0) spare++; // a hidden column needs no gap either
  }
  // Room for content first, by growOrder; then any remaining room, round robin.
  const growOrder = specs.map((_, i) => i).sort((a, b) => (specs[a]!.growOrder ?? a) - (specs[b]!.growOrder ?? b));
  for (const i of growOrder) {
    if (spare <= 0) break;
    const want = widths[i]! > 0 ? Math.min(specs[i]!.max, desired[i] ?? 0) - widths[i]! : 0;
    const give = Math.max(0, Math.min(want, spare));
    widths[i]! += give;
    spare -= give;
  }
  let grew = true;
  while (spare > 0 && grew) {
    grew = false;
    for (let i = 0; i < widths.length && spare > 0; i++) {
      if (widths[i]! > 0 && widths[i]! < specs[i]!.max) {
        widths[i]!++;
        spare--;
        grew = true;
      }
    }
  }
  return widths;
}

/** The widest text of each column (title included), the `desired` widths of fitColumns. */
export function contentWidths(specs: readonly ColumnSpec[], rows: readonly { text: string }[][]): number[] {
  return specs.map((s, i) => Math.max(s.title.length, ...rows.map((r) => sanitize(r[i]?.text ?? '').length)));
}

/** Lays out one row: each cell fitted to its column, then painted (painting after fitting keeps widths exact). */
export function row(cells: readonly { text: string; tone?: Tone | null }[], widths: readonly number[], specs: readonly ColumnSpec[], paint: Painter): string {
  const parts: string[] = [];
  cells.forEach((cell, i) => {
    const w = widths[i] ?? 0;
    if (w > 0) parts.push(paint(fit(cell.text, w, specs[i]?.align), cell.tone ?? null));
  });
  return parts.join(' ');
}
