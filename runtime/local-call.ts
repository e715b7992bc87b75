// Self-proxy calls: a tool of this agent run in-process with the timeout and cancellation a remote call has, but
// cheaply: one timer and one promise per call; the handler's AbortSignal is only made if the handler reads it.
import { loadSdkTypes } from './sdk-server.js';
import type { ToolExtra } from './types.js';

/** One local call under way. Its `signal` aborts when the call times out or the caller cancels it. */
export class LocalCall {
  /** Set once the call was aborted: why (the caller's abort reason, or the timeout error). */
  reason: unknown = undefined;
  aborted = false;
  timedOut = false;
  settled = false;
  timer?: NodeJS.Timeout;
  private controller?: AbortController;

  constructor(private readonly reject: (reason: unknown) => void) {}

  /** Made on first use: an AbortSignal costs microseconds and most handlers never look at it. */
  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.aborted) this.controller.abort(this.reason);
    }
    return this.controller.signal;
  }

  abort(reason: unknown, timedOut: boolean): void {
    if (this.settled || this.aborted) return;
    this.aborted = true;
    this.timedOut = timedOut;
    this.reason = reason;
    this.controller?.abort(reason);
    this.reject(reason);
  }
}

/**
 * Runs `start` as a call that rejects with the abort reason when `outer` aborts or `timeoutMs` passes (the handler
 * keeps running, but its signal aborts). Resolves or rejects as `start`'s promise does otherwise.
 */
export function runLocalCall<T>(start: (call: LocalCall) => Promise<T>, outer: AbortSignal | undefined, timeoutMs: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const call = new LocalCall(reject);
    if (outer?.aborted) return call.abort(outer.reason, false);
    const onAbort = outer ? () => call.abort(outer.reason, false) : undefined;
    // Removed when the call settles: a listener left on a composite or timeout signal would pin it in memory.
    if (outer) outer.addEventListener('abort', onAbort!, { once: true });
    call.timer = setTimeout(timeOut, timeoutMs, call, timeoutMs);
    const settle = () => {
      call.settled = true;
      clearTimeout(call.timer);
      if (outer) outer.removeEventListener('abort', onAbort!);
    };
    let started: Promise<T>;
    try {
      started = start(call);
    } catch (error) {
      settle();
      return reject(error);
    }
    started.then(
      (value) => (settle(), resolve(value)),
      (error) => (settle(), reject(error)),
    );
  });
}

function timeOut(call: LocalCall, timeoutMs: number): void {
  void loadSdkTypes().then(({ McpError, ErrorCode }) =>
    call.abort(new McpError(ErrorCode.RequestTimeout, 'Request timed out', { timeout: timeoutMs }), true),
  );
}

/** The context of a local call made outside any tool handler (no client to talk to). */
const DETACHED = {
  requestId: 0,
  sendNotification: async (): Promise<void> => undefined,
  sendRequest: async (): Promise<never> => {
    throw new Error('a local call made outside a tool handler cannot send requests to a client');
  },
};

const CALL = Symbol('mesh.localCall');

/**
 * The context a local handler sees: the caller's request context (if the call came from a handler) with the call's
 * own `signal`, read through the prototype: an own accessor per call costs more than the whole rest of the call.
 */
class LocalExtra {
  declare [CALL]: LocalCall;
  get signal(): AbortSignal {
    return this[CALL].signal;
  }
  /** Ignores the caller's signal while its fields are copied in. */
  set signal(_ignored: AbortSignal) {}
}

export function localExtra(caller: ToolExtra | undefined, call: LocalCall): ToolExtra {
  const extra = new LocalExtra();
  if (caller) Object.assign(extra, caller);
  else Object.assign(extra, DETACHED);
  extra[CALL] = call;
  return extra as unknown as ToolExtra;
}
