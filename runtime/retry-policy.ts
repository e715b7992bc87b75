// When a proxied call fails: what is retried, where, and why. The one error classifier and the one retry policy;
// the layers of a call ask here and decide nothing themselves. Agents call each other session-less:
//   proxy-call.ts (along the dependency's ranked providers) → mesh-call.ts (one POST on a kept-alive connection)
// The gateway keeps sessions to providers: mcp-client.ts (a session) → mesh-fetch.ts (a connection).
//
// | failure                                               | retried                                   | where          |
// |-------------------------------------------------------|-------------------------------------------|----------------|
// | a kept-alive connection the provider closed just      | at once, on another connection (up to 8:  | mesh-fetch.ts  |
// | before we reused it (ECONNRESET/EPIPE, reused socket) | each stale one fails at once)             |                |
// | our session is gone: the provider answers 404 to it,  | once, on a new session                    | mcp-client.ts  |
// | or closed the socket under a session we reused        |                                           |                |
// | connection failure: refused, reset, host or DNS       | on the next ranked provider; counts       | proxy-call.ts  |
// | unreachable, connect timeout; 502/503 (draining)      | towards the provider's circuit breaker    |                |
// | the call's timeout, a cancellation, the provider's    | never                                     | —              |
// | error (an error answer, another HTTP status …)        |                                           |                |
//
// Session-less mesh calls (mesh-call.ts) say when the provider started a call: its answer's headers, which our
// providers send the moment the call reaches the tool. Before them nothing has run; after them the call may have.
//
// | failure (session-less)                                | retried                                   | where          |
// |-------------------------------------------------------|-------------------------------------------|----------------|
// | a stale kept-alive connection (reset, no answer yet)  | at once, on another connection (up to 8)  | mesh-call.ts   |
// | the connection closed before the provider started the | once: on the next ranked provider, or on  | proxy-call.ts  |
// | call (a worker killed or reloaded between calls), or  | the same endpoint over a fresh connection |                |
// | unreachable / 502 / 503 (a provider draining)         | when there is no other                    |                |
// | a connection closed after the provider started it     | never: it may have run                    | —              |
//
// Why: the first two mean the provider never got the request (it restarted, or dropped an idle connection), so the
// same provider gets it again. A connection failure means this provider cannot serve now; another one can.
// After a timeout or an error answer the call may have run, and running it again could do its work twice.
// (Talking to the registry is not a proxied call: heartbeat.ts retries it with backoff, 1 s doubling to 30 s.)
import type { StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

export type CallFailure =
  /** The caller's signal aborted: its cancellation or timeout, not the provider's doing. */
  | 'cancelled'
  /** A connection closed under us (reset, broken pipe, socket closed): stale if it was a reused one. */
  | 'connection-closed'
  /** The provider does not know our session (404): it restarted. */
  | 'session-gone'
  /** The provider could not be reached, or is draining. */
  | 'unreachable'
  /** The call reached the provider and failed there (timeout, protocol or tool error …). */
  | 'call-failed';

/** Times mesh-fetch.ts sends a request again after a stale connection. */
export const STALE_CONNECTION_RETRIES = 8;
/** Times mcp-client.ts calls again on a new session. */
export const NEW_SESSION_RETRIES = 1;
/** Times proxy-call.ts sends a call again to the endpoint that failed it, when the dependency has no other provider. */
export const SAME_ENDPOINT_RETRIES = 1;

/** A session-less call's connection closed before the provider started it; `reused`: it was a kept-alive one. */
export class ConnectionClosedError extends Error {
  override readonly name = 'ConnectionClosedError';
  constructor(
    message: string,
    readonly reused: boolean,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** A session-less call reached the provider (or may have run there): never sent again. */
export class CallFailedError extends Error {
  override readonly name = 'CallFailedError';
}

/** The request never reached a working provider: safe and useful to try another one. */
export class ProviderUnreachableError extends Error {
  override readonly name = 'ProviderUnreachableError';
}

const CLOSED_CODES = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET']);
const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_CLOSED',
]);

/** The SDK's HTTP error class, known once its client side is loaded (mcp-client.ts loads it lazily). */
let HttpError: typeof StreamableHTTPError | undefined;

export function recognizeHttpErrors(errorClass: typeof StreamableHTTPError): void {
  HttpError = errorClass;
}

/** What went wrong, as far as retrying goes; `signal`: the call's own, whose abort makes any error a cancellation. */
export function classifyFailure(error: unknown, signal?: AbortSignal | null): CallFailure {
  if (signal?.aborted) return 'cancelled';
  if (error instanceof ProviderUnreachableError) return 'unreachable';
  if (error instanceof ConnectionClosedError) return 'connection-closed';
  if (error instanceof CallFailedError) return 'call-failed';
  if (HttpError !== undefined && error instanceof HttpError) {
    if (error.code === 404) return 'session-gone';
    return error.code === 502 || error.code === 503 ? 'unreachable' : 'call-failed';
  }
  let unreachable = false;
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && CLOSED_CODES.has(code)) return 'connection-closed';
    if ((typeof code === 'string' && UNREACHABLE_CODES.has(code)) || e.message === 'fetch failed' || e.message === 'terminated') unreachable = true;
  }
  return unreachable ? 'unreachable' : 'call-failed';
}

/** mesh-fetch.ts: send the same request again, at once, on another connection? */
export function retriesOnAnotherConnection(error: unknown, socketReused: boolean): boolean {
  return socketReused && classifyFailure(error) === 'connection-closed';
}

/** mcp-client.ts: call again on a new session? (`sessionReused`: the session was open before this call.) */
export function retriesOnNewSession(failure: CallFailure, sessionReused: boolean): boolean {
  return failure === 'session-gone' || (sessionReused && failure === 'connection-closed');
}

/** proxy-call.ts: try the next ranked provider, counting a failure against this one's circuit? */
export function failsOver(failure: CallFailure): boolean {
  return failure === 'unreachable' || failure === 'connection-closed';
}
