// Resolution rows: registry/core/resolver.ts's resolveDependency called in process over 10 000 capabilities, timed per call.
import { parseDependencySpec, resolveDependency, type DependencySpec, type ProviderCandidate } from '../core/resolver.js';
import { capabilityName } from './payloads.js';
import { ms, p50p99, percentile } from './stats.js';
import { check, type Row } from './table.js';

export interface ResolutionSizes {
  capabilities: number;
  /** Distinct capability names (providers per name = capabilities / names). */
  names: number;
  /** Timed calls per row. */
  runs: number;
}

const SEED_LOOKUP_MS = 10;
const GOAL_P99_MS = 0.1;

function candidates(count: number, names: number): ProviderCandidate[] {
  return Array.from({ length: count }, (_, i) => ({
    agent_id: `svc${i % 100}-${i.toString(16).padStart(8, '0')}`,
    agent_name: `svc${i % 100}`,
    function_name: `tool_${i % 10}`,
    capability: capabilityName(i % names),
    version: `1.${i % 10}.${i % 7}`,
    tags: [`zone-${i % 4}`, i % 2 ? 'fast' : 'slow', ...(i % 5 === 0 ? ['beta'] : [])],
    endpoint: `http://127.0.0.1:${20_000 + (i % 40_000)}`,
  }));
}

/** The shapes agents declare: bare, preferred tag + range, required + excluded tags, an OR group. */
function specs(names: number): DependencySpec[] {
  const list: DependencySpec[] = [];
  for (let i = 0; i < 1000; i++) {
    const capability = capabilityName((i * 7) % names);
    const shape = i % 4;
    list.push(
      parseDependencySpec(
        shape === 0
          ? capability
          : shape === 1
            ? { capability, tags: ['+fast'], version: '>=1.0.0' }
            : shape === 2
              ? { capability, tags: ['zone-1', '-beta'], version: '^1.2.0' }
              : { capability, tags: [['zone-2', 'zone-3'], '+fast'] },
      ),
    );
  }
  return list;
}

/** Per-call times in ms of `call(spec)` over `runs` calls cycling through `specs` (after a warm-up). */
function time(runs: number, list: DependencySpec[], call: (spec: DependencySpec) => unknown): number[] {
  let sink = 0;
  for (let i = 0; i < Math.min(runs, 2000); i++) sink += call(list[i % list.length]!) ? 1 : 0;
  const times = new Array<number>(runs);
  for (let i = 0; i < runs; i++) {
    const spec = list[i % list.length]!;
    const started = process.hrtime.bigint();
    sink += call(spec) ? 1 : 0;
    times[i] = Number(process.hrtime.bigint() - started) / 1e6;
  }
  if (sink < 0) console.log(sink); // keeps the calls from being optimized away
  return times;
}

export function resolutionRows(sizes: ResolutionSizes): Row[] {
  const all = candidates(sizes.capabilities, sizes.names);
  const byCapability = new Map<string, ProviderCandidate[]>();
  for (const candidate of all) {
    const bucket = byCapability.get(candidate.capability);
    if (bucket) bucket.push(candidate);
    else byCapability.set(candidate.capability, [candidate]);
  }
  const list = specs(sizes.names);
  const perName = Math.round(sizes.capabilities / sizes.names);
  const C = sizes.capabilities.toLocaleString('en').replace(/,/g, ' ');

  const indexed = time(sizes.runs, list, (spec) => resolveDependency(spec, byCapability.get(spec.capability) ?? []).chosen);
  const scan = time(Math.max(200, sizes.runs / 20), list, (spec) => resolveDependency(spec, all).chosen);
  const sameCapability = all.map((c) => ({ ...c, capability: 'everyone' }));
  const crowd = [parseDependencySpec({ capability: 'everyone', tags: ['+fast'], version: '>=1.0.0' })];
  const crowded = time(Math.max(100, sizes.runs / 100), crowd, (spec) => resolveDependency(spec, sameCapability).chosen);

  const row = (metric: string, times: number[], note: string, goal = true): Row => ({
    section: 'resolution',
    metric,
    ours: p50p99(times),
    seed: goal ? `< ${SEED_LOOKUP_MS} ms; goal p99 < ${ms(GOAL_P99_MS)}` : `< ${SEED_LOOKUP_MS} ms`,
    go: 'n/a (in process, no Go API)',
    ratio: '—',
    met: check(percentile(times, 0.99) < (goal ? GOAL_P99_MS : SEED_LOOKUP_MS)),
    note: `${times.length} timed calls; ${note}`,
  });
  return [
    row(
      `resolve one dependency, ${C} capabilities (store's index, ${perName} providers each)`,
      indexed,
      `the registry's path: providers of the spec's capability from a by-capability index, then resolveDependency; 1 000 spec shapes (bare, +tag & range, tag & -tag & ^range, OR group)`,
    ),
    row(
      `resolve one dependency, linear scan of all ${C} capabilities`,
      scan,
      'without the index: every capability passed to resolveDependency',
      false,
    ),
    row(
      `resolve one dependency, ${C} providers of one capability`,
      crowded,
      'worst case: all of them match and get ranked (score, version, id)',
      false,
    ),
  ];
}
