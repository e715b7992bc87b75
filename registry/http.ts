// The Koa app: JSON errors (never a 500 for client input), token auth, the routes, JSON 404/405.
import { timingSafeEqual } from 'node:crypto';
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
  app.use(router.allowedMethods({ throw: true }));
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
      if (ctx.status === 404 && ctx.body == null) throw new HttpError(404, `no route for ${ctx.method} ${ctx.path}`);
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
    const isWrite = ctx.method !== 'GET' && ctx.method !== 'HEAD' || ctx.path.startsWith('/heartbeat');
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
