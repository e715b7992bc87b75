// Koa middleware: every request must be addressed to one of the registry's own names (DNS rebinding), and a
// request that changes the mesh must not come from another site's page nor carry a non-JSON body (drive-by).
// The rules live in core/request-guard.ts, shared with the agents and the gateway.
import type Koa from 'koa';
import { guardedRequest, isReadMethod, type RequestGuard } from '../core/request-guard.js';
import { untrustedPeer } from '../core/tls.js';
import { HttpError } from './body.js';

/** Routes that change state: every non-read method, and the heartbeats (a HEAD refreshes an agent). */
// /proxy acts on agents whatever the method: it needs what writes need.
export const changesState = (method: string, path: string): boolean =>
  !isReadMethod(method) || path.startsWith('/heartbeat') || path.startsWith('/proxy/');

/** `guard()` is read per request: the guard knows the port only once the server listens (port 0). */
export function refuseForeignRequests(guard: () => RequestGuard, log: (line: string) => void): Koa.Middleware {
  // One log line per second at most: a page retrying in a loop must not flood the log.
  let lastLogged = 0;
  let quiet = 0;
  return async (ctx, next) => {
    const refusal = guard().check(guardedRequest(ctx.req), changesState(ctx.method, ctx.path));
    if (refusal) {
      const now = Date.now();
      if (now - lastLogged < 1000) quiet++;
      else {
        log(`registry: refused ${ctx.method} ${ctx.path} from ${ctx.request.ip}: ${refusal.error}${quiet ? ` (and ${quiet} more refused)` : ''}`);
        lastLogged = now;
        quiet = 0;
      }
      throw new HttpError(refusal.status, refusal.error);
    }
    await next();
  };
}

/** Over TLS (mode auto), a client certificate from another CA is refused: 403 naming the CA to use. */
export function refuseUntrustedPeers(): Koa.Middleware {
  return async (ctx, next) => {
    const refusal = untrustedPeer(ctx.req.socket);
    if (refusal) throw new HttpError(403, refusal);
    await next();
  };
}
