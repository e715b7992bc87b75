// Reading an agent's GET /calls (how its dependency calls spread over their providers): for `pm2-mesh deps` and the
// dashboard. The registry does not carry these figures: heartbeats stay light, and the agent answers them itself.
import { CALLS_PATH } from './mesh-session.js';
import type { AgentCallsResponse } from './wire.js';

/** How long a reader waits for an agent's figures before showing the wiring without them. */
export const AGENT_CALLS_TIMEOUT_MS = 2_000;

/**
 * The agent's figures; throws an Error saying why they could not be read. `fetchImpl`: for an https agent of a
 * private CA, core/tls-fetch.ts's.
 */
export async function fetchAgentCalls(
  endpoint: string,
  { timeoutMs = AGENT_CALLS_TIMEOUT_MS, fetchImpl = fetch }: { timeoutMs?: number; fetchImpl?: typeof fetch } = {},
): Promise<AgentCallsResponse> {
  const url = `${endpoint.replace(/\/+$/, '')}${CALLS_PATH}`;
  let res: Response;
  try {
    res = await fetchImpl(url, { signal: AbortSignal.timeout(timeoutMs) });
  } catch (error) {
    const err = error as Error & { cause?: { code?: string } };
    throw new Error(`${url} unreachable (${(err.cause?.code ?? err.name === 'TimeoutError') ? 'timeout' : err.message})`);
  }
  if (!res.ok) throw new Error(`${url} answered ${res.status} (an agent older than GET /calls?)`);
  const body = (await res.json()) as AgentCallsResponse;
  if (!body || !Array.isArray(body.dependencies)) throw new Error(`${url} answered no dependencies list`);
  return body;
}

/** One provider of one dependency as `pm2-mesh deps` and the dashboard list it. */
export interface ShareRow {
  /** `tool.key` of the dependency. */
  dependency: string;
  provider: string;
  /** `sharing` or `failover`. */
  role: string;
  calls: string;
  /** `36.7%` of the dependency's answered calls. */
  share: string;
  latency: string;
  inFlight: string;
  weight: string;
  /** The dependency's strategy (`custom` for the consumer's own function, `+filter` with its own ranking filter). */
  strategy: string;
}

/** The rows of every dependency that has more than one provider or has made calls. */
export function shareRows(report: AgentCallsResponse): ShareRow[] {
  const rows: ShareRow[] = [];
  for (const d of report.dependencies) {
    if (d.providers.length < 2 && d.calls === 0) continue;
    for (const p of d.providers) {
      rows.push({
        dependency: `${d.function_name}.${d.key}`,
        provider: p.agent_id,
        role: p.sharing ? 'sharing' : 'failover',
        calls: String(p.calls),
        share: `${(p.share * 100).toFixed(1)}%`,
        latency: p.latency_ms === null ? '-' : `${p.latency_ms < 10 ? p.latency_ms.toFixed(1) : Math.round(p.latency_ms)} ms`,
        inFlight: String(p.in_flight),
        weight: String(p.weight),
        strategy: `${d.strategy}${d.filter ? '+filter' : ''}`,
      });
    }
  }
  return rows;
}
