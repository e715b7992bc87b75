// The server transport of mesh sessions (a mesh agent calling this one): Streamable HTTP answered with plain JSON,
// straight on node:http. Same checks, statuses and messages as the SDK's transport for everything a client can send.
//
// Why not the SDK's StreamableHTTPServerTransport with enableJsonResponse: in JSON mode its v1.x line keeps an
// entry per answered POST for the life of the session (typescript-sdk#2559, "JSON-response-mode stream mappings
// never complete their lifecycle": 5.5 KB per call here) and never ends the HTTP exchange of a cancelled request;
// and its Web Request/Response layer (hono) cost a quarter of a provider's CPU per call.
// This folder goes away when an SDK release fixes #2559 and ends a cancelled request's exchange: http.ts then hands
// mesh sessions to the SDK's transport with enableJsonResponse, provided test/runtime-memory and
// test/runtime-sessions pass and `npm run bench` shows proxy calls/s within noise of this transport.
import type { IncomingMessage, ServerResponse } from 'node:http';
// SDK internals, deep-imported through its wildcard export (so package.json pins the SDK exactly):
// MAX_BATCH_SIZE (server/requestBody.js), mediaTypeEssence (shared/mediaType.js), the Transport types (shared/transport.js).
import { MAX_BATCH_SIZE } from '@modelcontextprotocol/sdk/server/requestBody.js';
import { mediaTypeEssence } from '@modelcontextprotocol/sdk/shared/mediaType.js';
import type { Transport, TransportSendOptions } from '@modelcontextprotocol/sdk/shared/transport.js';
import {
  isInitializeRequest,
  isJSONRPCErrorResponse,
  isJSONRPCNotification,
  isJSONRPCRequest,
  isJSONRPCResultResponse,
  JSONRPCMessageSchema,
  SUPPORTED_PROTOCOL_VERSIONS,
  type JSONRPCMessage,
  type MessageExtraInfo,
  type RequestId,
} from '@modelcontextprotocol/sdk/types.js';

/** One POST carrying requests: answered once every request in it is answered (or cancelled). */
interface Exchange {
  res: ServerResponse;
  ids: RequestId[];
  answers: JSONRPCMessage[];
  settled: number;
  done: boolean;
}

export interface JsonTransportOptions {
  sessionIdGenerator: () => string;
  onsessioninitialized: (sessionId: string) => void;
}

/** What http.ts needs of a session's transport, this one or the SDK's. */
export interface SessionTransport extends Transport {
  handleRequest(req: IncomingMessage, res: ServerResponse, parsedBody?: unknown): Promise<void>;
}

export class JsonSessionTransport implements SessionTransport {
  sessionId?: string;
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: <T extends JSONRPCMessage>(message: T, extra?: MessageExtraInfo) => void;
  private initialized = false;
  private closed = false;
  /** Requests not answered yet, by id. */
  private readonly pending = new Map<RequestId, Exchange>();

  constructor(private readonly options: JsonTransportOptions) {}

  async start(): Promise<void> {}

  async handleRequest(req: IncomingMessage, res: ServerResponse, parsedBody?: unknown): Promise<void> {
    if (this.closed) return this.error(res, 404, -32001, 'Session not found');
    if (req.method === 'POST') return this.handlePost(req, res, parsedBody);
    if (req.method === 'DELETE') {
      const refusal = this.checkSession(req) ?? this.checkProtocolVersion(req);
      if (refusal) return this.error(res, ...refusal);
      res.writeHead(200).end();
      return this.close();
    }
    res.setHeader('allow', 'GET, POST, DELETE');
    this.error(res, 405, -32000, 'Method not allowed.');
  }

  private async handlePost(req: IncomingMessage, res: ServerResponse, body: unknown): Promise<void> {
    const accept = req.headers.accept;
    if (!accept?.includes('application/json') || !accept.includes('text/event-stream')) {
      return this.error(res, 406, -32000, 'Not Acceptable: Client must accept both application/json and text/event-stream');
    }
    if (mediaTypeEssence(req.headers['content-type']) !== 'application/json') {
      return this.error(res, 415, -32000, 'Unsupported Media Type: Content-Type must be application/json');
    }
    if (Array.isArray(body) && body.length > MAX_BATCH_SIZE) {
      return this.error(res, 400, -32600, `Invalid Request: Batch must not exceed ${MAX_BATCH_SIZE} messages`);
    }
    let messages: JSONRPCMessage[];
    try {
      messages = Array.isArray(body) ? body.map((m) => JSONRPCMessageSchema.parse(m)) : [JSONRPCMessageSchema.parse(body)];
    } catch {
      return this.error(res, 400, -32700, 'Parse error: Invalid JSON-RPC message');
    }
    if (messages.some(isInitializeRequest)) {
      if (this.initialized) return this.error(res, 400, -32600, 'Invalid Request: Server already initialized');
      if (messages.length > 1) return this.error(res, 400, -32600, 'Invalid Request: Only one initialization request is allowed');
      this.sessionId = this.options.sessionIdGenerator();
      this.initialized = true;
      this.options.onsessioninitialized(this.sessionId);
    } else {
      const refusal = this.checkSession(req) ?? this.checkProtocolVersion(req);
      if (refusal) return this.error(res, ...refusal);
    }
    const extra: MessageExtraInfo = { requestInfo: { headers: req.headers as Record<string, string>, url: requestUrl(req) } };
    const ids = messages.filter(isJSONRPCRequest).map((m) => m.id);
    if (ids.length === 0) {
      for (const message of messages) this.receive(message, extra);
      res.writeHead(202).end();
      return;
    }
    const exchange: Exchange = { res, ids, answers: [], settled: 0, done: false };
    for (const id of ids) this.pending.set(id, exchange);
    // The caller gave up (timeout, cancellation, crash): nothing is owed to it any more.
    res.once('close', () => {
      if (!exchange.done) this.forget(exchange);
    });
    for (const message of messages) this.receive(message, extra);
  }

  /** Hands a message to the server; a cancellation also ends the HTTP exchange of the request it cancels. */
  private receive(message: JSONRPCMessage, extra: MessageExtraInfo): void {
    this.onmessage?.(message, extra);
    if (isJSONRPCNotification(message) && message.method === 'notifications/cancelled') {
      const id = (message.params as { requestId?: RequestId } | undefined)?.requestId;
      // The SDK's server sends nothing for a cancelled request; its caller still holds the HTTP request open.
      if (id !== undefined) this.settle(id);
    }
  }

  async send(message: JSONRPCMessage, options?: TransportSendOptions): Promise<void> {
    const isResponse = isJSONRPCResultResponse(message) || isJSONRPCErrorResponse(message);
    const id = isResponse ? message.id : options?.relatedRequestId;
    if (id === undefined) {
      if (isResponse) throw new Error('Cannot send a response on a standalone SSE stream unless resuming a previous client request');
      return; // No standalone stream on mesh sessions: server-initiated messages have nowhere to go.
    }
    if (!isResponse) return; // Progress and other notifications have no place in a JSON answer.
    if (!this.pending.has(id)) throw new Error(`No connection established for request ID: ${String(id)}`);
    this.settle(id, message);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // Calls still waiting get an answer a mesh caller fails over on, not a connection left hanging.
    for (const exchange of new Set(this.pending.values())) {
      this.forget(exchange);
      this.error(exchange.res, 503, -32000, 'Service Unavailable: session closed');
    }
    this.onclose?.();
  }

  /** Request `id` is answered (or cancelled, with no answer); the exchange ends when all its requests are. */
  private settle(id: RequestId, answer?: JSONRPCMessage): void {
    const exchange = this.pending.get(id);
    if (!exchange) return;
    this.pending.delete(id);
    if (answer) exchange.answers.push(answer);
    if (++exchange.settled < exchange.ids.length) return;
    exchange.done = true;
    const { res, answers } = exchange;
    if (res.writableEnded || res.destroyed) return;
    if (answers.length === 0) {
      res.writeHead(202).end();
      return;
    }
    // In the order of the requests, as the SDK's transport answers a batch.
    const ordered = exchange.ids.map((i) => answers.find((a) => (a as { id: RequestId }).id === i)).filter((a) => a !== undefined);
    const text = JSON.stringify(ordered.length === 1 ? ordered[0] : ordered);
    res.writeHead(200, { 'content-type': 'application/json', 'mcp-session-id': this.sessionId!, 'content-length': Buffer.byteLength(text) });
    res.end(text);
  }

  private forget(exchange: Exchange): void {
    exchange.done = true;
    for (const id of exchange.ids) if (this.pending.get(id) === exchange) this.pending.delete(id);
  }

  private checkSession(req: IncomingMessage): [number, number, string] | undefined {
    if (!this.initialized) return [400, -32000, 'Bad Request: Server not initialized'];
    const id = req.headers['mcp-session-id'];
    if (!id) return [400, -32000, 'Bad Request: Mcp-Session-Id header is required'];
    if (id !== this.sessionId) return [404, -32001, 'Session not found'];
    return undefined;
  }

  private checkProtocolVersion(req: IncomingMessage): [number, number, string] | undefined {
    const version = req.headers['mcp-protocol-version'];
    if (typeof version === 'string' && !SUPPORTED_PROTOCOL_VERSIONS.includes(version)) {
      return [400, -32000, `Bad Request: Unsupported protocol version: ${version} (supported versions: ${SUPPORTED_PROTOCOL_VERSIONS.join(', ')})`];
    }
    return undefined;
  }

  private error(res: ServerResponse, status: number, code: number, message: string): void {
    this.onerror?.(new Error(message));
    if (res.headersSent) return void res.end();
    const text = JSON.stringify({ jsonrpc: '2.0', error: { code, message }, id: null });
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  }
}

function requestUrl(req: IncomingMessage): URL {
  return new URL(req.url ?? '/', `http://${req.headers.host ?? 'localhost'}`);
}
