// Small text formatters shared by the commands: relative times, durations, colours (only on a terminal).
import { styleText } from 'node:util';

type Colour = 'green' | 'red' | 'yellow' | 'gray' | 'bold' | 'cyan';

export function colourEnabled(stream: NodeJS.WriteStream = process.stdout): boolean {
  return !!stream.isTTY && !process.env.NO_COLOR && process.env.TERM !== 'dumb';
}

export function paint(colour: Colour, text: string): string {
  return colourEnabled() ? styleText(colour, text) : text;
}

/** Colours a status word: healthy/online green, unhealthy/stopped/errored red, the rest yellow. */
export function paintStatus(padded: string, value: string): string {
  if (/^(healthy|online|available)$/.test(value)) return paint('green', padded);
  if (/^(unhealthy|stopped|errored|unresolved|unreachable|missing)$/.test(value)) return paint('red', padded);
  return value ? paint('yellow', padded) : padded;
}

export function duration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '-';
  if (seconds < 60) return `${Math.floor(seconds)}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m${String(Math.floor(seconds % 60)).padStart(2, '0')}s`;
  if (seconds < 86400) return `${Math.floor(seconds / 3600)}h${String(Math.floor((seconds % 3600) / 60)).padStart(2, '0')}m`;
  return `${Math.floor(seconds / 86400)}d${Math.floor((seconds % 86400) / 3600)}h`;
}

export function ago(iso: string | undefined, now = Date.now()): string {
  if (!iso) return '-';
  const at = Date.parse(iso);
  if (Number.isNaN(at)) return '-';
  return `${duration(Math.max(0, (now - at) / 1000))} ago`;
}

/** The local time of an ISO timestamp, HH:MM:SS, for event lines. */
export function clock(iso: string): string {
  const at = new Date(iso);
  return Number.isNaN(at.getTime()) ? iso : at.toTimeString().slice(0, 8);
}
