// Every JSON answer of the registry goes out through answerJson: Koa serialises an object body the same way
// (JSON.stringify, `application/json; charset=utf-8`), but on the way its body setter and respond() ask whether the
// object is a web `Response`, and the first touch of that global loads Node's fetch (undici): +8 MB of RSS from the
// first request on, in a process that never fetches. A string body never reaches those checks.
import type { Context } from 'koa';

export function answerJson(ctx: Context, value: unknown): void {
  ctx.type = 'json';
  ctx.body = JSON.stringify(value);
}
