// The Koa app: JSON errors (never a 500 for client input), Host/Origin/Content-Type checks, credentials, the routes,
// JSON 404/405. No CORS headers: a web page cannot read or change the mesh.
import { STATUS_CODES, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import Koa from 'koa';
import type { RequestGuard } from '../core/request-guard.js';
import { answerJson } from './answer.js';
import { HttpError } from './body.js';
import type { RegistryMetrics } from './metrics.js';
import { refuseForeignRequests, refuseUntrustedPeers } from './request-guard.js';
import { registryRoutes, type RouteDeps } from './routes.js';

export interface HttpOptions extends RouteDeps {
  metrics: RegistryMetrics;
  /** Host/Origin/Content-Type rules; read per request (known once the server listens). */
  guard: () => RequestGuard;
  log: (line: string) => void;
}

export function createHttpApp(options: HttpOptions): Koa {
  const app = new Koa();
  const router = registryRoutes(options);
  app.use(answerErrorsAsJson(options));
  app.use(refuseForeignRequests(options.guard, options.log));
  app.use(refuseUntrustedPeers());
  app.use(options.access.middleware());
  app.use(router.routes());
  app.use(router.allowedMethods());
  // Errors are answered by the middleware above; what reaches here happened after the answer (client gone).
  app.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'ECONNRESET' && error.code !== 'EPIPE' && error.code !== 'ERR_STREAM_PREMATURE_CLOSE') {
      options.log(`registry: http error after answer: ${error.message}`);
    }
  });
  return app;
}

function answerErrorsAsJson(options: HttpOptions): Koa.Middleware {
  return async (ctx, next) => {
    const started = performance.now();
    try {
      await next();
      // A relayed answer (/proxy) went out as the agent sent it.
      if (ctx.body == null && ctx.respond !== false) {
        if (ctx.status === 404) throw new HttpError(404, `no route for ${ctx.method} ${ctx.path}`);
        // The router answers 405 (known path, other method) or 501 (a method it never routes) with no body.
        if (ctx.status === 405 || ctx.status === 501) {
          const allowed = ctx.response.get('Allow');
          throw new HttpError(405, `method ${ctx.method} not allowed on ${ctx.path}${allowed ? `; allowed: ${allowed}` : ''}`);
        }
      }
    } catch (error) {
      const status = statusOf(error);
      if (status >= 500 && !(error instanceof HttpError)) {
        options.log(`registry: internal error on ${ctx.method} ${ctx.path}: ${(error as Error)?.stack ?? error}`);
      }
      const message = status >= 500 && !(error instanceof HttpError) ? 'internal registry error' : (error as Error).message;
      ctx.status = status;
      answerJson(ctx, { error: message, timestamp: new Date().toISOString() });
      for (const [name, value] of Object.entries((error as { headers?: Record<string, string> }).headers ?? {})) ctx.set(name, value);
    }
    options.metrics.countResponse(ctx.status);
    options.metrics.observeRequest(ctx.method, (ctx as { _matchedRoute?: string })._matchedRoute, (performance.now() - started) / 1000);
  };
}

function statusOf(error: unknown): number {
  if (error instanceof HttpError) return error.status;
  const status = (error as { status?: unknown; expose?: unknown })?.status;
  // Koa/router errors (405, 501) carry a status and `expose` for client errors.
  return typeof status === 'number' && status >= 400 && status < 600 ? status : 500;
}

/**
 * Requests Node's HTTP parser refuses (garbage request line, unknown method, headers too large, bad
 * Content-Length) never reach Koa: answer them here too with a JSON {error}, instead of Node's bare 400.
 */
export function answerMalformedRequests(server: Server): void {
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
    const pending = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
    if (error.code === 'ECONNRESET' || !socket.writable || pending?.headersSent) {
      socket.destroy();
      return;
    }
    const status = error.code === 'HPE_HEADER_OVERFLOW' ? 431 : error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
    const body = JSON.stringify({ error: `malformed HTTP request (${error.code ?? error.message})`, timestamp: new Date().toISOString() });
    socket.end(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  });
}
