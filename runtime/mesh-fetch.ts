// The `fetch` mesh sessions hand to the SDK's client transport: node:http with kept-alive connections instead of
// undici. A proxied call is one small JSON POST; undici's fetch streams even a string body through an async
// iterator (a write for the headers, another for the body) and builds a Request, two streams and an AbortSignal
// per call, which made it most of the consumer's CPU per call. Answers are plain Responses, read whole unless
// they are event streams (only a non-mesh provider would answer one).
import { Agent, request as httpRequest, type ClientRequest, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import type { Agent as HttpsAgent } from 'node:https';
import { createRequire } from 'node:module';
import type { ClientTls } from '../core/tls.js';
import { Readable } from 'node:stream';
import { retriesOnAnotherConnection, STALE_CONNECTION_RETRIES } from './retry-policy.js';

/**
 * One pool of kept-alive connections per process: providers are few, calls to each are many. Idle connections close
 * after 4 s (as undici's do; sooner if the server's Keep-Alive hint says so), before a server drops them under us.
 */
const agent = new Agent({ keepAlive: true, timeout: 4_000 });
/**
 * node:https, loaded by the first https call: it brings the TLS stack (~0.6 MB of an agent's RSS), and a mesh on
 * plain http (the default) never needs it.
 */
let https: typeof import('node:https') | undefined;
export function nodeHttps(): typeof import('node:https') {
  https ??= createRequire(import.meta.url)('node:https') as typeof import('node:https');
  return https;
}

/** The same for https providers: verified against the mesh's CA, presenting this agent's certificate (mutual TLS). */
let tlsAgent: HttpsAgent | undefined;

/** Called once at start with the agent's TLS settings (a new pool: connections made before do not carry them). */
export function useMeshTls(tls: ClientTls | undefined): void {
  if (!tls) return;
  meshTls = tls;
  tlsAgent = new (nodeHttps().Agent)({ keepAlive: true, timeout: 4_000, ...tls });
}

let meshTls: ClientTls | undefined;

/** The TLS settings and kept-alive https pool given to useMeshTls, for the session-less calls (mesh-call.ts). */
export function meshTlsPool(): { agent: HttpsAgent; tls: ClientTls | undefined } {
  tlsAgent ??= new (nodeHttps().Agent)({ keepAlive: true, timeout: 4_000 });
  return { agent: tlsAgent, tls: meshTls };
}

/** Requests under way per caller signal: one abort listener per signal, not one per request (10+ calls in flight). */
const underWay = new WeakMap<AbortSignal, Set<ClientRequest>>();

function track(signal: AbortSignal, req: ClientRequest): () => void {
  let requests = underWay.get(signal);
  const abort = () => {
    const reason = signal.reason instanceof Error ? signal.reason : new Error(String(signal.reason));
    for (const r of underWay.get(signal) ?? []) r.destroy(reason);
  };
  if (!requests) {
    requests = new Set();
    underWay.set(signal, requests);
    listeners.set(signal, abort);
    signal.addEventListener('abort', abort, { once: true });
  }
  requests.add(req);
  const set = requests;
  return () => {
    set.delete(req);
    // Gone with the last request: a listener left on a composite or timeout signal would keep it in memory.
    if (set.size === 0 && underWay.get(signal) === set) {
      underWay.delete(signal);
      signal.removeEventListener('abort', listeners.get(signal)!);
      listeners.delete(signal);
    }
  };
}
const listeners = new WeakMap<AbortSignal, () => void>();

export const meshFetch: typeof fetch = async (input, init = {}) => {
  const url = input instanceof URL ? input : new URL(typeof input === 'string' ? input : input.url);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return fetch(input, init);
  const { signal } = init;
  signal?.throwIfAborted();
  const headers = headerObject(init.headers);
  if (typeof init.body === 'string') copyTraceContext(init.body, headers);
  const body = bodyBuffer(init.body);
  if (body) headers['content-length'] = String(body.length);
  for (let stale = 0; ; stale++) {
    try {
      return await send(url, init.method ?? 'GET', headers, body, signal);
    } catch (error) {
      // retry-policy.ts: a kept-alive connection the server closed under us goes again, on another connection.
      if (!(error instanceof StaleConnectionError) || stale >= STALE_CONNECTION_RETRIES)
        throw error instanceof StaleConnectionError ? error.cause : error;
    }
  }
};

class StaleConnectionError extends Error {}

/** How far into a JSON-RPC body the trace context may start: mcp-client.ts puts `_meta` first in `params`. */
const TRACE_SEARCH_CHARS = 160;
const TRACEPARENT_FIELD = '"traceparent":"';
const TRACESTATE_FIELD = '"tracestate":"';

/**
 * The W3C trace context of a request, from its `params._meta` to the `traceparent`/`tracestate` headers, which
 * proxies and gateways on the way read: the SDK's transport sets headers per session, not per request.
 */
function copyTraceContext(body: string, headers: Record<string, string>): void {
  const at = body.indexOf(TRACEPARENT_FIELD);
  if (at < 0 || at > TRACE_SEARCH_CHARS) return;
  const start = at + TRACEPARENT_FIELD.length;
  headers.traceparent = body.slice(start, start + 55);
  const state = body.indexOf(TRACESTATE_FIELD, start);
  // tracestate follows traceparent in the same _meta object (propagationFields builds it so), at most 4 KB long.
  if (state > 0 && state < start + 80) {
    const from = state + TRACESTATE_FIELD.length;
    const to = body.indexOf('"', from);
    const value = body.slice(from, to);
    // A JSON escape inside would need decoding: rare enough to leave to _meta.
    if (to > from && !value.includes('\\')) headers.tracestate = value;
  }
}

function send(
  url: URL,
  method: string,
  headers: Record<string, string>,
  body: Buffer | undefined,
  signal: AbortSignal | null | undefined,
): Promise<Response> {
  return new Promise<Response>((resolve, reject) => {
    const req =
      url.protocol === 'https:'
        ? nodeHttps().request(url, { method, headers, agent: meshTlsPool().agent })
        : httpRequest(url, { method, headers, agent });
    const done = signal ? track(signal, req) : () => undefined;
    req.once('error', (error: NodeJS.ErrnoException) => {
      done();
      if (signal?.aborted) return reject(signal.reason);
      reject(retriesOnAnotherConnection(error, req.reusedSocket) ? new StaleConnectionError(error.message, { cause: error }) : error);
    });
    req.once('response', (res) => {
      const status = res.statusCode ?? 0;
      if (/^text\/event-stream/i.test(res.headers['content-type'] ?? '')) {
        // A stream stays open: the caller's signal keeps control of it until it ends.
        res.once('close', done);
        resolve(new Response(Readable.toWeb(res) as ReadableStream, { status, statusText: res.statusMessage ?? '', headers: webHeaders(res) }));
        return;
      }
      readAll(res).then(
        (buffer) => {
          done();
          resolve(new BufferedResponse(status, res.statusMessage ?? '', res.headers, buffer) as unknown as Response);
        },
        (error) => (done(), reject(signal?.aborted ? signal.reason : error)),
      );
    });
    req.end(body);
  });
}

function webHeaders(res: IncomingMessage): Headers {
  const headers = new Headers();
  for (let i = 0; i < res.rawHeaders.length; i += 2) headers.append(res.rawHeaders[i]!, res.rawHeaders[i + 1]!);
  return headers;
}

/**
 * A whole answer already in memory, with what a Response offers to read it. A real Response wraps even a small
 * buffer in a ReadableStream (a transferable object, expensive in Node 20): a fifth of the consumer's CPU per call.
 */
class BufferedResponse {
  readonly ok: boolean;
  readonly type = 'basic';
  readonly url = '';
  readonly redirected = false;
  readonly headers: BufferedHeaders;
  private used = false;
  private stream?: ReadableStream<Uint8Array> | null;

  constructor(
    readonly status: number,
    readonly statusText: string,
    headers: IncomingHttpHeaders,
    private readonly buffer: Buffer,
  ) {
    this.ok = status >= 200 && status < 300;
    this.headers = new BufferedHeaders(headers);
  }

  get bodyUsed(): boolean {
    return this.used;
  }

  /** Made on demand (the SDK only ever cancels it, on an empty 202). */
  get body(): ReadableStream<Uint8Array> | null {
    if (this.stream === undefined) this.stream = this.buffer.length === 0 ? null : (new Response(this.buffer).body as ReadableStream<Uint8Array>);
    return this.stream;
  }

  async text(): Promise<string> {
    return this.take().toString('utf8');
  }

  async json(): Promise<unknown> {
    return JSON.parse(await this.text());
  }

  async arrayBuffer(): Promise<ArrayBuffer> {
    const b = this.take();
    return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
  }

  async bytes(): Promise<Uint8Array> {
    return new Uint8Array(this.take());
  }

  clone(): BufferedResponse {
    return new BufferedResponse(this.status, this.statusText, this.headers.raw, this.buffer);
  }

  private take(): Buffer {
    if (this.used) throw new TypeError('Body is unusable: Body has already been read');
    this.used = true;
    return this.buffer;
  }
}

/** Headers' reading side over node's parsed headers (names already lowercase). */
class BufferedHeaders {
  constructor(readonly raw: IncomingHttpHeaders) {}

  get(name: string): string | null {
    const value = this.raw[name.toLowerCase()];
    return value === undefined ? null : Array.isArray(value) ? value.join(', ') : value;
  }

  has(name: string): boolean {
    return this.raw[name.toLowerCase()] !== undefined;
  }

  getSetCookie(): string[] {
    return this.raw['set-cookie'] ?? [];
  }

  *entries(): IterableIterator<[string, string]> {
    for (const name of Object.keys(this.raw).sort()) yield [name, this.get(name)!];
  }

  keys(): IterableIterator<string> {
    return [...this.entries()].map(([k]) => k)[Symbol.iterator]();
  }

  values(): IterableIterator<string> {
    return [...this.entries()].map(([, v]) => v)[Symbol.iterator]();
  }

  forEach(callback: (value: string, name: string, parent: BufferedHeaders) => void): void {
    for (const [name, value] of this.entries()) callback(value, name, this);
  }

  [Symbol.iterator](): IterableIterator<[string, string]> {
    return this.entries();
  }
}

function headerObject(headers: RequestInit['headers']): Record<string, string> {
  const out: Record<string, string> = {};
  if (!headers) return out;
  if (headers instanceof Headers || Array.isArray(headers)) {
    for (const [k, v] of headers as Iterable<[string, string]>) out[k.toLowerCase()] = v;
  } else {
    for (const [k, v] of Object.entries(headers as Record<string, string>)) out[k.toLowerCase()] = v;
  }
  return out;
}

function bodyBuffer(body: RequestInit['body']): Buffer | undefined {
  if (body === undefined || body === null) return undefined;
  if (typeof body === 'string') return Buffer.from(body);
  if (body instanceof Uint8Array) return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  if (body instanceof ArrayBuffer) return Buffer.from(body);
  throw new TypeError('mesh fetch: only string and byte bodies are supported');
}

async function readAll(res: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of res) chunks.push(chunk as Buffer);
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
}
