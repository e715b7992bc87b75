// How mesh processes write their log lines: plain text (PM2 adds the time when the app sets log_date_format, as the
// ecosystem file does), or one JSON object per line for log shippers (MCP_MESH_LOG_FORMAT=json).

export type LogFormat = 'text' | 'json';
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export function logFormat(env: NodeJS.ProcessEnv = process.env): LogFormat {
  const value = env.MCP_MESH_LOG_FORMAT?.trim().toLowerCase();
  if (!value || value === 'text') return 'text';
  if (value === 'json') return 'json';
  throw new Error(`MCP_MESH_LOG_FORMAT must be text or json, not "${env.MCP_MESH_LOG_FORMAT}"`);
}

/** One JSON log line: time (ISO 8601), level, msg, then the fields (e.g. agent_id, service, kind). */
export function jsonLine(level: LogLevel, msg: string, fields: Record<string, string> = {}): string {
  return JSON.stringify({ time: new Date().toISOString(), level, ...fields, msg });
}

export interface LineLog {
  info(line: string): void;
  error(line: string): void;
}

/** stdout/stderr lines of a process that is not an agent (the registry, the PM2 module), in the format asked for. */
export function consoleLines(service: string, format: LogFormat = logFormat()): LineLog {
  if (format === 'text') return { info: (line) => console.log(line), error: (line) => console.error(line) };
  return {
    info: (line) => process.stdout.write(`${jsonLine('info', line, { service })}\n`),
    error: (line) => process.stderr.write(`${jsonLine('error', line, { service })}\n`),
  };
}
