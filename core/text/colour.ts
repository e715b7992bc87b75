// Colour for the CLI and the dashboard: a few tones as SGR sequences, or none at all when colour is off.

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

/** Colours text with a tone, or leaves it plain when colour is off. Paint after fitting: SGR takes no columns. */
export type Painter = (text: string, tone: Tone | null) => string;

export function painter(color: boolean): Painter {
  if (!color) return (text) => text;
  return (text, tone) => (tone && text !== '' ? SGR[tone][0] + text + SGR[tone][1] : text);
}

/** Whether colour is wanted: https://no-color.org — NO_COLOR set to anything but '' turns it off; so does TERM=dumb. */
export function colorWanted(env: NodeJS.ProcessEnv): boolean {
  return (env.NO_COLOR === undefined || env.NO_COLOR === '') && env.TERM !== 'dumb';
}

/** Colour on a stream: a terminal, and wanted. */
export function colorEnabled(stream: NodeJS.WriteStream = process.stdout, env: NodeJS.ProcessEnv = process.env): boolean {
  return !!stream.isTTY && colorWanted(env);
}

/** The tone of a status word: healthy/online green, unhealthy/stopped/errored red, anything else yellow. */
export function statusTone(status: string): Tone | null {
  if (/^(healthy|online|available)$/.test(status)) return 'good';
  if (/^(unhealthy|stopped|errored|unresolved|unreachable|missing)$/.test(status)) return 'bad';
  return status ? 'warn' : null;
}

/** Paints for stdout (colour only on a terminal). */
export function paint(text: string, tone: Tone | null): string {
  return painter(colorEnabled())(text, tone);
}

/** A padded status cell coloured by its plain value: the `style` of a status column. */
export function paintStatus(padded: string, value: string): string {
  return paint(padded, statusTone(value));
}

/** The tone of an event type, the same in `pm2-mesh events` and the dashboard's log. */
export function eventTone(type: string): Tone {
  if (type === 'register' || type === 'healthy') return 'good';
  if (type === 'unhealthy' || type === 'expired' || type === 'refused') return 'bad';
  return type === 'unregister' ? 'warn' : 'info';
}
