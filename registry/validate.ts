// Input checks beyond the zod schemas: what a 400 must say about a heartbeat, a query or a raw body.
import { checkDependencySpec, parseDependencySpec } from './resolver.js';
import { describeValidationError, heartbeatRequestSchema, type HeartbeatRequest } from './wire.js';

/** Deepest JSON nesting accepted: JSON.stringify recurses, so deeper bodies could overflow the stack later. */
export const MAX_JSON_DEPTH = 64;

export type Checked<T> = { ok: true; value: T } | { ok: false; error: string };

/**
 * Validates a parsed POST /heartbeat body; the error names the field (MCP Mesh: "agent_id is required").
 * A dependency spec that can never match (invalid semver range, bad tag) is not an error, as in MCP Mesh:
 * the registration is accepted, that dependency stays unresolved, and `warnings` says why.
 */
export function checkHeartbeat(body: unknown): Checked<HeartbeatRequest> & { warnings?: string[] } {
  if (body === null || (typeof body === 'object' && !Array.isArray(body) && (body as { agent_id?: unknown }).agent_id === '')) {
    return { ok: false, error: 'agent_id is required' };
  }
  if (typeof body !== 'object' || Array.isArray(body)) {
    return { ok: false, error: 'body: must be a JSON object' };
  }
  // reportInput: describeValidationError tells a missing field ("is required") from a wrong one by the input.
  const parsed = heartbeatRequestSchema.safeParse(body, { reportInput: true });
  if (!parsed.success) return { ok: false, error: describeValidationError(parsed.error) };
  const tools = parsed.data.tools ?? [];
  const seen = new Set<string>();
  const warnings: string[] = [];
  for (let i = 0; i < tools.length; i++) {
    const tool = tools[i]!;
    // dependencies_resolved is keyed by function_name: two tools of one name would collide there.
    if (seen.has(tool.function_name)) return { ok: false, error: `tools.${i}.function_name: duplicate function_name ${JSON.stringify(tool.function_name)}` };
    seen.add(tool.function_name);
    const deps = tool.dependencies ?? [];
    for (let j = 0; j < deps.length; j++) {
      const problem = checkDependencySpec(parseDependencySpec(deps[j]!));
      if (problem) warnings.push(`tools.${i}.dependencies.${j}.${problem}; this dependency stays unresolved`);
    }
  }
  return warnings.length > 0 ? { ok: true, value: parsed.data, warnings } : { ok: true, value: parsed.data };
}

/** Nesting depth of a parsed JSON value, walked without recursion; stops counting past `limit`. */
export function jsonDepth(value: unknown, limit = MAX_JSON_DEPTH): number {
  let deepest = 0;
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    if (node === null || typeof node !== 'object') continue;
    if (depth > deepest) deepest = depth;
    if (deepest > limit) return deepest;
    for (const child of Array.isArray(node) ? node : Object.values(node)) {
      if (child !== null && typeof child === 'object') stack.push([child, depth + 1]);
    }
  }
  return deepest;
}

/** An integer query parameter clamped to [min, max] (MCP Mesh reads limit=-5 as 1), or an error naming it. */
export function checkCount(name: string, text: string | undefined, fallback: number, min: number, max: number): Checked<number> {
  if (text === undefined || text === '') return { ok: true, value: fallback };
  if (!/^-?\d{1,15}$/.test(text)) return { ok: false, error: `${name}: must be an integer` };
  return { ok: true, value: Math.max(min, Math.min(Number(text), max)) };
}
