// Tables in columns counted by display width (wide characters align). Two layouts over the same cell fitting:
// renderTable for command output (columns shrink to the terminal, widest first; nothing is cut when the output is
// not a terminal), and fitColumns + row for the dashboard's panes (a fixed width shared by min/max rules).
import type { Painter, Tone } from './colour.js';
import { displayWidth, fit, pad, sanitize, truncate } from './width.js';

export interface Column {
  header: string;
  align?: 'left' | 'right';
  /** Narrowest this column may become (default: its header's width, at least 4). */
  min?: number;
  /** Decorates a padded cell (colour); gets the cell's plain value too. */
  style?: (padded: string, value: string) => string;
}

const GAP = '  ';

/** The width to fit: the terminal's, or $COLUMNS, or none (not a terminal: do not cut). */
export function outputWidth(stream: NodeJS.WriteStream = process.stdout): number | undefined {
  if (stream.isTTY && stream.columns) return stream.columns;
  const columns = Number(process.env.COLUMNS);
  return Number.isInteger(columns) && columns > 0 ? columns : undefined;
}

export function columnWidths(columns: Column[], rows: string[][], width?: number): number[] {
  const widths = columns.map((column, i) => Math.max(displayWidth(column.header), ...rows.map((row) => displayWidth(row[i] ?? ''))));
  if (width === undefined) return widths;
  const mins = columns.map((column, i) => Math.min(widths[i]!, column.min ?? Math.max(displayWidth(column.header), 4)));
  let total = widths.reduce((sum, w) => sum + w, 0) + GAP.length * (columns.length - 1);
  while (total > width) {
    let widest = -1;
    for (let i = 0; i < widths.length; i++) {
      if (widths[i]! > mins[i]! && (widest === -1 || widths[i]! > widths[widest]!)) widest = i;
    }
    if (widest === -1) break;
    widths[widest]!--;
    total--;
  }
  return widths;
}

export function renderTable(columns: Column[], rows: string[][], width: number | undefined = outputWidth()): string {
  const widths = columnWidths(columns, rows, width);
  const line = (cells: string[], header: boolean) =>
    columns
      .map((column, i) => {
        const value = cells[i] ?? '';
        const padded = pad(truncate(value, widths[i]!), widths[i]!, column.align);
        return !header && column.style ? column.style(padded, value) : padded;
      })
      .join(GAP)
      .trimEnd();
  return `${[
    line(
      columns.map((column) => column.header),
      true,
    ),
    ...rows.map((row) => line(row, false)),
  ].join('\n')}\n`;
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
  return specs.map((s, i) => Math.max(displayWidth(s.title), ...rows.map((r) => displayWidth(sanitize(r[i]?.text ?? '')))));
}

/** Lays out one row: each cell fitted to its column, then painted (painting after fitting keeps widths exact). */
export function row(
  cells: readonly { text: string; tone?: Tone | null }[],
  widths: readonly number[],
  specs: readonly ColumnSpec[],
  paint: Painter,
): string {
  const parts: string[] = [];
  cells.forEach((cell, i) => {
    const w = widths[i] ?? 0;
    if (w > 0) parts.push(paint(fit(cell.text, w, specs[i]?.align), cell.tone ?? null));
  });
  return parts.join(' ');
}
