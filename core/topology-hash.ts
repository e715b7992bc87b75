// The topology hash: SHA-256 of the canonical JSON of an agent's resolution. The registry and the runtime
// compute it the same way, so a consumer rewires only when its resolution really changed.
import { createHash } from 'node:crypto';
import type { DependenciesResolved, DependencyAlternatives } from './wire.js';

/** JSON with object keys sorted at every depth, so equal values always give equal text. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  // Plain loops and string concatenation: the registry hashes every changed consumer, so this is on a hot path.
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) out += (i > 0 ? ',' : '') + canonicalJson(value[i]);
    return out + ']';
  }
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record);
  // Sort (UTF-16 code unit order) only when needed: most objects hashed here are built with sorted keys.
  for (let i = 1; i < keys.length; i++) {
    if (keys[i - 1]! > keys[i]!) {
      keys.sort();
      break;
    }
  }
  let out = '{';
  for (const key of keys) {
    const v = record[key];
    if (v === undefined) continue;
    out += (out.length > 1 ? ',' : '') + JSON.stringify(key) + ':' + canonicalJson(v);
  }
  return out + '}';
}

export function topologyHash(resolved: DependenciesResolved, alternatives: DependencyAlternatives = {}): string {
  return createHash('sha256')
    .update(canonicalJson({ dependencies_resolved: resolved, dependency_alternatives: alternatives }))
    .digest('hex');
}
