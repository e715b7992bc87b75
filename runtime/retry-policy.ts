// When a proxied call fails: what is retried, where, and why. The one error classifier and the one retry policy;
// the three layers of a call ask here and decide nothing themselves:
//   proxy-call.ts (along the dependency's ranked providers) → mcp-client.ts (a session) → mesh-fetch.ts (a connection)
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
