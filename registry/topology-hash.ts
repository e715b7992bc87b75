// The topology hash: SHA-256 of the canonical JSON of an agent's resolution. The registry and the runtime
// compute it the same way, so a consumer rewires only when its resolution really changed.
import { createHash } from 'node:crypto';
import type { DependenciesResolved, DependencyAlternatives } from './wire.js';

/** JSON with object keys sorted at every depth, so equal values always give equal text. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

export function topologyHash(resolved: DependenciesResolved, alternatives: DependencyAlternatives = {}): string {
  return createHash('sha256')
    .update(canonicalJson({ dependencies_resolved: resolved, dependency_alternatives: alternatives }))
    .digest('hex');
}
