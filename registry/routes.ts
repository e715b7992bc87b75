// The registry's HTTP routes: each translates a request into a store call and its result into an answer.
import { Router } from '@koa/router';
import type { Context } from 'koa';
import validRange from 'semver/ranges/valid.js';
import { answerJson } from './answer.js';
import { HttpError, readJsonBody } from './body.js';
import { MAX_TOPOLOGY_WAIT_S, REGISTRY_SERVICE_NAME } from '../core/defaults.js';
import type { AgentAccess } from './agent-access.js';
import type { RegistryMetrics } from './metrics.js';
import type { RegistrationLimits } from './registration-limits.js';
import { proxyHandler } from './proxy.js';
import type { Storage } from './storage/index.js';
import type { EventStreams } from './sse.js';
import type { RegistryStore } from './store/index.js';
import { numberParam, queryText } from './query.js';
import { addTraceRoutes } from './trace-routes.js';
import type { TraceStore } from './trace-store.js';
import { checkCount } from './validate.js';
import type { AgentWorkers } from './workers.js';
import type { AgentsResponse, CapabilitiesResponse, HealthResponse } from '../core/wire.js';

export interface RouteDeps {
  store: RegistryStore;
  /** The PM2 processes behind each agent (several for a cluster-mode app). */
  workers: AgentWorkers;
  storage: Storage;
  metrics: RegistryMetrics;
  streams: EventStreams;
  traces: TraceStore;
  bodyLimit: number;
  version: string;
  /** Aborted when the registry closes: pending long-polls answer at once. */
  closing: AbortSignal;
  /** Who may register, heartbeat and unregister which agent. */
  access: AgentAccess;
  limits: RegistrationLimits;
}

/** heartbeat-check.js (zod and the wire schemas), imported by the first POST. */
let heartbeatCheck: typeof import('./heartbeat-check.js') | undefined;

const EVENT_TYPES = new Set(['register', 'unregister', 'unhealthy', 'healthy', 'update', 'expired', 'refused']);

export function registryRoutes(deps: RouteDeps): Router {
  const { store, storage, metrics, workers } = deps;
  const router = new Router();

  /** A POST's registration, up to its answer (not yet durable). */
  const acceptHeartbeat = async (ctx: Context) => {
    const body = await readJsonBody(ctx.req, deps.bodyLimit);
    const checked = (heartbeatCheck ??= await import('./heartbeat-check.js')).checkHeartbeat(body);
    if (!checked.ok) throw new HttpError(400, checked.error);
    refuseWhenUnavailable(deps);
    const { value: request, warnings } = checked;
    deps.access.checkRegistration(ctx, request);
    if (store.nameOf(request.agent_id) === undefined) deps.limits.admitNew(ctx.request.ip, store.size);
    const answer = store.register(request);
    workers.seen(request.agent_id, request.metadata?.pid, request.metadata?.pm_id);
    return warnings ? { ...answer, warnings } : answer;
  };

  router.post('/heartbeat', async (ctx) => {
    // Only the answer waits for the fsync. The request (the body and its checked copy: ~20 KB of objects per POST
    // in flight) lives in acceptHeartbeat's frame, which has ended: an async function keeps every local of its
    // own alive across an await, and 50 POSTs in flight would otherwise carry theirs into the old generation.
    const answer = await acceptHeartbeat(ctx);
    await durable(storage);
    answerJson(ctx, answer);
  });

  router.head('/heartbeat/:agent_id', (ctx) => {
    deps.access.checkAgent(ctx, ctx.params.agent_id!);
    // Replicas' storage comes back by itself: HEADs are answered from memory meanwhile.
    if (deps.closing.aborted || (!storage.healthy && !storage.replica)) ctx.status = 503;
    else ctx.status = store.touch(ctx.params.agent_id!);
    // Our agents under PM2 name their process (?pid=&pm_id=): a cluster app's workers share one agent id.
    if (ctx.status === 200 || ctx.status === 202) {
      if (ctx.querystring) workers.seen(ctx.params.agent_id!, numberOrNull(ctx.query.pid), numberOrNull(ctx.query.pm_id));
    }
    metrics.countHead(ctx.status);
  });

  router.delete('/agents/:agent_id', async (ctx) => {
    refuseWhenUnavailable(deps);
    deps.access.checkAgent(ctx, ctx.params.agent_id!);
    // One process of several leaving (?pid=: a cluster worker, a reload's old process) leaves the agent registered.
    const agentId = ctx.params.agent_id!;
    if (ctx.querystring && workers.leave(agentId, numberOrNull(ctx.query.pid))) {
      ctx.status = 204;
      return;
    }
    workers.forget(agentId);
    // An unknown id is 204 too, as in MCP Mesh: the agent is gone either way.
    store.unregister(agentId);
    await durable(storage);
    ctx.status = 204;
  });

  router.get('/agents', (ctx) => {
    const status = queryText(ctx, 'status');
    if (status !== undefined && !['healthy', 'unhealthy', 'unknown'].includes(status)) {
      throw new HttpError(400, 'status: must be one of healthy, unhealthy, unknown');
    }
    const agents = store.listAgents({ status, capability: queryText(ctx, 'capability') }).map((agent) => withWorkers(agent, workers));
    const body: AgentsResponse = { agents, count: agents.length, timestamp: new Date().toISOString() };
    answerJson(ctx, body);
  });

  router.get('/agents/:agent_id', (ctx) => {
    const agent = store.getAgent(ctx.params.agent_id!);
    if (!agent) throw notFound(ctx.params.agent_id!);
    answerJson(ctx, withWorkers(agent, workers));
  });

  router.get('/agents/:agent_id/topology', async (ctx) => {
    const agentId = ctx.params.agent_id!;
    const known = queryText(ctx, 'hash');
    const wait = numberParam(checkCount('wait', queryText(ctx, 'wait'), 0, 0, MAX_TOPOLOGY_WAIT_S));
    const first = store.topology(agentId);
    if (!first) throw gone(agentId);
    if (known !== first.topology_hash) {
      answerJson(ctx, first);
      return;
    }
    if (wait > 0 && !deps.closing.aborted) await topologyChange(deps, agentId, wait * 1000, ctx);
    const now = store.topology(agentId);
    if (!now) throw gone(agentId);
    if (now.topology_hash !== known) answerJson(ctx, now);
    else ctx.status = 304;
  });

  router.get('/capabilities', (ctx) => {
    const version = queryText(ctx, 'version');
    if (version !== undefined && validRange(version.replace(/\s*,\s*/g, ' ')) === null) {
      throw new HttpError(400, `version: ${JSON.stringify(version)} is not a valid semver range`);
    }
    const tags = queryText(ctx, 'tags')
      ?.split(',')
      .map((t) => t.trim())
      .filter(Boolean);
    const capabilities = store.findCapabilities({ name: queryText(ctx, 'name'), tags, version });
    const body: CapabilitiesResponse = { capabilities, count: capabilities.length, timestamp: new Date().toISOString() };
    answerJson(ctx, body);
  });

  router.get('/events', (ctx) => {
    const limit = numberParam(checkCount('limit', queryText(ctx, 'limit'), 100, 1, 10_000));
    const sinceText = queryText(ctx, 'since');
    const since = sinceText === undefined ? undefined : numberParam(checkCount('since', sinceText, 0, 0, Number.MAX_SAFE_INTEGER));
    const type = queryText(ctx, 'type');
    if (type !== undefined && !EVENT_TYPES.has(type)) throw new HttpError(400, `type: must be one of ${[...EVENT_TYPES].join(', ')}`);
    answerJson(ctx, store.listEvents({ since, limit, agentId: queryText(ctx, 'agent_id'), type }));
  });

  router.get('/events/stream', (ctx) => {
    const header = ctx.get('Last-Event-ID') || queryText(ctx, 'since');
    const resume = header ? numberParam(checkCount('Last-Event-ID', header, 0, 0, Number.MAX_SAFE_INTEGER)) : null;
    deps.streams.serve(ctx, resume);
  });

  router.get('/health', (ctx) => {
    const body: HealthResponse = {
      service: REGISTRY_SERVICE_NAME,
      status: storage.healthy ? 'healthy' : 'degraded',
      timestamp: new Date().toISOString(),
      uptime_seconds: Math.floor((Date.now() - metrics.startedAt) / 1000),
      version: deps.version,
      agents: store.counts(),
      capabilities: store.capabilityCount,
    };
    answerJson(ctx, body);
  });

  addTraceRoutes(router, deps);
  // MCP Mesh's route for meshctl: an MCP request relayed to a registered agent, its answer streamed back.
  const proxy = proxyHandler({ targets: store, bodyLimit: deps.bodyLimit });
  router.post('/proxy/{*target}', proxy);
  router.get('/proxy/{*target}', proxy);
  router.delete('/proxy/{*target}', proxy);

  router.get('/metrics', (ctx) => {
    const { total: _total, ...agents } = store.counts();
    ctx.type = 'text/plain; version=0.0.4; charset=utf-8';
    ctx.body = metrics.render({
      agents,
      capabilities: store.capabilityCount,
      events: store.eventCount,
      sseClients: deps.streams.clientCount,
      topologyWatchers: store.watcherCount,
      journalBytes: storage.pendingBytes,
      limits: deps.limits,
      traces: deps.traces,
      nameOf: (id) => store.getAgent(id)?.name,
    });
  });

  return router;
}

/** Waits until the agent's topology changes, the wait ends, the client leaves or the registry closes. */
function topologyChange(deps: RouteDeps, agentId: string, waitMs: number, ctx: Context): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      stop();
      clearTimeout(timer);
      deps.closing.removeEventListener('abort', done);
      ctx.req.off('close', done);
      resolve();
    };
    const stop = deps.store.watchTopology(agentId, done);
    const timer = setTimeout(done, waitMs);
    deps.closing.addEventListener('abort', done);
    ctx.req.on('close', done);
  });
}

function refuseWhenUnavailable(deps: RouteDeps): void {
  if (deps.closing.aborted) throw new HttpError(503, 'registry is shutting down: retry shortly');
  if (!deps.storage.healthy)
    throw new HttpError(503, deps.storage.replica?.unavailableReason ?? 'registry cannot save changes (data file unwritable): see its log');
}

async function durable(storage: Storage): Promise<void> {
  try {
    await storage.durable();
  } catch (error) {
    throw new HttpError(503, `registry could not save the change: ${(error as Error).message}`);
  }
}

/** Ours beyond MCP Mesh: `workers`, the PM2 processes serving the agent, when it has any. */
function withWorkers<T extends { id: string }>(agent: T, workers: AgentWorkers): T {
  const list = workers.of(agent.id);
  return list ? { ...agent, workers: list } : agent;
}

function numberOrNull(value: string | string[] | undefined): number | null {
  const text = Array.isArray(value) ? value[0] : value;
  return text !== undefined && /^\d{1,10}$/.test(text) ? Number(text) : null;
}

function notFound(agentId: string): HttpError {
  return new HttpError(404, `agent ${JSON.stringify(agentId)} not found`);
}

function gone(agentId: string): HttpError {
  return new HttpError(410, `agent ${JSON.stringify(agentId)} is not registered: POST /heartbeat first`);
}
