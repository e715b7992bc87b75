// The one HTTP client of the registry, used by the CLI, the dashboard and the agents' heartbeat loop.
// node:http, not fetch: loading undici is ~20 ms on an agent's way to its first heartbeat, and an agent that calls
// no other agent never needs it. One connection per request: a heartbeat every few seconds racing the server's
// idle timeout would fail now and then on a socket closed under it; a loopback or LAN connect costs far less.
import { request as httpRequest, type IncomingMessage, type RequestOptions } from 'node:http';
import type { SecureContextOptions } from 'node:tls';
import { parseRegistryUrls, RegistryEndpoints, type FailoverOptions } from './registry-endpoints.js';
import type { AgentsResponse, AgentView, CapabilitiesResponse, EventsResponse, HealthResponse } from './wire.js';

/** TLS settings for an https registry (what node:https takes); issue 14 fills them from the environment. */
export type RegistryTlsOptions = Pick<RequestOptions & SecureContextOptions, 'ca' | 'cert' | 'key' | 'passphrase'> & {
  rejectUnauthorized?: boolean;
  servername?: string;
};

export interface RegistryClientOptions {
  /**
   * The registry's base URL, e.g. http://127.0.0.1:8000 (a trailing slash is dropped), or several replicas'
   * comma-separated: requests move to the next at once when one cannot be reached or answers 502/503/504.
   */
  url: string;
  /** Told when requests move to another replica (one log line per move). */
  onFailover?: (from: string, to: string, reason: string) => void;
  /** Sent as `Authorization: Bearer <token>` with every request. */
  token?: string;
  /** Per request, unless a call says otherwise. Default 10 s. */
  timeoutMs?: number;
  tls?: RegistryTlsOptions;
}

/** What went wrong talking to the registry, so each client can say it in its own words. */
export type RegistryFailure =
  /** The URL given is not an http(s) URL. */
  | 'bad-url'
  /** No connection (refused, reset, DNS…): `reason` holds the system code. */
  | 'unreachable'
  /** No full answer within `timeoutMs`. */
  | 'timeout'
  /** An answer, but not 2xx: `status`, and `detail` from the JSON error body (`{"error": …}`). */
  | 'status'
  /** A 2xx answer that is not the JSON expected. */
  | 'bad-answer';

export class RegistryError extends Error {
  override readonly name = 'RegistryError';
  readonly failure: RegistryFailure;
  /** The registry's base URL. */
  readonly url: string;
  readonly path: string;
  readonly status?: number;
  /** The registry's own error text (`error` of its JSON body), when it sent one. */
  readonly detail?: string;
  /** For `unreachable`: the system error code or message; for `timeout`: the limit, e.g. `10 s`. */
  readonly reason?: string;

  constructor(
    fields: { failure: RegistryFailure; url: string; path: string; status?: number; detail?: string; reason?: string; cause?: unknown },
    message?: string,
  ) {
    super(message ?? describeFailure(fields), fields.cause === undefined ? undefined : { cause: fields.cause });
    this.failure = fields.failure;
    this.url = fields.url;
    this.path = fields.path;
    this.status = fields.status;
    this.detail = fields.detail;
    this.reason = fields.reason;
  }
}

function describeFailure(f: { failure: RegistryFailure; url: string; path: string; status?: number; detail?: string; reason?: string }): string {
  switch (f.failure) {
    case 'bad-url':
      return `registry URL must be an http(s) URL such as http://127.0.0.1:8000 (got "${f.url}")`;
    case 'unreachable':
      return `registry unreachable at ${f.url} (${f.reason})`;
    case 'timeout':
      return `registry at ${f.url} gave no answer within ${f.reason} (${f.path})`;
    case 'status':
      return `registry at ${f.url} answered ${f.status} for ${f.path}${f.detail ? `: ${f.detail}` : ''}`;
    case 'bad-answer':
      return `registry at ${f.url} answered ${f.path} with ${f.detail ?? 'something that is not JSON'}`;
  }
}

/** A whole answer, any status. */
export interface RegistryAnswer {
  status: number;
  ok: boolean;
  text: string;
  /** The body as JSON; undefined when empty or not JSON. */
  json<T>(): T | undefined;
}

/** An answer whose body is still arriving (the event stream). */
export interface RegistryStream {
  status: number;
  body: AsyncIterable<Buffer>;
  /** Ends the connection. */
  close(): void;
}

export type Query = Record<string, string | number | undefined>;

export interface SendOptions {
  query?: Query;
  /** Sent as JSON. */
  body?: unknown;
  headers?: Record<string, string>;
  /** The caller's cancellation: the call rejects with the signal's reason. */
  signal?: AbortSignal;
  /** Overrides the client's timeout for this call; 0 = none (the caller's signal bounds it). */
  timeoutMs?: number;
}

/** Checks and normalises a registry base URL, or a comma-separated list of them: the one place that knows what a base URL is. */
export function registryBaseUrl(raw: string): string {
  return registryBaseUrls(raw).join(',');
}

function registryBaseUrls(raw: string): string[] {
  try {
    return parseRegistryUrls(raw);
  } catch {
    throw new RegistryError({ failure: 'bad-url', url: raw, path: '' });
  }
}

export class RegistryClient {
  /** Every replica's base URL, as given. */
  readonly baseUrls: readonly string[];
  readonly timeoutMs: number;
  private readonly endpoints: RegistryEndpoints;
  private readonly token: string | undefined;
  private readonly tls: RegistryTlsOptions | undefined;

  constructor(options: RegistryClientOptions) {
    this.baseUrls = registryBaseUrls(options.url);
    this.endpoints = new RegistryEndpoints(this.baseUrls, options.onFailover);
    this.token = options.token || undefined;
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.tls = options.tls;
  }

  /** The base URL requests go to now (the replica that answered last). */
  get baseUrl(): string {
    return this.endpoints.current;
  }

  health(): Promise<HealthResponse> {
    return this.getJson<HealthResponse>('/health');
  }

  agents(query: { status?: string; capability?: string } = {}): Promise<AgentsResponse> {
    return this.getJson<AgentsResponse>('/agents', query);
  }

  /** One agent, or undefined when the registry does not know the id (404). */
  async agent(id: string): Promise<AgentView | undefined> {
    const answer = await this.send('GET', `/agents/${encodeURIComponent(id)}`, { headers: { accept: 'application/json' } });
    if (answer.status === 404) return undefined;
    return this.expectJson<AgentView>(`/agents/${encodeURIComponent(id)}`, answer);
  }

  capabilities(query: { name?: string; tags?: string[]; version?: string } = {}): Promise<CapabilitiesResponse> {
    return this.getJson<CapabilitiesResponse>('/capabilities', {
      name: query.name,
      tags: query.tags?.length ? query.tags.join(',') : undefined,
      version: query.version,
    });
  }

  events(query: { since?: number; limit?: number; agent_id?: string; type?: string } = {}): Promise<EventsResponse> {
    return this.getJson<EventsResponse>('/events', query);
  }

  /** GET a JSON document; anything but a 2xx JSON answer is a RegistryError. */
  async getJson<T>(path: string, query?: Query, options: Omit<SendOptions, 'query'> = {}): Promise<T> {
    const headers = { accept: 'application/json', ...options.headers };
    return this.expectJson<T>(path, await this.send('GET', path, { ...options, query, headers }));
  }

  /** GET a text document (e.g. /metrics); anything but 2xx is a RegistryError. */
  async getText(path: string, options: SendOptions = {}): Promise<string> {
    const answer = await this.send('GET', path, { ...options, headers: { accept: 'text/plain', ...options.headers } });
    if (!answer.ok) throw this.statusError(path, answer);
    return answer.text;
  }

  /**
   * One request, answered with any status (the heartbeat reads 202, 304, 410 as news, not failures). Rejects
   * with a RegistryError (unreachable, timeout), or the signal's reason when the caller aborted.
   */
  send(method: string, path: string, options: SendOptions = {}): Promise<RegistryAnswer> {
    return this.endpoints.request(async (base) => {
      const res = await this.open(base, method, path, options, false);
      const text = await readBody(res.message)
        .catch((error: unknown) => {
          throw res.timedOut() ? this.timeoutError(base, path, options) : this.transportError(base, path, error, options.signal);
        })
        .finally(res.done);
      return answer(res.message.statusCode ?? 0, text);
    }, this.failover(options));
  }

  /**
   * A GET whose body keeps arriving (Server-Sent Events). Not 2xx is a RegistryError (status and detail); the
   * client's timeout covers only the wait for the headers.
   */
  async stream(path: string, options: SendOptions = {}): Promise<RegistryStream> {
    const { res, status, base } = await this.endpoints.request(
      async (base) => {
        const res = await this.open(base, 'GET', path, options, true);
        return { res, status: res.message.statusCode ?? 0, base };
      },
      { ...this.failover(options), statusOf: (opened) => opened.status },
    );
    if (status < 200 || status >= 300) {
      const text = await readBody(res.message).catch(() => '');
      res.done();
      res.message.destroy();
      throw this.statusError(path, answer(status, text), base);
    }
    return {
      status,
      body: res.message,
      close: () => {
        res.done();
        res.message.destroy();
      },
    };
  }

  /** A RegistryError for a non-2xx answer, with the registry's error text. */
  statusError(path: string, res: RegistryAnswer, base = this.baseUrl): RegistryError {
    const detail = res.json<{ error?: unknown }>()?.error;
    return new RegistryError({ failure: 'status', url: base, path, status: res.status, detail: typeof detail === 'string' ? detail : undefined });
  }

  /** Moves to the next replica on a failed connection, a timeout or a 502/503/504; never when the caller aborted. */
  private failover(options: SendOptions): FailoverOptions<RegistryAnswer> {
    return { statusOf: (res) => res.status, stopped: () => options.signal?.aborted === true };
  }

  private expectJson<T>(path: string, res: RegistryAnswer): T {
    if (!res.ok) throw this.statusError(path, res);
    const body = res.json<T>();
    if (body === undefined || body === null || typeof body !== 'object') {
      throw new RegistryError({ failure: 'bad-answer', url: this.baseUrl, path, status: res.status });
    }
    return body;
  }

  /** The URL of a path on one replica. */
  private target(base: string, path: string, query: Query = {}): URL {
    const url = new URL(base + path);
    for (const [key, value] of Object.entries(query)) {
      if (value !== undefined && value !== '') url.searchParams.set(key, String(value));
    }
    return url;
  }

  /** Sends the request and waits for the answer's headers. `done` clears the timeout and the abort listener. */
  private async open(
    base: string,
    method: string,
    path: string,
    options: SendOptions,
    headersOnly: boolean,
  ): Promise<{ message: IncomingMessage; done: () => void; timedOut: () => boolean }> {
    const { signal } = options;
    signal?.throwIfAborted();
    const url = this.target(base, path, options.query);
    const https = url.protocol === 'https:';
    // node:https loads only for an https registry.
    const request = https ? (await import('node:https')).request : httpRequest;
    const body = options.body === undefined ? undefined : JSON.stringify(options.body);
    const headers: Record<string, string | number> = { ...options.headers, connection: 'close' };
    if (body !== undefined) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = Buffer.byteLength(body);
    }
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    const timeoutMs = options.timeoutMs ?? this.timeoutMs;
    return new Promise((resolve, reject) => {
      let timedOut = false;
      let timer: NodeJS.Timeout | undefined;
      const req = request(url, { method, headers, agent: false, ...(https ? this.tls : {}) }, (message) => {
        if (headersOnly) clearTimeout(timer);
        resolve({ message, done, timedOut: () => timedOut });
      });
      const onAbort = () => req.destroy(signal!.reason instanceof Error ? signal!.reason : new Error('aborted'));
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
      };
      if (timeoutMs > 0) {
        timer = setTimeout(() => {
          timedOut = true;
          req.destroy(new Error('timeout'));
        }, timeoutMs);
      }
      signal?.addEventListener('abort', onAbort, { once: true });
      req.on('error', (error) => {
        done();
        if (timedOut) reject(this.timeoutError(base, path, options));
        else reject(this.transportError(base, path, error, signal));
      });
      req.end(body);
    });
  }

  private timeoutError(base: string, path: string, options: SendOptions): RegistryError {
    return new RegistryError({ failure: 'timeout', url: base, path, reason: `${(options.timeoutMs ?? this.timeoutMs) / 1000} s` });
  }

  private transportError(base: string, path: string, error: unknown, signal: AbortSignal | undefined): unknown {
    if (signal?.aborted) return signal.reason;
    if (error instanceof RegistryError) return error;
    const err = error as NodeJS.ErrnoException;
    return new RegistryError({ failure: 'unreachable', url: base, path, reason: err.code ?? err.message ?? 'unknown error', cause: error });
  }
}

async function readBody(res: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of res) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function answer(status: number, text: string): RegistryAnswer {
  return {
    status,
    ok: status >= 200 && status < 300,
    text,
    json<T>() {
      try {
        return text ? (JSON.parse(text) as T) : undefined;
      } catch {
        return undefined;
      }
    },
  };
}
