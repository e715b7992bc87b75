// The check of a POST /heartbeat body: the zod schema, then what the schema cannot say. Loaded on the first
// POST (routes.ts), so that a registry with no agents yet does not hold zod and its schemas.
import { checkDependencySpec, parseDependencySpec } from '../core/resolver.js';
import type { Checked } from './validate.js';
import { describeValidationError, heartbeatRequestSchema, type HeartbeatRequest } from '../core/wire.js';

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
    if (seen.has(tool.function_name))
      return { ok: false, error: `tools.${i}.function_name: duplicate function_name ${JSON.stringify(tool.function_name)}` };
    seen.add(tool.function_name);
    const deps = tool.dependencies ?? [];
    for (let j = 0; j < deps.length; j++) {
      const problem = checkDependencySpec(parseDependencySpec(deps[j]!));
      if (problem) warnings.push(`tools.${i}.dependencies.${j}.${problem}; this dependency stays unresolved`);
    }
  }
  return warnings.length > 0 ? { ok: true, value: parsed.data, warnings } : { ok: true, value: parsed.data };
}
