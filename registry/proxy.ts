// POST|GET|DELETE /proxy/<host>:<port>/mcp[/…]: forwards an MCP request to a registered agent and streams its
// answer back unchanged, as MCP Mesh's registry does for `meshctl call` (its default route to agents). Only the
// endpoints of agents this registry holds are reachable: it is never an open relay.
import { Agent, request as httpRequest, type IncomingHttpHeaders, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import { pipeline } from 'node:stream';
import type { Context } from 'koa';
import { DEFAULT_PROXY_TIMEOUT_S, MAX_PROXY_TIMEOUT_S } from '../core/defaults.js';
import { HttpError, readBodyBytes } from './body.js';

export const PROXY_PREFIX = '/proxy/';

/** What the proxy needs of the store: is this the endpoint of an agent we hold? */
export interface ProxyTargets {
  hasEndpoint(endpoint: string): boolean;
}

export interface ProxyOptions {
  targets: ProxyTargets;
  bodyLimit: number;
}

/**
 * Request headers passed on: the MCP ones (so session clients work through the proxy too), tracing, and the
 * `x-mesh-*` family (MCP Mesh passes `x-mesh-timeout` and its job headers). Never the registry's own
 * Authorization, cookies or Origin: the registry is the agent's client here.
 */
const FORWARDED = new Set([
  'accept',
  'content-type',
  'mcp-session-id',
  'mcp-protocol-version',
  'last-event-id',
  'x-trace-id',
  'x-parent-span',
  'traceparent',
  'tracestate',
]);

/** Hop-by-hop headers (RFC 9110 §7.6.1): about one connection, never relayed. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
  'proxy-authenticate',
  'proxy-authorization',
]);

/** Kept-alive connections to agents: meshctl's calls come one after another. */
const upstreamAgent = new Agent({ keepAlive: true, timeout: 4_000 });

export function proxyHandler(options: ProxyOptions): (ctx: Context) => Promise<void> {
  return async (ctx) => {
    // The rule of the routes that act: with credentials enforced, a caller must present one (operator or agent).
    if ((ctx.state.caller as { kind?: string } | undefined)?.kind === 'nobody') {
      throw Object.assign(
        new HttpError(
          401,
          'missing credential: /proxy needs Authorization: Bearer <token> (an operator or agent credential: with meshctl, ' +
            'add -H "Authorization: Bearer $(pm2-mesh token create --operator)", or call the agent directly with --use-proxy=false)',
        ),
        {
          headers: { 'WWW-Authenticate': 'Bearer realm="mcp-mesh-registry"' },
        },
      );
    }
    const { hostPort, path } = parseTarget(ctx.path);
    const endpoint = `http://${hostPort}`;
    if (!options.targets.hasEndpoint(endpoint)) throw new HttpError(403, `Target host '${hostPort}' is not a registered agent`);
    const timeoutS = proxyTimeout(ctx.get('x-mesh-timeout'));
    const body = ctx.method === 'POST' ? await readBodyBytes(ctx.req, options.bodyLimit) : undefined;
    const upstream = await forward(ctx, `${endpoint}${path}${ctx.querystring ? `?${ctx.querystring}` : ''}`, body, timeoutS);
    relay(ctx, upstream);
  };
}

/** `<host>:<port>/mcp[/…]` after the prefix; anything else is a 400 naming the target. */
export function parseTarget(requestPath: string): { hostPort: string; path: string } {
  const rest = requestPath.slice(PROXY_PREFIX.length);
  const slash = rest.indexOf('/');
  if (slash <= 0) throw new HttpError(400, 'Invalid target format: missing path. Expected format: {host}:{port}/mcp/{path}');
  const hostPort = rest.slice(0, slash);
  const path = rest.slice(slash);
  if (path !== '/mcp' && path !== '/mcp/' && !path.startsWith('/mcp/')) throw new HttpError(400, 'Only /mcp/* paths are allowed for proxying');
  return { hostPort, path };
}

/** Seconds the agent may stay silent: X-Mesh-Timeout (meshctl sends its --timeout) within bounds, else the default. */
export function proxyTimeout(header: string): number {
  if (!header) return DEFAULT_PROXY_TIMEOUT_S;
  const seconds = Number(header);
  if (!Number.isFinite(seconds) || seconds <= 0)
    throw new HttpError(400, `X-Mesh-Timeout: must be a number of seconds (got ${JSON.stringify(header)})`);
  return Math.min(seconds, MAX_PROXY_TIMEOUT_S);
}

/** Sends the request; resolves with the agent's answer once its headers arrive. */
function forward(ctx: Context, url: string, body: Buffer | undefined, timeoutS: number): Promise<IncomingMessage> {
  const headers: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(ctx.req.headers)) {
    if (value !== undefined && (FORWARDED.has(name) || name.startsWith('x-mesh-'))) headers[name] = value;
  }
  if (body) headers['content-length'] = body.length;
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: ctx.method, headers, agent: upstreamAgent });
    // Silence from the agent, before or during its answer, ends the exchange.
    req.setTimeout(timeoutS * 1000, () => req.destroy(new HttpError(504, `Target agent did not answer within ${timeoutS} s`)));
    req.once('response', resolve);
    req.once('error', (error) => reject(error instanceof HttpError ? error : new HttpError(502, `Failed to reach target agent: ${error.message}`)));
    // The caller went away: the agent sees its request end too (a tool handler's signal aborts).
    ctx.res.once('close', () => {
      if (!ctx.res.writableFinished) req.destroy();
    });
    req.end(body);
  });
}

/** Status, headers and body as the agent sent them, each chunk written as it comes (an SSE answer streams). */
function relay(ctx: Context, upstream: IncomingMessage): void {
  ctx.respond = false;
  try {
    ctx.status = upstream.statusCode ?? 502;
  } catch {
    // A status Koa does not know still goes out below; only the metrics label falls back.
  }
  const res = ctx.res;
  res.writeHead(upstream.statusCode ?? 502, upstream.statusMessage, endToEnd(upstream.headers));
  res.flushHeaders();
  pipeline(upstream, res, () => {
    // A cut on either side ends both: the caller sees the answer stop, the agent sees its caller leave.
    upstream.destroy();
  });
}

function endToEnd(headers: IncomingHttpHeaders): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) if (value !== undefined && !HOP_BY_HOP.has(name)) out[name] = value;
  return out;
}
