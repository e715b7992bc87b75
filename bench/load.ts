// One load generator for both registries: autocannon, with the request of each turn chosen by `next()`.
import autocannon, { type AutocannonClient, type AutocannonRequest } from 'autocannon';

export interface LoadSpec {
  url: string;
  method: 'HEAD' | 'GET' | 'POST';
  connections: number;
  /** Seconds to run (ignored when `amount` is set). */
  durationS?: number;
  /** Exact number of requests to send (then stop). */
  amount?: number;
  /** With `durationS`: stop earlier once this many were sent. */
  maxRequests?: number;
  /** Hard stop for `amount` runs, in seconds (default 300): a load loop never runs unbounded. */
  limitS?: number;
  /** The path (and body) of the next request; called once per request sent. */
  next(): { path: string; body?: Buffer };
  /** Headers besides the JSON content type of a POST (an MCP server wants `accept`). */
  headers?: Record<string, string>;
}

export interface LoadResult {
  /** Responses received, any status. */
  completed: number;
  /** 2xx responses. */
  ok: number;
  statuses: Record<string, number>;
  errors: number;
  timeouts: number;
  /** First request sent → last response received. */
  seconds: number;
  /** 2xx responses per second. */
  perSecond: number;
  /** Per-response latency in ms (all statuses). */
  latenciesMs: number[];
  /** True when `limitS` ran out before `amount` was reached. */
  stopped: boolean;
}

const HEADERS_COMPLETE = 2; // http-parser-js's kOnHeadersComplete slot

/**
 * autocannon's response parser does not know a HEAD answer has no body: without Content-Length (MCP Mesh's Go
 * registry sends none) it would wait for one until the connection closes. Telling it to skip the body fixes that;
 * the hook goes in after the client's constructor has installed its own.
 */
function skipBodies(client: AutocannonClient): void {
  queueMicrotask(() => {
    const original = client.parser[HEADERS_COMPLETE]!;
    client.parser[HEADERS_COMPLETE] = (...args: unknown[]) => {
      original(...args);
      return 1;
    };
  });
}

export function runLoad(spec: LoadSpec): Promise<LoadResult> {
  const headers: Record<string, string> = { ...(spec.method === 'POST' ? { 'content-type': 'application/json' } : {}), ...spec.headers };
  const request: AutocannonRequest = {
    method: spec.method,
    headers,
    setupRequest: (req) => {
      const { path, body } = spec.next();
      return body ? { ...req, path, body } : { ...req, path };
    },
  };
  const latenciesMs: number[] = [];
  const statuses: Record<string, number> = {};
  let ok = 0;
  let lastResponse = 0;
  let stopped = false;
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: spec.url,
        connections: spec.connections,
        duration: spec.durationS ?? 10,
        ...(spec.amount ? { amount: spec.amount } : {}),
        ...(!spec.amount && spec.maxRequests ? { maxOverallRequests: spec.maxRequests } : {}),
        timeout: 30,
        requests: [request],
        ...(spec.method === 'HEAD' ? { setupClient: skipBodies } : {}),
      },
      (error, result) => {
        clearTimeout(guard);
        if (error) return reject(error);
        const seconds = ((lastResponse || performance.now()) - started) / 1000;
        const completed = latenciesMs.length;
        resolve({
          completed,
          ok,
          statuses,
          errors: result.errors,
          timeouts: result.timeouts,
          seconds,
          perSecond: ok / seconds,
          latenciesMs,
          stopped,
        });
      },
    );
    const guard = setTimeout(
      () => {
        stopped = true;
        instance.stop();
      },
      (spec.amount ? (spec.limitS ?? 300) : (spec.durationS ?? 10) + 30) * 1000,
    );
    instance.on('response', (_client: unknown, statusCode: number, _bytes: number, responseTime: number) => {
      lastResponse = performance.now();
      latenciesMs.push(responseTime);
      statuses[statusCode] = (statuses[statusCode] ?? 0) + 1;
      if (statusCode >= 200 && statusCode < 300) ok++;
    });
  });
}

/** Cycles through `items` in order, forever. */
export function rotate<T>(items: T[]): () => T {
  let i = 0;
  return () => items[i++ % items.length]!;
}

export function statusSummary(result: LoadResult): string {
  return Object.entries(result.statuses)
    .map(([code, count]) => `${code}×${count}`)
    .join(' ');
}
