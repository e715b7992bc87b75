// The check of a POST /traces body. Loaded on the first POST /traces (trace-routes.ts), so that a registry no agent
// sends spans to does not hold the span schemas.
import { spanBatchSchema, type SpanBatch } from '../core/span-wire.js';
import { describeValidationError } from '../core/wire.js';
import type { Checked } from './validate.js';

export function checkSpanBatch(body: unknown): Checked<SpanBatch> {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return { ok: false, error: 'body: must be a JSON object {"spans": [...]}' };
  const parsed = spanBatchSchema.safeParse(body, { reportInput: true });
  return parsed.success ? { ok: true, value: parsed.data } : { ok: false, error: describeValidationError(parsed.error) };
}
