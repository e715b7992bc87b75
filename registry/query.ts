// Reading a request's query string the same way on every route: a parameter's text, a checked number (400 otherwise).
import type { Context } from 'koa';
import { HttpError } from './body.js';

/** The first value of a query parameter; undefined when absent or empty. */
export function queryText(ctx: Context, name: string): string | undefined {
  const value = ctx.query[name];
  const text = Array.isArray(value) ? value[0] : value;
  return text === undefined || text === '' ? undefined : text;
}

/** A number checked by validate.ts, or a 400 naming the parameter. */
export function numberParam(checked: { ok: true; value: number } | { ok: false; error: string }): number {
  if (!checked.ok) throw new HttpError(400, checked.error);
  return checked.value;
}
