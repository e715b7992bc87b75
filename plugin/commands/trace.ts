// pm2-mesh trace [ID|--last] [--follow] [--json]: one call's path through the mesh, hop by hop, with when each hop
// started and how long it took, from the spans the agents sent to the registry (GET /traces, GET /traces/:id).
import type { TraceResponse, TracesResponse, TraceSummary } from '../../core/span-wire.js';
import { formatMs, traceLines } from '../../core/trace-tree.js';
import { RegistryError, type RegistryClient } from '../../core/registry-client.js';
import { colorEnabled, paint, painter } from '../../core/text/colour.js';
import { outputWidth } from '../../core/text/table.js';
import { clip, fit, pad } from '../../core/text/width.js';
import type { Command } from '../args.js';
import { jsonOption, registryClient, registryOptions } from '../connection.js';
import { CliError, UsageError } from '../errors.js';
import { printJson, printJsonLine } from '../output.js';

/** --follow: a trace is printed once it got no new span for one poll. */
const POLL_MS = 1000;

async function recent(client: RegistryClient, query: Record<string, string | number | undefined>): Promise<TracesResponse> {
  try {
    return await client.getJson<TracesResponse>('/traces', query);
  } catch (error) {
    if (error instanceof RegistryError && (error.status === 404 || error.status === 405)) {
      throw new CliError(
        `the registry at ${client.baseUrl} keeps no traces (GET /traces answered ${error.status}); MCP Mesh's own registry does not`,
      );
    }
    throw error;
  }
}

async function fetchTrace(client: RegistryClient, traceId: string): Promise<TraceResponse> {
  try {
    return await client.getJson<TraceResponse>(`/traces/${traceId}`);
  } catch (error) {
    if (error instanceof RegistryError && error.status === 404) throw new CliError(`trace ${traceId}: ${error.detail ?? 'not found'}`);
    throw error;
  }
}

/** A full trace id, or a unique prefix of a recent one (as git takes a short hash). */
async function resolveId(client: RegistryClient, ref: string): Promise<string> {
  if (!/^[0-9a-f]{4,32}$/.test(ref)) throw new UsageError(`trace: "${ref}" is not a trace id (32 hex digits, or the first few of a recent one)`);
  if (ref.length === 32) return ref;
  const matches = (await recent(client, { limit: 1000 })).traces.filter((t) => t.trace_id.startsWith(ref));
  if (matches.length === 1) return matches[0]!.trace_id;
  if (matches.length === 0) throw new CliError(`trace: no recent trace starts with ${ref} (pm2-mesh trace --list shows them)`);
  throw new UsageError(`trace: ${ref} starts ${matches.length} traces; give more digits`);
}

function listLines(traces: TraceSummary[], width: number): string[] {
  if (traces.length === 0) return ['no traces yet: call a tool (pm2-mesh call <capability>) and look again'];
  return traces.map((t) =>
    clip(
      `${t.trace_id}  ${new Date(t.start_ms).toISOString().slice(11, 23)}  ${pad(formatMs(t.duration_ms), 9, 'right')}  ${pad(String(t.spans), 3, 'right')} spans  ` +
        `${t.errors ? paint(fit(`${t.errors} failed`, 9), 'bad') : fit('ok', 9)}  ${t.root} @${t.root_agent}`,
      width,
    ),
  );
}

/** Prints each new trace once it settles (no new spans for one poll), until SIGINT/SIGTERM. */
async function follow(client: RegistryClient, from: number, json: boolean, errorsOnly: boolean, width: number): Promise<void> {
  let after = from;
  /** Traces that changed at the last poll: printed once a poll brings nothing new for them. */
  const waiting = new Set<string>();
  let stopped = false;
  let wake: (() => void) | undefined;
  const stop = () => {
    stopped = true;
    wake?.();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    while (!stopped) {
      const answer = await recent(client, { limit: 1000, after, ...(errorsOnly ? { errors: 'true' } : {}) });
      after = answer.seq;
      const changed = new Set(answer.traces.map((t) => t.trace_id));
      for (const id of waiting) {
        if (changed.has(id)) continue;
        waiting.delete(id);
        const trace = await fetchTrace(client, id).catch(() => undefined);
        if (!trace) continue;
        if (json) printJsonLine(trace);
        else process.stdout.write(`${traceLines(trace, width, painter(colorEnabled())).join('\n')}\n\n`);
      }
      for (const t of answer.traces) waiting.add(t.trace_id);
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, POLL_MS).unref();
      });
    }
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}

export const trace: Command = {
  name: 'trace',
  args: '[trace-id]',
  summary: "Show a call's path through the mesh, hop by hop with the time of each (the last call by default).",
  options: {
    ...registryOptions,
    ...jsonOption,
    last: { type: 'boolean', description: 'the most recent trace (the default without a trace id)' },
    list: { type: 'boolean', short: 'l', description: 'list recent traces instead (newest first)' },
    limit: { type: 'string', short: 'n', valueName: 'n', description: 'how many traces --list shows (default 20)' },
    errors: { type: 'boolean', description: 'only traces with a failed hop' },
    follow: { type: 'boolean', short: 'f', description: 'print each new trace as it completes' },
  },
  details: [
    'Examples:',
    '  pm2-mesh call plan_trip \'{"city":"Lisbon"}\' && pm2-mesh trace --last',
    '  pm2-mesh trace 4bf92f35        (the first digits of a recent trace id are enough)',
    '  pm2-mesh trace --list --errors',
    'Each line: start offset, duration, a waterfall bar, the hop (a tool served @agent, or → a dependency call (provider)).',
    'Agents send spans to the registry about once a second; MCP_MESH_TRACING=false turns tracing off in an agent.',
  ],
  positionals: { min: 0, max: 1 },
  async run({ values, positionals }) {
    const client = registryClient(values);
    // Piped output is not cut.
    const width = outputWidth() ?? Number.MAX_SAFE_INTEGER;
    const json = !!values.json;
    const errorsOnly = !!values.errors;
    if (positionals[0] && (values.last || values.list || values.follow))
      throw new UsageError('trace: give a trace id, or --last/--list/--follow, not both');
    if (values.list) {
      const limit = values.limit === undefined ? 20 : Number(values.limit);
      if (!Number.isInteger(limit) || limit < 1) throw new UsageError(`trace: --limit must be a whole number ≥ 1 (got ${values.limit})`);
      const answer = await recent(client, { limit, ...(errorsOnly ? { errors: 'true' } : {}) });
      if (json) printJson(answer);
      else process.stdout.write(`${listLines(answer.traces, width).join('\n')}\n`);
      return 0;
    }
    if (values.follow) {
      const { seq } = await recent(client, { limit: 1 });
      await follow(client, seq, json, errorsOnly, width);
      return 0;
    }
    let id: string;
    if (positionals[0]) {
      id = await resolveId(client, positionals[0].toLowerCase());
    } else {
      const newest = (await recent(client, { limit: 1, ...(errorsOnly ? { errors: 'true' } : {}) })).traces[0];
      if (!newest) throw new CliError(`no traces at ${client.baseUrl} yet: call a tool (pm2-mesh call <capability>) and look again`);
      id = newest.trace_id;
    }
    const found = await fetchTrace(client, id);
    if (json) printJson(found);
    else process.stdout.write(`${traceLines(found, width, painter(colorEnabled())).join('\n')}\n`);
    return 0;
  },
};
