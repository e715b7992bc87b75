// "Did you mean": the known names closest to one that does not exist (an unknown tool in the gateway, a name
// pm2-mesh call cannot find).

/** Edit distance (insert, delete, substitute), case-insensitive. */
function distance(a: string, b: string): number {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  let previous = Array.from({ length: y.length + 1 }, (_, j) => j);
  for (let i = 1; i <= x.length; i++) {
    const current = [i];
    for (let j = 1; j <= y.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (x[i - 1] === y[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[y.length]!;
}

/** Up to `limit` names close to `wanted` (a few edits away, or containing it, or contained in it), closest first. */
export function nearNames(wanted: string, names: Iterable<string>, limit = 3): string[] {
  const lower = wanted.toLowerCase();
  const scored: [string, number][] = [];
  for (const name of names) {
    const d = distance(wanted, name);
    const n = name.toLowerCase();
    const related = lower.length >= 3 && (n.includes(lower) || lower.includes(n));
    if (d <= Math.max(2, Math.floor(wanted.length / 3)) || related) scored.push([name, related ? Math.min(d, 1) : d]);
  }
  return scored
    .sort(([a, da], [b, db]) => da - db || (a < b ? -1 : 1))
    .slice(0, limit)
    .map(([name]) => name);
}
