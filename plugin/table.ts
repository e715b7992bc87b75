// Plain-text tables that fit the terminal: columns shrink (widest first, cells cut with "…") until the
// table fits; when output is not a terminal nothing is cut, so scripts see whole values.

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
  const widths = columns.map((column, i) => Math.max(column.header.length, ...rows.map((row) => (row[i] ?? '').length)));
  if (width === undefined) return widths;
  const mins = columns.map((column) => Math.min(widths[columns.indexOf(column)]!, column.min ?? Math.max(column.header.length, 4)));
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

export function truncate(text: string, width: number): string {
  if (text.length <= width) return text;
  return width <= 1 ? text.slice(0, width) : `${text.slice(0, width - 1)}…`;
}

export function renderTable(columns: Column[], rows: string[][], width: number | undefined = outputWidth()): string {
  const widths = columnWidths(columns, rows, width);
  const line = (cells: string[], header: boolean) =>
    columns
      .map((column, i) => {
        const value = cells[i] ?? '';
        const cut = truncate(value, widths[i]!);
        const padded = column.align === 'right' ? cut.padStart(widths[i]!) : cut.padEnd(widths[i]!);
        return !header && column.style ? column.style(padded, value) : padded;
      })
      .join(GAP)
      .trimEnd();
  return [line(columns.map((column) => column.header), true), ...rows.map((row) => line(row, false))].join('\n') + '\n';
}
