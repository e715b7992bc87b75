// The one table: rows collected by each section, printed to stdout and written to bench/results.md.
import { writeFileSync } from 'node:fs';

export interface Row {
  section: 'registry' | 'resolution' | 'agent' | 'spread' | 'tracing' | 'discovery' | 'replicas' | 'gateway';
  metric: string;
  /** Our figure (p50 / p99 for latencies), or why there is none. */
  ours: string;
  /** What the seed's "Performance Characteristics" claims (or the issue's goal), '—' when it says nothing. */
  seed: string;
  /** MCP Mesh Go registry's figure in the same run, or why there is none. */
  go: string;
  /** ours ÷ Go, '—' when not comparable. */
  ratio: string;
  /** Whether our figure meets the seed claim / goal: '✓', '✗' or '—'. */
  met: string;
  /** Detail shown under the table (status codes, sample counts, why a figure is missing). */
  note?: string;
}

const HEADER = ['metric', 'ours', 'seed claim / goal', 'MCP Mesh Go 3.7.1', 'ours ÷ Go', 'met'];

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

export function renderTable(rows: Row[]): string {
  const lines = [`| ${HEADER.join(' | ')} |`, `|${HEADER.map(() => '---').join('|')}|`];
  let section = '';
  for (const row of rows) {
    if (row.section !== section) {
      section = row.section;
      lines.push(`| **${section}** | | | | | |`);
    }
    lines.push(`| ${[row.metric, row.ours, row.seed, row.go, row.ratio, row.met].map(cell).join(' | ')} |`);
  }
  return lines.join('\n');
}

export function renderNotes(rows: Row[]): string {
  return rows
    .filter((row) => row.note)
    .map((row) => `- ${row.metric}: ${row.note}`)
    .join('\n');
}

export function ratio(ours: number, go: number): string {
  if (!Number.isFinite(ours) || !Number.isFinite(go) || go === 0) return '—';
  const r = ours / go;
  return `${r >= 0.1 ? r.toFixed(2) : r.toPrecision(2)}×`;
}

export function check(ok: boolean | undefined): string {
  return ok === undefined ? '—' : ok ? '✓' : '✗';
}

export function writeResults(path: string, header: string, rows: Row[]): void {
  const notes = renderNotes(rows);
  writeFileSync(path, `${header}\n\n${renderTable(rows)}\n${notes ? `\n### Notes\n\n${notes}\n` : ''}`);
}
