// The gateway over Streamable HTTP: `/mcp` (one MCP session per client, the SDK's transport, so hosts get SSE
// answers with progress and a stream for list_changed) and `/health`. Loopback by default, Host/Origin checked
// (DNS-rebinding protection), and with a token every request must carry `Authorization: Bearer <token>`.
import { randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import { checkJsonBody, guardedRequest, RequestGuard } from '../core/request-guard.js';
import { readJson, sendJson, sendRpcError, describeError, type Logger } from '../runtime/index.js';
import type { Gateway } from './gateway.js';

export const GATEWAY_MCP_PATH = '/mcp';
/** A session with no request and no open stream for this long is closed (its client re-initializes on 404). */
const SESSION_IDLE_MS = 60 * 60 * 1000;

export interface HttpServingOptions {
  host: string;
  port: number;
  /** Required from clients as `Authorization: Bearer <token>`, when set. */
  token?: string;
  allowedHosts: string[];
  allowedOrigins: string[];
  log: Logger;
}

export interface HttpGateway {
  url: string;
  close(): Promise<void>;
}

interface Session {
  transport: StreamableHTTPServerTransport;
  server: Server;
  lastActive: number;
  /** Open GET streams (where list_changed goes). */
  streams: number;
}

export async function serveHttp(gateway: Gateway, options: HttpServingOptions): Promise<HttpGateway> {
  const { log } = options;
  const sessions = new Map<string, Session>();
  let guard: RequestGuard | undefined;
  const expected = options.token ? Buffer.from(`Bearer ${options.token}`) : undefined;

  const http = createServer((req, res) => {
    route(req, res).catch((error) => {
      log.error(`http ${req.method} ${req.url}: ${describeError(error)}`);
      if (!res.headersSent) sendJson(res, 500, { error: 'internal error' });
      else res.end();
    });
  });

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0]!.replace(/\/+$/, '') || '/';
    // As the agents do: Host on every route (DNS rebinding), Origin too (a web page has no business here), JSON on POST.
    const request = guardedRequest(req);
    const refusal =
      guard?.checkHost(request.host) ?? guard?.checkOrigin(request.origin) ?? (req.method === 'POST' ? checkJsonBody(request) : undefined);
    if (refusal) {
      log.warn(`refused ${req.method} ${path}: ${refusal.error}`);
      return sendJson(res, refusal.status, { error: refusal.error });
    }
    if (expected && !authorized(req.headers.authorization, expected)) {
      res.setHeader('www-authenticate', 'Bearer realm="pm2-mesh gateway"');
      return sendJson(res, 401, { error: 'missing or wrong bearer token (Authorization: Bearer <the gateway token>)' });
    }
    if (path === GATEWAY_MCP_PATH) return handleMcp(req, res);
    if (path === '/health' && (req.method === 'GET' || req.method === 'HEAD'))
      return sendJson(res, 200, { status: 'ok', ...gateway.status(sessions.size) });
    sendJson(res, 404, { error: `no route ${path}; MCP is served at ${GATEWAY_MCP_PATH}` });
  }

  async function handleMcp(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const id = req.headers['mcp-session-id'];
    const session = typeof id === 'string' ? sessions.get(id) : undefined;
    if (typeof id === 'string' && !session) return sendRpcError(res, 404, -32001, 'Session not found');
    if (req.method === 'POST') {
      const body = await readJson(req, res);
      if (body === undefined) return;
      if (session) {
        session.lastActive = Date.now();
        return session.transport.handleRequest(req, res, body);
      }
      const initialize = Array.isArray(body) ? body.some((m) => isInitializeRequest(m)) : isInitializeRequest(body);
      if (!initialize) return sendRpcError(res, 400, -32000, 'Bad Request: no valid session id (send initialize first)');
      return openSession(req, res, body);
    }
    if (!session) return sendRpcError(res, 400, -32000, 'Bad Request: mcp-session-id header is required');
    session.lastActive = Date.now();
    if (req.method === 'GET') {
      session.streams++;
      res.once('close', () => {
        session.streams--;
        session.lastActive = Date.now();
      });
    }
    return session.transport.handleRequest(req, res);
  }

  async function openSession(req: IncomingMessage, res: ServerResponse, body: unknown): Promise<void> {
    const server = gateway.createServer();
    const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
      sessionIdGenerator: randomUUID,
      onsessioninitialized: (sessionId) => {
        sessions.set(sessionId, { transport, server, lastActive: Date.now(), streams: 0 });
        log.debug(`session ${sessionId} opened`);
      },
    });
    transport.onclose = () => {
      const sessionId = transport.sessionId;
      if (sessionId && sessions.get(sessionId)?.transport === transport) {
        sessions.delete(sessionId);
        log.debug(`session ${sessionId} closed`);
      }
    };
    await server.connect(transport);
    await transport.handleRequest(req, res, body);
  }

  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(options.port, options.host, () => {
      http.off('error', reject);
      resolve();
    });
  });
  const { port } = http.address() as AddressInfo;
  guard = new RequestGuard({ bindHost: options.host, port, allowedHosts: options.allowedHosts, allowedOrigins: options.allowedOrigins });
  log.debug(guard.describe());
  const loopback = ['127.0.0.1', 'localhost', '::1', '[::1]'].includes(options.host);
  if (!loopback && !options.token)
    log.warn(`serving on ${options.host} without --token: whoever reaches port ${port} can call every tool of the mesh`);
  const sweeper = setInterval(() => {
    const cutoff = Date.now() - SESSION_IDLE_MS;
    for (const [sessionId, s] of sessions) {
      if (s.streams === 0 && s.lastActive < cutoff) {
        sessions.delete(sessionId);
        void s.server.close().catch(() => undefined);
      }
    }
  }, 60_000);
  sweeper.unref();

  const dial = options.host === '0.0.0.0' || options.host === '::' ? '127.0.0.1' : options.host.includes(':') ? `[${options.host}]` : options.host;
  return {
    url: `http://${dial}:${port}${GATEWAY_MCP_PATH}`,
    async close() {
      clearInterval(sweeper);
      http.close();
      await Promise.all([...sessions.values()].map((s) => s.server.close().catch(() => undefined)));
      sessions.clear();
      http.closeAllConnections();
    },
  };
}

/** Constant-time comparison: the token cannot be guessed a byte at a time from response times. */
function authorized(header: string | undefined, expected: Buffer): boolean {
  if (!header) return false;
  const given = Buffer.from(header);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
