// Session-less MCP: a POST with no session (no initialize before it, no Mcp-Session-Id, or one this process does not
// know) is served on its own, as the SDK's stateless mode serves it and as MCP Mesh's agents and meshctl expect.
// Nothing is kept per caller, so any worker of a PM2 cluster answers any call, and a restarted agent answers at once.
//
// One McpServer serves every such request through this one transport. The SDK's Protocol keys requests by their
// JSON-RPC id, and two callers may both send id 1: each request gets a process-wide id on the way in and its own id
// back on the way out. A caller that leaves before its answer cancels the request (its handler's signal aborts).
//
// The answer is JSON or an event stream, as the Accept header asks: JSON when it takes JSON (the cheaper one),
// an event stream when it takes only that, or when a request asks for progress and the caller takes both.
// A mesh consumer (MESH_CONSUMER_HEADER) gets the answer's headers as soon as its call is handed to the tool:
// headers before any failure tell it the call started, so it never runs the call a second time (runtime retries).
import type { IncomingMessage, ServerResponse } from 'node:http';
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
import { MESH_CONSUMER_HEADER } from '../../core/mesh-session.js';

/** Largest batch served in one POST (the SDK's transports refuse more too). */
const MAX_BATCH = 100;

/** One POST: answered once each request in it is. */
interface Exchange {
  res: ServerResponse;
  /** The caller's ids, in order, and ours for them. */
  callerIds: RequestId[];
  ours: number[];
  answers: Map<number, JSONRPCMessage>;
  stream: boolean;
  done: boolean;
}

let nextId = 1;

export class StatelessTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: <T extends JSONRPCMessage>(message: T, extra?: MessageExtraInfo) => void;
  /** Requests handed to the server and not answered yet, by our id. */
  private readonly pending = new Map<number, Exchange>();
  private closed = false;

  async start(): Promise<void> {}

  /** Serves one POST whose body is already parsed. */
  handlePost(req: IncomingMessage, res: ServerResponse, body: unknown): void {
    const accept = (req.headers.accept ?? '').toLowerCase();
    const takesJson = accept === '' || accept.includes('application/json') || accept.includes('*/*') || accept.includes('application/*');
    const takesStream = accept.includes('text/event-stream');
    if (!takesJson && !takesStream) {
      reply(res, 406, -32000, 'Not Acceptable: Accept must include application/json or text/event-stream');
      return;
    }
    const type = req.headers['content-type'];
    if (type !== undefined && !/^application\/json\s*(;|$)/i.test(type)) {
      reply(res, 415, -32000, 'Unsupported Media Type: Content-Type must be application/json');
      return;
    }
    const version = req.headers['mcp-protocol-version'];
    if (typeof version === 'string' && !SUPPORTED_PROTOCOL_VERSIONS.includes(version)) {
      reply(
        res,
        400,
        -32000,
        `Bad Request: Unsupported protocol version: ${version} (supported versions: ${SUPPORTED_PROTOCOL_VERSIONS.join(', ')})`,
      );
      return;
    }
    if (Array.isArray(body) && (body.length === 0 || body.length > MAX_BATCH)) {
      reply(res, 400, -32600, `Invalid Request: a batch holds 1 to ${MAX_BATCH} messages`);
      return;
    }
    let messages: JSONRPCMessage[];
    try {
      messages = Array.isArray(body) ? body.map((m) => JSONRPCMessageSchema.parse(m)) : [JSONRPCMessageSchema.parse(body)];
    } catch {
      reply(res, 400, -32600, 'Invalid Request: not a JSON-RPC 2.0 message');
      return;
    }
    if (messages.some(isInitializeRequest)) {
      reply(res, 400, -32600, 'Invalid Request: initialize opens a session and must come alone, without Mcp-Session-Id');
      return;
    }
    if (this.closed) {
      reply(res, 503, -32000, 'Service Unavailable: agent shutting down');
      return;
    }
    const requests = messages.filter(isJSONRPCRequest);
    const extra: MessageExtraInfo = { requestInfo: { headers: req.headers as Record<string, string> } };
    // Notifications (and stray responses: nobody here asked anything) need no answer.
    if (requests.length === 0) {
      for (const m of messages) if (isJSONRPCNotification(m) && m.method !== 'notifications/cancelled') this.onmessage?.(m, extra);
      res.writeHead(202).end();
      return;
    }
    const wantsProgress = requests.some((r) => (r.params as { _meta?: { progressToken?: unknown } } | undefined)?._meta?.progressToken !== undefined);
    const stream = !takesJson || (takesStream && wantsProgress);
    const exchange: Exchange = { res, callerIds: requests.map((r) => r.id), ours: [], answers: new Map(), stream, done: false };
    if (stream) {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      res.flushHeaders();
    } else if (req.headers[MESH_CONSUMER_HEADER] !== undefined) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.flushHeaders();
    }
    res.once('close', () => {
      if (!exchange.done) this.abandon(exchange);
    });
    for (const message of messages) {
      if (isJSONRPCRequest(message)) {
        const ours = nextId++;
        exchange.ours.push(ours);
        this.pending.set(ours, exchange);
        this.onmessage?.({ ...message, id: ours }, extra);
      } else if (isJSONRPCNotification(message) && message.method !== 'notifications/cancelled') {
        this.onmessage?.(message, extra);
      }
    }
  }

  async send(message: JSONRPCMessage, options?: TransportSendOptions): Promise<void> {
    const isAnswer = isJSONRPCResultResponse(message) || isJSONRPCErrorResponse(message);
    const ours = isAnswer ? message.id : options?.relatedRequestId;
    const exchange = typeof ours === 'number' ? this.pending.get(ours) : undefined;
    if (!exchange || exchange.done) return; // no caller to tell (gone, or a server-initiated message with no request)
    if (!isAnswer) {
      // Progress and logging of a request go on its event stream; a JSON answer has no place for them.
      if (exchange.stream && isJSONRPCNotification(message)) write(exchange.res, message);
      return;
    }
    this.pending.delete(ours as number);
    const callerId = exchange.callerIds[exchange.ours.indexOf(ours as number)]!;
    const answer = { ...message, id: callerId } as JSONRPCMessage;
    if (exchange.stream) write(exchange.res, answer);
    else exchange.answers.set(ours as number, answer);
    if (exchange.ours.some((id) => this.pending.get(id) === exchange)) return;
    exchange.done = true;
    const { res } = exchange;
    if (res.destroyed) return;
    if (exchange.stream) return void res.end();
    const ordered = exchange.ours.map((id) => exchange.answers.get(id)!);
    const text = JSON.stringify(ordered.length === 1 && exchange.callerIds.length === 1 ? ordered[0] : ordered);
    if (!res.headersSent) res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  }

  /** Requests still running when the agent stops answer 503: a mesh caller then tries elsewhere. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const exchange of new Set(this.pending.values())) {
      this.abandon(exchange);
      if (!exchange.res.headersSent) reply(exchange.res, 503, -32000, 'Service Unavailable: agent shutting down');
      else exchange.res.destroy();
    }
    this.onclose?.();
  }

  get inFlight(): number {
    return this.pending.size;
  }

  /** The caller left (or we stop): its requests are cancelled, so their handlers see their signal abort. */
  private abandon(exchange: Exchange): void {
    exchange.done = true;
    for (const ours of exchange.ours) {
      if (this.pending.get(ours) !== exchange) continue;
      this.pending.delete(ours);
      this.onmessage?.({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: ours, reason: 'the caller left' } });
    }
  }
}

function write(res: ServerResponse, message: JSONRPCMessage): void {
  if (!res.destroyed) res.write(`event: message\ndata: ${JSON.stringify(message)}\n\n`);
}

function reply(res: ServerResponse, status: number, code: number, message: string): void {
  const text = JSON.stringify({ jsonrpc: '2.0', error: { code, message }, id: null });
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
