// One-line log output for an agent: `[mesh] <agent_id> <message>`, so that `pm2 logs` shows the mesh at a glance,
// or one JSON object per line (MCP_MESH_LOG_FORMAT=json: time, level, agent_id, kind, msg) for log shippers.
// Heartbeat and topology lines are a contract (greppable on stdout); other warnings and errors go to stderr.
import { jsonLine, type LogFormat, type LogLevel } from '../core/log-format.js';

export type { LogLevel } from '../core/log-format.js';

export const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];

const rank: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

export interface LoggerOptions {
  level: LogLevel;
  /** false: no heartbeat success lines (failures still show). */
  heartbeats: boolean;
  /** Where lines go; tests capture them. */
  write?: (stream: 'stdout' | 'stderr', line: string) => void;
  /** Default text. */
  format?: LogFormat;
}

export class Logger {
  private prefix: string;
  private readonly out: (stream: 'stdout' | 'stderr', line: string) => void;

  constructor(
    private readonly agentId: string,
    private readonly options: LoggerOptions,
  ) {
    this.prefix = `[mesh] ${agentId}`;
    this.out = options.write ?? ((stream, line) => process[stream].write(line + '\n'));
  }

  /** One line: `[mesh] <id> <kind> <message>`, or its JSON form. */
  private write(stream: 'stdout' | 'stderr', level: LogLevel, message: string, kind?: 'heartbeat' | 'topology'): void {
    if (this.options.format === 'json') {
      this.out(stream, jsonLine(level, message, kind ? { agent_id: this.agentId, kind } : { agent_id: this.agentId }));
    } else {
      this.out(stream, `${this.prefix} ${kind ? `${kind} ` : ''}${message}`);
    }
  }

  enabled(level: LogLevel): boolean {
    return rank[level] >= rank[this.options.level];
  }

  debug(message: string): void {
    if (this.enabled('debug')) this.write('stdout', 'debug', message);
  }
  info(message: string): void {
    if (this.enabled('info')) this.write('stdout', 'info', message);
  }
  warn(message: string): void {
    if (this.enabled('warn')) this.write('stderr', 'warn', message);
  }
  error(message: string): void {
    if (this.enabled('error')) this.write('stderr', 'error', message);
  }

  /**
   * `[mesh] <id> heartbeat <outcome>` on stdout. `routine` lines (a HEAD 200) obey MCP_MESH_LOG_HEARTBEATS and
   * are shown at info only when `loud`; problems always show at warn level.
   */
  heartbeat(outcome: string, kind: 'routine' | 'change' | 'problem', loud = false): void {
    const level: LogLevel = kind === 'problem' ? 'warn' : kind === 'routine' && !loud ? 'debug' : 'info';
    if (kind !== 'problem' && !this.options.heartbeats) return;
    if (this.enabled(level)) this.write('stdout', level, outcome, 'heartbeat');
  }

  /** `[mesh] <id> topology <hash8> <summary>` on stdout, once per rewire. */
  topology(hash: string, summary: string): void {
    if (this.enabled('info')) this.write('stdout', 'info', `${hash.slice(0, 8)} ${summary}`, 'topology');
  }
}

/** Short text of an error, with the network cause (ECONNREFUSED …) when fetch hides it. */
export function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = (error as { cause?: unknown }).cause;
  if (cause instanceof Error) {
    const detail = (cause as { code?: string }).code ?? cause.message;
    return error.message.includes(detail) ? error.message : `${error.message} (${detail})`;
  }
  return error.message;
}
