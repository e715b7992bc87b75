// The trace routes: POST /traces (agents send their spans in batches), GET /traces (recent traces, newest first),
// GET /traces/edges (calls per dependency edge), GET /traces/:id (one trace's spans). Bounded: see trace-store.ts.
import type { Router } from '@koa/router';
import type { CallEdgesResponse, TraceResponse, TracesResponse } from '../core/span-wire.js';
import { answerJson } from './answer.js';
import { HttpError, readJsonBody } from './body.js';
import type { RegistryStore } from './store/index.js';
import type { TraceStore } from './trace-store.js';
import { numberParam, queryText } from './query.js';
import { checkCount } from './validate.js';

export interface TraceRouteDeps {
  traces: TraceStore;
  store: RegistryStore;
  bodyLimit: number;
}

/** trace-check.js (zod and the span schemas), imported by the first POST /traces. */
let traceCheck: typeof import('./trace-check.js') | undefined;

const TRACE_ID = /^[0-9a-f]{32}$/;

export function addTraceRoutes(router: Router, deps: TraceRouteDeps): void {
  const { traces } = deps;

  router.post('/traces', async (ctx) => {
    // With agent credentials (--secret-file) a write needs one: any agent's or an operator's (spans are not mesh state).
    if ((ctx.state.caller as { kind?: string } | undefined)?.kind === 'nobody') {
      ctx.set('WWW-Authenticate', 'Bearer realm="mcp-mesh-registry"');
      throw new HttpError(401, 'missing credential: POST /traces needs Authorization: Bearer <token> (an agent or operator credential)');
    }
    const body = await readJsonBody(ctx.req, deps.bodyLimit);
    const checked = (traceCheck ??= await import('./trace-check.js')).checkSpanBatch(body);
    if (!checked.ok) throw new HttpError(400, checked.error);
    const accepted = traces.add(checked.value.spans);
    ctx.status = 202;
    answerJson(ctx, { accepted, stored: traces.size });
  });

  router.get('/traces', (ctx) => {
    const limit = numberParam(checkCount('limit', queryText(ctx, 'limit'), 20, 1, 1000));
    const afterText = queryText(ctx, 'after');
    const after = afterText === undefined ? undefined : numberParam(checkCount('after', afterText, 0, 0, Number.MAX_SAFE_INTEGER));
    const errors = queryText(ctx, 'errors');
    if (errors !== undefined && errors !== 'true' && errors !== 'false') throw new HttpError(400, 'errors: must be true or false');
    const list = traces.list({ limit, after, agent: queryText(ctx, 'agent'), errorsOnly: errors === 'true' });
    const body: TracesResponse = { traces: list, count: list.length, seq: traces.currentSeq, stored: traces.size, capacity: traces.capacity };
    answerJson(ctx, body);
  });

  router.get('/traces/edges', (ctx) => {
    const names = new Map<string, string | undefined>();
    const nameOf = (id: string) => (names.has(id) ? names.get(id) : names.set(id, deps.store.getAgent(id)?.name).get(id));
    const body: CallEdgesResponse = { edges: traces.edgeViews(nameOf), timestamp: new Date().toISOString() };
    answerJson(ctx, body);
  });

  router.get('/traces/:trace_id', (ctx) => {
    const traceId = ctx.params.trace_id!;
    if (!TRACE_ID.test(traceId)) throw new HttpError(400, 'trace_id: must be 32 lowercase hex digits');
    const spans = traces.get(traceId);
    if (!spans) throw new HttpError(404, `trace ${traceId} not found (the registry keeps the last ${traces.capacity} spans)`);
    const body: TraceResponse = { trace_id: traceId, spans };
    answerJson(ctx, body);
  });
}
