// Serving: MCP over Streamable HTTP at /mcp (one McpServer + transport per session), plus /health, /ready,
// /livez and /calls, behind a Host/Origin allow-list (DNS-rebinding protection).
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { checkJsonBody, guardedRequest, RequestGuard } from '../core/request-guard.js';
import { serverTlsOptions, servesTls, untrustedPeer, type TlsSettings } from '../core/tls.js';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { CALLS_PATH, MCP_PATH, MESH_CONSUMER_HEADER } from '../core/mesh-session.js';
import { readJson, sendJson, sendRpcError } from './http-json.js';
import { describeError, type Logger } from './log.js';
import { loadMeshTransports, loadSdkTransport } from './sdk-server.js';
import type { SessionTransport } from './transport/json-session.js';
import type { StatelessTransport } from './transport/stateless.js';

export interface HttpStatus {
  /** 200 or 503 for /health. */
  healthy: boolean;
  body: Record<string, unknown>;
}

export interface HttpServerOptions {
  host: string;
  port: number;
  /** A fresh McpServer for a new session (`consumer`: the agent id of a mesh agent calling in). */
  createMcpServer: (consumer: string | undefined) => McpServer | Promise<McpServer>;
  status: () => HttpStatus | Promise<HttpStatus>;
  /** GET /calls: how this agent's dependency calls spread over their providers. */
  calls?: () => unknown;
  /** GET /metrics in Prometheus's text format; absent: no such route (MCP_MESH_METRICS is off). */
  metrics?: () => string;
  allowedHosts: string[];
  allowedOrigins: string[];
  /** Serve HTTPS (and check client certificates) with these; plain HTTP without. */
  tls?: TlsSettings;
  sessionIdleMs: number;
  log: Logger;
}

interface Session {
  transport: SessionTransport;
  server: McpServer;
  lastActive: number;
  consumer?: string;
}

export class AgentHttpServer {
  private readonly sessions = new Map<string, Session>();
  private stateless?: Promise<{ server: McpServer; transport: StatelessTransport }>;
  private server?: Server;
  private sweeper?: NodeJS.Timeout;
  private draining = false;
  private guard?: RequestGuard;
  /** Requests served on /mcp since start (lets tests prove a self proxy made none). */
  mcpRequests = 0;
  /** POSTs on /mcp not answered yet: shutdown lets them finish. */
  private inFlight = 0;
  private idleWaiters: (() => void)[] = [];

  constructor(private readonly options: HttpServerOptions) {}

  get sessionCount(): number {
    return this.sessions.size;
  }

  async listen(): Promise<{ host: string; port: number }> {
    const handler = (req: IncomingMessage, res: ServerResponse) => {
      this.route(req, res).catch((error) => {
        this.options.log.error(`http ${req.method} ${req.url}: ${describeError(error)}`);
        if (!res.headersSent) sendJson(res, 500, { error: 'internal error' });
        else res.end();
      });
    };
    const { tls } = this.options;
    // node:https (the TLS stack) only for an agent that serves TLS.
    const server = servesTls(tls) ? (await import('node:https')).createServer(serverTlsOptions(tls), handler) : createServer(handler);
    server.keepAliveTimeout = 65_000;
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.options.port, this.options.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const { port } = server.address() as AddressInfo;
    this.guard = new RequestGuard({
      bindHost: this.options.host,
      port,
      allowedHosts: this.options.allowedHosts,
      allowedOrigins: this.options.allowedOrigins,
    });
    this.options.log.debug(this.guard.describe());
    this.sweeper = setInterval(() => this.sweepIdle(), Math.min(60_000, this.options.sessionIdleMs / 2));
    this.sweeper.unref();
    return { host: this.options.host, port };
  }

  /** Stop taking new connections; requests still arriving on open ones get 503 (a mesh caller fails over). */
  stopAccepting(): void {
    this.draining = true;
    this.server?.close();
    this.server?.closeIdleConnections();
  }

  /** Waits (bounded) for the tool calls under way to be answered. */
  async drain(timeoutMs: number): Promise<void> {
    if (this.inFlight === 0) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      this.idleWaiters.push(() => (clearTimeout(timer), resolve()));
    });
  }

  async close(): Promise<void> {
    this.stopAccepting();
    if (this.sweeper) clearInterval(this.sweeper);
    await Promise.all([...this.sessions.keys()].map((id) => this.closeSession(id)));
    await this.stateless?.then(({ server }) => server.close()).catch(() => undefined);
    this.server?.closeAllConnections();
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0]!.replace(/\/+$/, '') || '/';
    // Host on every route (DNS rebinding), Origin on every route too (a page has no business here), JSON on POST.
    const request = guardedRequest(req);
    const refusal =
      untrustedPeerRefusal(req) ??
      this.guard!.checkHost(request.host) ??
      this.guard!.checkOrigin(request.origin) ??
      (path === MCP_PATH && req.method === 'POST' ? checkJsonBody(request) : undefined);
    if (refusal) {
      this.options.log.warn(`refused ${req.method} ${path}: ${refusal.error}`);
      return sendJson(res, refusal.status, { error: refusal.error });
    }
    if (path === MCP_PATH) return this.handleMcp(req, res);
    if (req.method !== 'GET' && req.method !== 'HEAD') return sendJson(res, 405, { error: `${req.method} not allowed on ${path}` });
    if (path === '/livez') return sendJson(res, 200, { status: 'alive' });
    if (path === '/metrics' && this.options.metrics) {
      const text = this.options.metrics();
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8', 'content-length': Buffer.byteLength(text) });
      res.end(req.method === 'HEAD' ? undefined : text);
      return;
    }
    if (path === '/ready') {
      return this.draining ? sendJson(res, 503, { ready: false, reason: 'shutting down' }) : sendJson(res, 200, { ready: true });
    }
    if (path === '/health') {
      const status = await this.options.status();
      return sendJson(res, status.healthy && !this.draining ? 200 : 503, status.body);
    }
    if (path === CALLS_PATH && this.options.calls) return sendJson(res, 200, this.options.calls());
    sendJson(res, 404, { error: `no route ${path}; MCP is served at ${MCP_PATH}` });
  }

  private async handleMcp(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.mcpRequests += 1;
    if (this.draining) {
      res.setHeader('connection', 'close');
      return sendRpcError(res, 503, -32000, 'Service Unavailable: agent shutting down');
    }
    const sessionId = header(req, 'mcp-session-id');
    const session = sessionId ? this.sessions.get(sessionId) : undefined;

    if (req.method === 'POST') {
      this.inFlight += 1;
      res.once('close', () => {
        this.inFlight -= 1;
        if (this.inFlight === 0) for (const w of this.idleWaiters.splice(0)) w();
      });
      const body = await readJson(req, res);
      if (body === undefined) return;
      if (session) {
        session.lastActive = Date.now();
        return session.transport.handleRequest(req, res, body);
      }
      const { isInitializeRequest } = await loadMeshTransports();
      const isInit = Array.isArray(body) ? body.some((m) => isInitializeRequest(m)) : isInitializeRequest(body);
      if (isInit && !sessionId) return this.openSession(req, res, body);
      // No session, or one this process does not know (another worker of a cluster opened it, or this agent
      // restarted since): the request is served on its own, as MCP Mesh's agents and meshctl expect.
      return (await this.sessionless()).handlePost(req, res, body);
    }
    if (sessionId && !session) return sendRpcError(res, 404, -32001, 'Session not found');
    if (!session) return sendRpcError(res, 400, -32000, 'Bad Request: mcp-session-id header is required');
    session.lastActive = Date.now();
    // A mesh consumer needs no server-to-client stream: 405 tells its SDK client not to hold one open.
    if (req.method === 'GET' && session.consumer) return sendJson(res, 405, { error: 'no standalone stream for mesh sessions' });
    if (req.method === 'GET' || req.method === 'DELETE') return session.transport.handleRequest(req, res);
    res.setHeader('allow', 'GET, POST, DELETE');
    sendJson(res, 405, { error: `${req.method} not allowed on ${MCP_PATH}` });
  }

  /** The one McpServer and transport of session-less requests, made with the first one. */
  private sessionless(): Promise<StatelessTransport> {
    this.stateless ??= (async () => {
      const [server, { StatelessTransport }] = await Promise.all([this.options.createMcpServer(undefined), loadMeshTransports()]);
      const transport = new StatelessTransport();
      await server.connect(transport);
      return { server, transport };
    })();
    return this.stateless.then((s) => s.transport);
  }

  private async openSession(req: IncomingMessage, res: ServerResponse, body: unknown): Promise<void> {
    const consumer = header(req, MESH_CONSUMER_HEADER);
    const server = await this.options.createMcpServer(consumer);
    const sessionIdGenerator = () => randomUUID();
    const onsessioninitialized = (id: string) => {
      this.sessions.set(id, { transport, server, consumer, lastActive: Date.now() });
      this.options.log.debug(`session ${id} opened${consumer ? ` by ${consumer}` : ''}`);
    };
    // A mesh agent gets JSON answers from our own transport; any other client the SDK's (SSE answers).
    const transport: SessionTransport =
      consumer !== undefined
        ? new (await loadMeshTransports()).JsonSessionTransport({ sessionIdGenerator, onsessioninitialized })
        : new (await loadSdkTransport())({ sessionIdGenerator, onsessioninitialized });
    transport.onclose = () => {
      const id = transport.sessionId;
      if (id && this.sessions.get(id)?.transport === transport) {
        this.sessions.delete(id);
        this.options.log.debug(`session ${id} closed`);
      }
    };
    await server.connect(transport);
    await transport.handleRequest(req, res, body);
  }

  private async closeSession(id: string): Promise<void> {
    const session = this.sessions.get(id);
    this.sessions.delete(id);
    await session?.server.close().catch(() => undefined);
  }

  private sweepIdle(): void {
    const cutoff = Date.now() - this.options.sessionIdleMs;
    for (const [id, s] of this.sessions) {
      if (s.lastActive < cutoff) {
        this.options.log.debug(`session ${id} idle, closing`);
        void this.closeSession(id);
      }
    }
  }
}

/** A client certificate from another CA (TLS mode auto): refused like a foreign Origin. */
function untrustedPeerRefusal(req: IncomingMessage): { status: 403; error: string } | undefined {
  const error = untrustedPeer(req.socket);
  return error ? { status: 403, error } : undefined;
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}
