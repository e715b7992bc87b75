// Input checks beyond the zod schemas: what a 400 must say about a query or a raw body (heartbeat bodies:
// heartbeat-check.ts).

/** Deepest JSON nesting accepted: JSON.stringify recurses, so deeper bodies could overflow the stack later. */
export const MAX_JSON_DEPTH = 64;

export type Checked<T> = { ok: true; value: T } | { ok: false; error: string };

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
