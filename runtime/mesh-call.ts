// MCP calls to other agents (what an injected proxy sends), session-less: one POST of `tools/call` per call on a kept-alive node:http connection,
// no initialize round trip and nothing kept per provider, as MCP Mesh's agents call each other. Any worker of a
// PM2 cluster answers any call; a restarted provider answers at once. The answer is JSON (ours, and any provider
// that can) or an event stream (read up to the call's answer).
//
// When the provider started the call matters (runtime/retry-policy.ts never runs a call twice after that): its answer's
// headers say so. Our providers send them as soon as the call is handed to the tool, to callers that name
// themselves with MESH_CONSUMER_HEADER; other servers with their answer, which is only more careful.
import { Agent, request as httpRequest, type IncomingMessage } from 'node:http';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { MCP_PATH, MESH_CONSUMER_HEADER } from '../core/mesh-session.js';
import { SseParser } from '../core/sse-parser.js';
import { propagationFields, type TraceContext } from '../core/trace-context.js';
import { describeError, type Logger } from './log.js';
import { meshTlsPool, nodeHttps } from './mesh-fetch.js';
import {
  CallFailedError,
  ConnectionClosedError,
  ProviderUnreachableError,
  retriesOnAnotherConnection,
  STALE_CONNECTION_RETRIES,
} from './retry-policy.js';

export interface CallToolOptions {
  signal?: AbortSignal;
  timeoutMs: number;
  /** On a connection of its own, not a kept-alive one (a retry: never the socket of a worker going away). */
  freshConnection?: boolean;
  /** The call's span: sent as W3C trace context in `params._meta` and as `traceparent`/`tracestate` headers. */
  trace?: TraceContext;
}

/** An error the provider answered in JSON-RPC (unknown tool, invalid arguments …): the call reached it. */
export class McpAnswerError extends CallFailedError {
  constructor(
    readonly code: number,
    message: string,
    readonly data?: unknown,
  ) {
    super(`MCP error ${code}: ${message}`);
  }
}

interface RpcAnswer {
  id?: unknown;
  result?: unknown;
  error?: { code?: number; message?: string; data?: unknown };
}

let nextId = 1;

/** One pool of kept-alive connections for every provider this agent calls. */
export class MeshCallClient {
  /**
   * Kept-alive connections to providers. Idle ones close after 4 s (sooner if the server's Keep-Alive hint says so),
   * before a provider drops them under us; one that closed anyway is retried at once (retry-policy.ts).
   */
  private readonly agent = new Agent({ keepAlive: true, timeout: 4_000 });

  private readonly userAgent: string;

  constructor(
    private readonly consumerId: string,
    version: string,
    private readonly log: Logger,
  ) {
    this.userAgent = `pm2-mesh/${version}`;
  }

  /** tools/call on the agent at `endpoint`. Throws the retry policy's errors (unreachable, closed before start …). */
  async callTool(endpoint: string, name: string, args: Record<string, unknown>, options: CallToolOptions): Promise<CallToolResult> {
    const id = nextId++;
    const trace = options.trace ? propagationFields(options.trace) : undefined;
    const params = trace ? { _meta: trace, name, arguments: args } : { name, arguments: args };
    const body = Buffer.from(JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params }));
    const url = new URL(`${endpoint.replace(/\/+$/, '')}${MCP_PATH}`);
    for (let stale = 0; ; stale++) {
      try {
        return await this.post(url, body, id, options, trace);
      } catch (error) {
        // retry-policy.ts: a kept-alive connection the provider closed under us goes again, on another connection.
        if (!(error instanceof ConnectionClosedError) || stale >= STALE_CONNECTION_RETRIES || !retriesOnAnotherConnection(error, error.reused))
          throw error;
        this.log.debug(`connection to ${endpoint} was closed before the call went out (${describeError(error)}); again on another one`);
      }
    }
  }

  /** Nothing is kept per provider: there is nothing to let go of when the wiring changes. */
  retain(_endpoints: Set<string>): void {}

  async closeAll(): Promise<void> {
    this.agent.destroy();
  }

  private post(
    url: URL,
    body: Buffer,
    id: number,
    { signal, timeoutMs, freshConnection }: CallToolOptions,
    trace: { traceparent: string; tracestate?: string } | undefined,
  ): Promise<CallToolResult> {
    signal?.throwIfAborted();
    return new Promise<CallToolResult>((resolve, reject) => {
      let started = false;
      let settled = false;
      const settle = (error: unknown, result?: CallToolResult) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        if (error) reject(error);
        else resolve(result!);
      };
      const https = url.protocol === 'https:';
      const request = https ? nodeHttps().request : httpRequest;
      const tlsPool = https ? meshTlsPool() : undefined;
      const req = request(url, {
        method: 'POST',
        // A fresh connection for a retry: never the kept-alive socket of a worker going away.
        agent: freshConnection ? false : (tlsPool?.agent ?? this.agent),
        ...(tlsPool?.tls ?? {}),
        headers: {
          'user-agent': this.userAgent,
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
          'content-length': body.length,
          ...trace,
          [MESH_CONSUMER_HEADER]: this.consumerId,
        },
      });
      const onAbort = () => {
        settle(signal!.reason);
        req.destroy();
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      // Our own timer: the request ends on both sides (the provider's handler sees its signal abort).
      const timer = setTimeout(() => {
        settle(new CallFailedError(`MCP error -32001: Request timed out (after ${timeoutMs} ms)`));
        req.destroy();
      }, timeoutMs);
      req.once('error', (error: NodeJS.ErrnoException) => {
        if (settled) return;
        if (started)
          return settle(
            new CallFailedError(
              `the provider's connection closed while it ran the call (${error.code ?? error.message}); not retried: it may have run`,
              { cause: error },
            ),
          );
        if (error.code === 'ECONNRESET' || error.code === 'EPIPE')
          return settle(new ConnectionClosedError(error.message, req.reusedSocket, { cause: error }));
        settle(new ProviderUnreachableError(`${url.origin}: ${error.code ?? error.message}`, { cause: error }));
      });
      req.once('response', (res) => {
        started = true;
        readAnswer(res, id).then(
          (result) => settle(null, result),
          (error: unknown) =>
            settle(
              error instanceof CallFailedError || error instanceof ProviderUnreachableError
                ? error
                : new CallFailedError(
                    `the provider's connection closed while it ran the call (${describeError(error)}); not retried: it may have run`,
                    { cause: error },
                  ),
            ),
        );
      });
      req.end(body);
    });
  }
}

/** The call's answer from a JSON body or an event stream; statuses other than 200 say why there is none. */
async function readAnswer(res: IncomingMessage, id: number): Promise<CallToolResult> {
  const status = res.statusCode ?? 0;
  const type = res.headers['content-type'] ?? '';
  if (status === 503 || status === 502) {
    res.resume();
    // A draining provider (or a gateway in front of one) answers before it runs anything: safe to send elsewhere.
    throw new ProviderUnreachableError(`answered ${status} (${res.statusMessage ?? ''}) before running the call`);
  }
  if (status === 200 && /^text\/event-stream/i.test(type)) return answerFromStream(res, id);
  const text = await readText(res);
  if (status !== 200) throw new CallFailedError(`answered HTTP ${status}: ${text.slice(0, 300) || res.statusMessage}`);
  let message: RpcAnswer | RpcAnswer[];
  try {
    message = JSON.parse(text) as RpcAnswer | RpcAnswer[];
  } catch {
    throw new CallFailedError(`answered something that is not JSON: ${text.slice(0, 200)}`);
  }
  const answer = Array.isArray(message) ? message.find((m) => m.id === id) : message;
  return toResult(answer);
}

async function answerFromStream(res: IncomingMessage, id: number): Promise<CallToolResult> {
  const parser = new SseParser();
  res.setEncoding('utf8');
  for await (const chunk of res) {
    for (const event of parser.feed(chunk as string)) {
      if (event.event !== 'message' || !event.data) continue;
      const message = JSON.parse(event.data) as RpcAnswer;
      if (message.id === id && ('result' in message || 'error' in message)) {
        res.destroy(); // the answer is in: the rest of the stream is not ours
        return toResult(message);
      }
    }
  }
  throw new CallFailedError("the answer stream ended without the call's result");
}

function toResult(answer: RpcAnswer | undefined): CallToolResult {
  if (!answer) throw new CallFailedError('the answer holds no reply to the call');
  if (answer.error) throw new McpAnswerError(answer.error.code ?? -32603, answer.error.message ?? 'error', answer.error.data);
  const result = answer.result as CallToolResult | undefined;
  if (!result || typeof result !== 'object') throw new CallFailedError("the answer's result is not a CallToolResult");
  return result;
}

async function readText(res: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of res) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
