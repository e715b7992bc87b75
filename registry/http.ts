// The Koa app: JSON errors (never a 500 for client input), token auth, the routes, JSON 404/405.
import { timingSafeEqual } from 'node:crypto';
import { STATUS_CODES, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import Koa from 'koa';
import { HttpError } from './body.js';
import type { RegistryMetrics } from './metrics.js';
import { registryRoutes, type RouteDeps } from './routes.js';

export interface HttpOptions extends RouteDeps {
  token: string | undefined;
  publicRead: boolean;
  metrics: RegistryMetrics;
  log: (line: string) => void;
}

export function createHttpApp(options: HttpOptions): Koa {
  const app = new Koa();
  const router = registryRoutes(options);
  app.use(answerErrorsAsJson(options));
  if (options.token) app.use(requireToken(options.token, options.publicRead));
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
    try {
      await next();
      if (ctx.body == null) {
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
      ctx.body = { error: message, timestamp: new Date().toISOString() };
      for (const [name, value] of Object.entries((error as { headers?: Record<string, string> }).headers ?? {})) ctx.set(name, value);
    }
    options.metrics.countResponse(ctx.status);
  };
}

function statusOf(error: unknown): number {
  if (error instanceof HttpError) return error.status;
  const status = (error as { status?: unknown; expose?: unknown })?.status;
  // Koa/router errors (405, 501) carry a status and `expose` for client errors.
  return typeof status === 'number' && status >= 400 && status < 600 ? status : 500;
}

function requireToken(token: string, publicRead: boolean): Koa.Middleware {
  const expected = Buffer.from(`Bearer ${token}`);
  return async (ctx, next) => {
    const isWrite = (ctx.method !== 'GET' && ctx.method !== 'HEAD') || ctx.path.startsWith('/heartbeat');
    if (isWrite || !publicRead) {
      const given = Buffer.from(ctx.get('Authorization'));
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
        ctx.set('WWW-Authenticate', 'Bearer realm="mcp-mesh-registry"');
        throw new HttpError(401, 'missing or wrong token: send Authorization: Bearer <token>');
      }
    }
    await next();
  };
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
