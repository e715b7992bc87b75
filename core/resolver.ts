// Dependency resolution: which healthy provider serves a consumer's dependency spec. Pure and deterministic,
// so the same topology always yields the same choice (and the same topology hash).
// semver one class at a time: its index loads all of its ~50 files (memory and start time in the registry).
import Range from 'semver/classes/range.js';
import SemVer from 'semver/classes/semver.js';
import type { DependencySpecInput, ResolvedDependency, TagFilter } from './wire.js';

/** A dependency spec after parsing: what the resolver matches providers against. */
export interface DependencySpec {
  capability: string;
  /** `tag` required, `+tag` preferred, `-tag` excluded; a nested array is an OR group (one of its tags). */
  tags: TagFilter;
  /** A semver range the provider's version must satisfy; absent = any version (or none). */
  version?: string;
  /** The key under which the proxy is injected (default: the capability). */
  as?: string;
}

/** One healthy provider tool of the wanted capability. */
export interface ProviderCandidate {
  agent_id: string;
  agent_name: string;
  function_name: string;
  capability: string;
  version?: string;
  tags: string[];
  endpoint: string;
  /** The tool's `kwargs` as registered (the `weight` it shares calls with lives there). */
  kwargs?: Record<string, unknown>;
}

export interface Resolution {
  chosen: ProviderCandidate | null;
  /** Every matching candidate, best first; `chosen` is `ranked[0]`. */
  ranked: ProviderCandidate[];
}

/** A bare string means `{capability}`; an empty or blank version means no version constraint. */
export function parseDependencySpec(input: DependencySpecInput): DependencySpec {
  if (typeof input === 'string') return { capability: input, tags: [] };
  const spec: DependencySpec = { capability: input.capability, tags: input.tags ?? [] };
  const version = input.version?.trim();
  if (version) spec.version = version;
  if (input.as !== undefined) spec.as = input.as;
  return spec;
}

/** The problem with a spec, naming the field (`tags[1][0]`, `version`), or null when it is usable. */
export function checkDependencySpec(spec: DependencySpec): string | null {
  if (typeof spec.capability !== 'string' || spec.capability.length === 0) return 'capability: must not be empty';
  if (!Array.isArray(spec.tags)) return 'tags: must be an array of tags or OR groups';
  for (let i = 0; i < spec.tags.length; i++) {
    const entry = spec.tags[i];
    if (Array.isArray(entry)) {
      for (let j = 0; j < entry.length; j++) {
        const problem = checkTag(entry[j]);
        if (problem) return `tags[${i}][${j}]: ${problem}`;
      }
      if (!entry.some((tag) => tag[0] !== '-')) {
        return `tags[${i}]: an OR group needs at least one tag without "-" (to exclude a tag, list "-tag" outside the group)`;
      }
    } else {
      const problem = checkTag(entry);
      if (problem) return `tags[${i}]: ${problem}`;
    }
  }
  if (spec.version !== undefined && rangeOf(spec.version) === null) {
    return `version: ${JSON.stringify(spec.version)} is not a valid semver range (e.g. "^1.2.0", ">=2.0.0 <3.0.0", "1.x")`;
  }
  return null;
}

function checkTag(tag: unknown): string | null {
  if (typeof tag !== 'string') return 'a tag must be a string';
  const name = tag[0] === '+' || tag[0] === '-' ? tag.slice(1) : tag;
  if (name.length === 0) return `${JSON.stringify(tag)} has no tag name`;
  if (name[0] === '+' || name[0] === '-') return `${JSON.stringify(tag)} has more than one +/- prefix`;
  return null;
}

/**
 * Ranks the candidates that match `spec` and chooses the first: highest score (preferred tags present), then
 * highest version (non-semver lowest), then agent_id, function_name, endpoint ascending.
 */
export function resolveDependency(spec: DependencySpec, candidates: readonly ProviderCandidate[]): Resolution {
  const filter = compile(spec);
  if (filter === null) return { chosen: null, ranked: [] };
  const ranked: ProviderCandidate[] = [];
  const scores: number[] = [];
  const versions: (SemVer | null)[] = [];

  for (let c = 0; c < candidates.length; c++) {
    const candidate = candidates[c]!;
    if (candidate.capability !== spec.capability) continue;
    const tags = candidate.tags;
    if (!hasNone(tags, filter.excluded) || !hasAll(tags, filter.required) || !meetsGroups(tags, filter.groups)) continue;
    const version = versionOf(candidate.version);
    if (filter.range !== null && (version === null || !filter.range.test(version))) continue;
    ranked.push(candidate);
    scores.push(countPresent(tags, filter.preferred));
    versions.push(version);
  }

  if (ranked.length > 1) {
    const order = Array.from(ranked.keys()).sort(
      (a, b) => scores[b]! - scores[a]! || compareVersionsDescending(versions[a]!, versions[b]!) || compareIdentity(ranked[a]!, ranked[b]!),
    );
    const sorted = order.map((i) => ranked[i]!);
    return { chosen: sorted[0]!, ranked: sorted };
  }
  return { chosen: ranked[0] ?? null, ranked };
}

/**
 * The standing of each candidate of a ranked list (best first, as resolveDependency ranks them): 0 for the first,
 * one more each time the tag score or the version drops. Candidates of equal standing are equally good: a consumer
 * spreads its calls over the leading ones.
 */
export function standings(spec: DependencySpec, ranked: readonly ProviderCandidate[]): number[] {
  const filter = compile(spec);
  const out: number[] = [];
  let rank = 0;
  for (let i = 0; i < ranked.length; i++) {
    if (i > 0 && filter !== null) {
      const a = ranked[i - 1]!;
      const b = ranked[i]!;
      const sameScore = countPresent(a.tags, filter.preferred) === countPresent(b.tags, filter.preferred);
      if (!sameScore || compareVersionsDescending(versionOf(a.version), versionOf(b.version)) !== 0) rank++;
    }
    out.push(rank);
  }
  return out;
}

/** Every OR group needs one of its wanted tags (plain or preferred) to be present. */
function meetsGroups(tags: readonly string[], groups: readonly (readonly string[])[]): boolean {
  for (let g = 0; g < groups.length; g++) {
    const group = groups[g]!;
    let found = false;
    for (let a = 0; a < group.length && !found; a++) found = tags.includes(group[a]!);
    if (!found) return false;
  }
  return true;
}

function hasAll(tags: readonly string[], wanted: readonly string[]): boolean {
  for (let i = 0; i < wanted.length; i++) if (!tags.includes(wanted[i]!)) return false;
  return true;
}

function hasNone(tags: readonly string[], unwanted: readonly string[]): boolean {
  for (let i = 0; i < unwanted.length; i++) if (tags.includes(unwanted[i]!)) return false;
  return true;
}

function countPresent(tags: readonly string[], wanted: readonly string[]): number {
  let count = 0;
  for (let i = 0; i < wanted.length; i++) if (tags.includes(wanted[i]!)) count++;
  return count;
}

function compareVersionsDescending(a: SemVer | null, b: SemVer | null): number {
  if (a === null) return b === null ? 0 : 1;
  if (b === null) return -1;
  return b.compare(a);
}

function compareIdentity(a: ProviderCandidate, b: ProviderCandidate): number {
  return compareText(a.agent_id, b.agent_id) || compareText(a.function_name, b.function_name) || compareText(a.endpoint, b.endpoint);
}

/** Code-unit order, not localeCompare: the same on every machine and locale. */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * A spec split by role. Inside an OR group (as MCP Mesh 3.7 does): `tag` and `+tag` are alternatives, `+tag`
 * also scores when present, `-tag` excludes like a top-level one; the order of alternatives does not matter.
 */
interface CompiledFilter {
  required: string[];
  preferred: string[];
  excluded: string[];
  groups: string[][];
  range: VersionRange | null;
}

// Specs are parsed once at registration and resolved on every topology change: compile each spec object once.
const compiledSpecs = new WeakMap<DependencySpec, CompiledFilter | null>();

/** null when the spec can never match (invalid range or tag syntax): such a dependency stays unresolved. */
function compile(spec: DependencySpec): CompiledFilter | null {
  const cached = compiledSpecs.get(spec);
  if (cached !== undefined) return cached;
  let compiled: CompiledFilter | null = null;
  if (checkDependencySpec(spec) === null) {
    const filter: CompiledFilter = { required: [], preferred: [], excluded: [], groups: [], range: null };
    for (const entry of spec.tags) {
      if (!Array.isArray(entry)) {
        if (entry[0] === '+') filter.preferred.push(entry.slice(1));
        else if (entry[0] === '-') filter.excluded.push(entry.slice(1));
        else filter.required.push(entry);
        continue;
      }
      const wanted: string[] = [];
      for (const tag of entry) {
        if (tag[0] === '-') {
          filter.excluded.push(tag.slice(1));
        } else if (tag[0] === '+') {
          wanted.push(tag.slice(1));
          filter.preferred.push(tag.slice(1));
        } else {
          wanted.push(tag);
        }
      }
      filter.groups.push(wanted);
    }
    if (spec.version !== undefined) filter.range = rangeOf(spec.version);
    compiled = filter;
  }
  compiledSpecs.set(spec, compiled);
  return compiled;
}

/**
 * Small bounded caches (insertion-order eviction; Map keeps insertion order) so that resolution parses
 * each distinct range and version string once, not once per candidate.
 */
class BoundedCache<V> {
  private readonly entries = new Map<string, V>();
  constructor(private readonly limit: number) {}
  get(key: string, make: (key: string) => V): V {
    const hit = this.entries.get(key);
    if (hit !== undefined || this.entries.has(key)) return hit as V;
    const value = make(key);
    if (this.entries.size >= this.limit) this.entries.delete(this.entries.keys().next().value as string);
    this.entries.set(key, value);
    return value;
  }
}

const ranges = new BoundedCache<VersionRange | null>(1024);
const versions = new BoundedCache<SemVer | null>(16384);

/** A semver range plus the `!=` exclusions npm's semver lacks and MCP Mesh's (Masterminds) accepts. */
interface VersionRange {
  test(version: SemVer): boolean;
}

/**
 * Parses a range the way MCP Mesh (Masterminds/semver) reads it, with npm's semver: commas between comparators
 * mean AND (">=1.0.0, <2.0.0"), `!=1.2.3` excludes one version. Prereleases match only ranges that name a
 * prerelease of the same major.minor.patch (includePrerelease off, as both libraries do), so ">=1.0.0" never
 * picks "2.0.0-beta" and neither does "*".
 */
function rangeOf(text: string): VersionRange | null {
  return ranges.get(text, (key) => {
    try {
      const sets = key.split('||').map((part) => {
        const unequal: SemVer[] = [];
        const rest = part
          .replace(/,/g, ' ')
          .replace(/!=\s*([^\s]+)/g, (_, version: string) => {
            const parsed = versionOf(version);
            if (parsed === null) throw new Error(`bad version after != in ${key}`);
            unequal.push(parsed);
            return ' ';
          })
          .trim();
        if (rest === '' && unequal.length === 0 && key.trim() !== '') throw new Error(`empty comparator set in ${key}`);
        const range = new Range(rest || '*', { includePrerelease: false });
        return { range, unequal };
      });
      return {
        test: (version: SemVer) => sets.some(({ range, unequal }) => range.test(version) && !unequal.some((u) => u.compare(version) === 0)),
      };
    } catch {
      return null;
    }
  });
}

/**
 * A provider's version as MCP Mesh reads it: semver, with a leading "v" and missing minor/patch allowed
 * ("v1.1.0", "1.2" = 1.2.0, "2" = 2.0.0); anything else ("latest") is not a version (null).
 */
function versionOf(text: string | undefined): SemVer | null {
  if (text === undefined || text === '') return null;
  return versions.get(text, (key) => {
    const match = /^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/.exec(key.trim());
    if (match === null) return null;
    const [, major, minor = '0', patch = '0', pre = '', build = ''] = match;
    try {
      return new SemVer(`${major}.${minor}.${patch}${pre}${build}`);
    } catch {
      return null;
    }
  });
}

/** A chosen provider as the wire carries it (an entry of dependencies_resolved / dependency_alternatives). */
export function toResolved(candidate: ProviderCandidate): ResolvedDependency {
  return {
    agent_id: candidate.agent_id,
    capability: candidate.capability,
    endpoint: candidate.endpoint,
    function_name: candidate.function_name,
    status: 'available',
    // Only when registered (MCP Mesh answers them the same way): most providers have none.
    ...(candidate.kwargs ? { kwargs: candidate.kwargs } : {}),
  };
}

/** An entry of dependency_alternatives: the wire entry plus what spreading reads (standing, version, tags). */
export function toAlternative(candidate: ProviderCandidate, rank: number): ResolvedDependency {
  // One literal in key order (the topology hash then needs no sort; JSON leaves an undefined kwargs out): built for
  // every entry of every answer.
  return {
    agent_id: candidate.agent_id,
    capability: candidate.capability,
    endpoint: candidate.endpoint,
    function_name: candidate.function_name,
    kwargs: candidate.kwargs,
    rank,
    status: 'available',
    tags: candidate.tags,
    version: candidate.version ?? '',
  };
}

/** The wire entry of a dependency no provider serves: empty strings, as MCP Mesh answers it. */
export { unresolvedEntry } from './unresolved-entry.js';
