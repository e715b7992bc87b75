// W3C Trace Context (https://www.w3.org/TR/trace-context/): the `traceparent` and `tracestate` a mesh call carries,
// as HTTP headers and in MCP `params._meta` (for clients that cannot set headers). Parsing and formatting are pure;
// new ids come from one random pool, refilled 4 KB at a time (a crypto call per id costs more than the rest of a span).
import { randomFillSync } from 'node:crypto';

export const TRACEPARENT = 'traceparent';
export const TRACESTATE = 'tracestate';

/** Where a call stands in a trace: its trace, its own span, and what goes on to the next hop. */
export interface TraceContext {
  /** 32 lowercase hex digits. */
  traceId: string;
  /** 16 lowercase hex digits: the span of this hop. */
  spanId: string;
  /** The trace-flags' sampled bit, passed on unchanged. */
  sampled: boolean;
  /** Vendors' state, passed on unchanged when valid. */
  traceState?: string;
}

/** An incoming `traceparent`: the caller's trace and span (our span's parent). */
export interface ParentContext {
  traceId: string;
  parentSpanId: string;
  sampled: boolean;
  traceState?: string;
}

const HEX = /^[0-9a-f]+$/;
const ZERO_TRACE = '0'.repeat(32);
const ZERO_SPAN = '0'.repeat(16);

/** A `traceparent` value, or undefined when it is not one (the spec then says: start a new trace). */
export function parseTraceparent(value: unknown): Omit<ParentContext, 'traceState'> | undefined {
  if (typeof value !== 'string') return undefined;
  const text = value.trim();
  if (text.length < 55) return undefined;
  const version = text.slice(0, 2);
  if (!HEX.test(version) || version === 'ff') return undefined;
  // Version 00 is exactly 55 characters; a later version may append fields after a dash.
  if (version === '00' ? text.length !== 55 : text.length > 55 && text[55] !== '-') return undefined;
  if (text[2] !== '-' || text[35] !== '-' || text[52] !== '-') return undefined;
  const traceId = text.slice(3, 35);
  const parentSpanId = text.slice(36, 52);
  const flags = text.slice(53, 55);
  if (!HEX.test(traceId) || !HEX.test(parentSpanId) || !HEX.test(flags)) return undefined;
  if (traceId === ZERO_TRACE || parentSpanId === ZERO_SPAN) return undefined;
  return { traceId, parentSpanId, sampled: (Number.parseInt(flags, 16) & 1) === 1 };
}

const TRACESTATE_KEY = /^(?:[a-z0-9][_0-9a-z\-*/]{0,255}|[a-z0-9][_0-9a-z\-*/]{0,240}@[a-z][_0-9a-z\-*/]{0,13})$/;
const TRACESTATE_VALUE = /^[\x20-\x2b\x2d-\x3c\x3e-\x7e]{0,255}[\x21-\x2b\x2d-\x3c\x3e-\x7e]$/;
const MAX_TRACESTATE_MEMBERS = 32;

/**
 * A `tracestate` value normalised (members trimmed, empty ones dropped), or undefined when absent or invalid:
 * an invalid list is dropped whole rather than half passed on.
 */
export function parseTracestate(value: unknown): string | undefined {
  const text = Array.isArray(value) ? value.join(',') : value;
  if (typeof text !== 'string' || text.length > 4096) return undefined;
  const members = text
    .split(',')
    .map((m) => m.trim())
    .filter(Boolean);
  if (members.length === 0 || members.length > MAX_TRACESTATE_MEMBERS) return undefined;
  const keys = new Set<string>();
  for (const member of members) {
    const eq = member.indexOf('=');
    if (eq <= 0) return undefined;
    const key = member.slice(0, eq);
    if (!TRACESTATE_KEY.test(key) || !TRACESTATE_VALUE.test(member.slice(eq + 1)) || keys.has(key)) return undefined;
    keys.add(key);
  }
  return members.join(',');
}

/** The incoming context from a header pair or an MCP `_meta` object, or undefined (then a trace starts here). */
export function readParent(fields: { traceparent?: unknown; tracestate?: unknown } | undefined): ParentContext | undefined {
  const parent = parseTraceparent(fields?.traceparent);
  if (!parent) return undefined;
  const traceState = parseTracestate(fields?.tracestate);
  return traceState ? { ...parent, traceState } : parent;
}

/** `00-<trace>-<span>-<flags>`: what the next hop gets, this span as its parent. */
export function formatTraceparent(context: Pick<TraceContext, 'traceId' | 'spanId' | 'sampled'>): string {
  return `00-${context.traceId}-${context.spanId}-${context.sampled ? '01' : '00'}`;
}

/** The `traceparent`/`tracestate` pair for the next hop (an HTTP header set, or MCP `_meta` fields). */
export function propagationFields(context: TraceContext): { traceparent: string; tracestate?: string } {
  const traceparent = formatTraceparent(context);
  return context.traceState ? { traceparent, tracestate: context.traceState } : { traceparent };
}

/** A span's context: continuing `parent`'s trace, or starting a new (sampled) one. */
export function childContext(parent: Pick<ParentContext, 'traceId' | 'sampled' | 'traceState'> | undefined): TraceContext {
  if (!parent) return { traceId: newTraceId(), spanId: newSpanId(), sampled: true };
  const context: TraceContext = { traceId: parent.traceId, spanId: newSpanId(), sampled: parent.sampled };
  if (parent.traceState) context.traceState = parent.traceState;
  return context;
}

const pool = Buffer.allocUnsafe(4096);
let used = pool.length;

function randomHex(bytes: number): string {
  if (used + bytes > pool.length) {
    randomFillSync(pool);
    used = 0;
  }
  const hex = pool.toString('hex', used, used + bytes);
  used += bytes;
  // All zeros is invalid; with 64 random bits or more it never comes, but the spec forbids it outright.
  return /[^0]/.test(hex) ? hex : randomHex(bytes);
}

export function newTraceId(): string {
  return randomHex(16);
}

export function newSpanId(): string {
  return randomHex(8);
}
