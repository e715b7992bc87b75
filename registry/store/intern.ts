// One shared, frozen copy of each distinct small value the store keeps per agent (tag lists, dependency specs,
// capability lists): replicas of a service declare the same ones, and 10 000 agents × 10 tools would otherwise
// hold 100 000 equal copies. Values are never mutated, so sharing them changes nothing a reader can see.

/** The empty list every absent or empty one becomes (frozen, shared). */
export const NO_STRINGS: readonly string[] = Object.freeze([]);

/** Distinct values kept for sharing by default; past the cap new values are still returned, just not pooled. */
export const DEFAULT_MAX_INTERNED = 20_000;

export class InternTable {
  private readonly values = new Map<string, unknown>();

  constructor(private readonly max = DEFAULT_MAX_INTERNED) {}

  /** Distinct values pooled so far. */
  get size(): number {
    return this.values.size;
  }

  /**
   * The pooled value for `key`, or `make()` frozen and pooled under it. Keys name a kind and its content
   * (`tags:`, `spec:`…): one table serves them all. Past the cap, `make()` is returned frozen and unpooled.
   */
  value<T extends object>(key: string, make: () => T): T {
    const pooled = this.values.get(key) as T | undefined;
    if (pooled !== undefined) return pooled;
    const made = Object.freeze(make());
    if (this.values.size < this.max) this.values.set(key, made);
    return made;
  }

  /** A list of strings, shared: equal lists (same strings, same order) give the same frozen array. */
  list(kind: string, items: readonly string[] | undefined): readonly string[] {
    if (!items || items.length === 0) return NO_STRINGS;
    return this.value(`${kind}:${JSON.stringify(items)}`, () => [...items]);
  }
}
