// Dependency resolution: which healthy provider serves a consumer's dependency spec. Pure and deterministic,
// so the same topology always yields the same choice (and the same topology hash).
import semver from 'semver';
import type { DependencySpecInput, TagFilter } from './wire.js';

/** A dependency spec after parsing: what the resolver matches providers against. */
export interface DependencySpec {
  capability: string;
  /** `tag` required, `+tag` preferred, `-tag` excluded; a nested array is an ordered OR group. */
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
      if (entry.length === 0) return `tags[${i}]: an OR group must hold at least one tag`;
      for (let j = 0; j < entry.length; j++) {
        const problem = checkTag(entry[j]);
        if (problem) return `tags[${i}][${j}]: ${problem}`;
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
 * Ranks the candidates that match `spec` and chooses the first. Order: OR-group fallback position (an earlier
 * alternative beats a later one, as MCP Mesh's "prefer python, fall back to typescript"), then score (preferred
 * tags matched), then highest version (non-semver lowest), then agent_id, function_name, endpoint ascending.
 */
export function resolveDependency(spec: DependencySpec, candidates: readonly ProviderCandidate[]): Resolution {
  const filter = compile(spec);
  if (filter === null) return { chosen: null, ranked: [] };
  const groupCount = filter.groups.length;
  const ranked: ProviderCandidate[] = [];
  const scores: number[] = [];
  // Per match, the index of the first alternative it satisfies in each OR group (flat, groupCount per match).
  const positions: number[] = [];
  const versions: (semver.SemVer | null)[] = [];

  for (let c = 0; c < candidates.length; c++) {
    const candidate = candidates[c]!;
    if (candidate.capability !== spec.capability) continue;
    const tags = candidate.tags;
    if (!hasNone(tags, filter.excluded) || !hasAll(tags, filter.required)) continue;
    let score = countPresent(tags, filter.preferred);
    let groupsMatched = true;
    const base = positions.length;
    for (let g = 0; g < groupCount; g++) {
      const group = filter.groups[g]!;
      let found = -1;
      for (let a = 0; a < group.length; a++) {
        const alternative = group[a]!;
        if (alternative.kind === 'preferred' || tags.includes(alternative.name) === (alternative.kind === 'required')) {
          found = a;
          if (alternative.kind === 'preferred' && tags.includes(alternative.name)) score++;
          break;
        }
      }
      if (found < 0) {
        groupsMatched = false;
        break;
      }
      positions.push(found);
    }
    if (!groupsMatched) {
      positions.length = base;
      continue;
    }
    const version = versionOf(candidate.version);
    if (filter.range !== null && (version === null || !filter.range.test(version))) {
      positions.length = base;
      continue;
    }
    ranked.push(candidate);
    scores.push(score);
    versions.push(version);
  }

  if (ranked.length > 1) {
    const order = Array.from(ranked.keys()).sort((a, b) => {
      for (let g = 0; g < groupCount; g++) {
        const diff = positions[a * groupCount + g]! - positions[b * groupCount + g]!;
        if (diff !== 0) return diff;
      }
      if (scores[a] !== scores[b]) return scores[b]! - scores[a]!;
      const byVersion = compareVersionsDescending(versions[a]!, versions[b]!);
      if (byVersion !== 0) return byVersion;
      return compareIdentity(ranked[a]!, ranked[b]!);
    });
    const sorted = order.map((i) => ranked[i]!);
    return { chosen: sorted[0]!, ranked: sorted };
  }
  return { chosen: ranked[0] ?? null, ranked };
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

function compareVersionsDescending(a: semver.SemVer | null, b: semver.SemVer | null): number {
  if (a === null) return b === null ? 0 : 1;
  if (b === null) return -1;
  return b.compare(a);
}

function compareIdentity(a: ProviderCandidate, b: ProviderCandidate): number {
  return compareText(a.agent_id, b.agent_id) || compareText(a.function_name, b.function_name) || compareText(a.endpoint, b.endpoint);
}

// Code-unit order, not localeCompare: the same on every machine and locale.
function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

interface Alternative {
  kind: 'required' | 'preferred' | 'excluded';
  name: string;
}

interface CompiledFilter {
  required: string[];
  preferred: string[];
  excluded: string[];
  groups: Alternative[][];
  range: semver.Range | null;
}

// Specs are parsed once at registration and resolved on every topology change: compile each spec object once.
const compiledSpecs = new WeakMap<DependencySpec, CompiledFilter | null>();

/** null when the spec can never match (invalid range or tag syntax): such a dependency stays unresolved. */
function compile(spec: DependencySpec): CompiledFilter | null {
  const cached = compiledSpecs.get(spec);
  if (cached !== undefined) return cached;
  let compiled: CompiledFilter | null = null;
  if (checkDependencySpec(spec) === null) {
    compiled = { required: [], preferred: [], excluded: [], groups: [], range: null };
    for (const entry of spec.tags) {
      if (Array.isArray(entry)) {
        compiled.groups.push(entry.map(alternativeOf));
        continue;
      }
      const { kind, name } = alternativeOf(entry);
      compiled[kind].push(name);
    }
    if (spec.version !== undefined) compiled.range = rangeOf(spec.version);
  }
  compiledSpecs.set(spec, compiled);
  return compiled;
}

function alternativeOf(tag: string): Alternative {
  if (tag[0] === '+') return { kind: 'preferred', name: tag.slice(1) };
  if (tag[0] === '-') return { kind: 'excluded', name: tag.slice(1) };
  return { kind: 'required', name: tag };
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

const ranges = new BoundedCache<semver.Range | null>(1024);
const versions = new BoundedCache<semver.SemVer | null>(16384);

/**
 * MCP Mesh (Masterminds/semver) also accepts commas between comparators (">=1.0.0, <2.0.0"): treat them as
 * the spaces npm's semver expects. Prereleases match only ranges that name a prerelease of the same
 * major.minor.patch (includePrerelease off, as both npm and Masterminds do), so ">=1.0.0" never picks "2.0.0-beta".
 */
function rangeOf(text: string): semver.Range | null {
  return ranges.get(text, (key) => {
    try {
      return new semver.Range(key.replace(/\s*,\s*/g, ' '), { includePrerelease: false });
    } catch {
      return null;
    }
  });
}

/** A provider's version when it is strict semver ("1.2.3", "v1.2.3", "2.0.0-rc.1"), else null. */
function versionOf(text: string | undefined): semver.SemVer | null {
  if (text === undefined || text === '') return null;
  return versions.get(text, (key) => {
    try {
      return new semver.SemVer(key);
    } catch {
      return null;
    }
  });
}
