// Registry rows: the same load, from the same generator, against ours and MCP Mesh's Go registry, one after the other.
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { runLoad, rotate, statusSummary, type LoadResult } from './load.js';
import { agentId, capabilityName, registration, registrationBodies, type Fleet } from './payloads.js';
import { bareNodeRss, rssBytes, sleep } from './processes.js';
import type { RegistryLauncher, RegistryProcess } from './registries.js';
import { bytes, ms, num, p50p99, percentile } from './stats.js';
import { check, ratio, type Row } from './table.js';

export interface RegistrySizes {
  small: number;
  large: number;
  toolsPerAgent: number;
  capabilityPool: number;
  /** Seconds of each throughput load (HEAD, POST updates). */
  loadS: number;
  /** Seconds (at most) of each latency series, one connection. */
  latencyS: number;
  latencyMax: number;
  /** Connections of the throughput loads (the wire doc's Go figure used 50). */
  connections: number;
  /** Longest a seeding may take: past it, the tier is measured at the count reached. */
  seedBudgetS: number;
  /** Seconds of idle after seeding the large tier during which its RSS is watched (memory is given back when idle). */
  idleS: number;
}

interface Latency {
  result: LoadResult;
  /** Set when the endpoint does not exist there (Go: /capabilities is 404). */
  missing?: string;
}

interface AtSize {
  /** Agents registered when measured: the target, or fewer when seeding ran out of its time budget. */
  count: number;
  postNew: LoadResult;
  /** Re-registrations of known agents, in order, for `loadS`: after it each re-posted agent saw the final topology. */
  postUpdate: LoadResult;
  head: LoadResult;
  agents: Latency;
  capabilities: Latency;
  capabilityLookup: Latency;
}

interface Measured {
  label: string;
  small: AtSize;
  large: AtSize;
  startRss: number;
  largeRss: number;
  /** RSS SETTLE_MS after seeding the large tier (before the runtime gave memory back). */
  largeRssSoon: number;
  held: { agents: number; capabilities: number };
  coldStartMs: number;
  stopMs: number;
  restartMs: number;
  reload: { agents: number; ms: number };
}

const SETTLE_MS = 3000;
/**
 * The synthetic agents do not heartbeat between the loads, and seeding can take minutes: with the default 20 s
 * timeout both registries would turn them unhealthy mid-run (HEAD then answers 410). Both get a one-hour timeout,
 * so every figure is taken with a fleet of healthy agents, as in a live mesh.
 */
const STEADY = { timeoutS: 3600 };

/**
 * RSS sampled every 250 ms for `windowMs` after a load: the lowest reading, and the one SETTLE_MS in. Both runtimes
 * give memory back only once idle (V8's memory reducer after ~30-40 s, Go's scavenger), so the window is long.
 */
async function settledRss(pid: number, windowMs = SETTLE_MS): Promise<{ low: number; soon: number }> {
  let low = Number.POSITIVE_INFINITY;
  let soon = 0;
  for (let waited = 250; waited <= windowMs; waited += 250) {
    await sleep(250);
    const rss = rssBytes(pid);
    low = Math.min(low, rss);
    if (waited <= SETTLE_MS) soon = rss;
  }
  return { low, soon };
}

interface Listing {
  ids: string[];
  capabilities: number;
  ms: number;
}

async function listAgents(url: string): Promise<Listing> {
  const started = performance.now();
  const response = await fetch(`${url}/agents`);
  const body = (await response.json()) as { agents?: Array<{ id: string; capabilities?: unknown[] }> };
  const agents = body.agents ?? [];
  return {
    ids: agents.map((a) => a.id),
    capabilities: agents.reduce((n, a) => n + (a.capabilities?.length ?? 0), 0),
    ms: performance.now() - started,
  };
}

function post(url: string, body: Buffer): Promise<Response> {
  return fetch(`${url}/heartbeat`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
}

/**
 * Registers agents [0, count) with POST /heartbeat under load, within `budgetS` seconds (a registry whose rate
 * collapses as it fills is measured at the count it reached). Refused ones are retried alone. Returns the ids held.
 * `beforeListing` runs before the registry is asked for its list (a GET /agents of 10 000 agents allocates tens of
 * MB, which would show in an RSS reading taken after it).
 */
async function seed(
  registry: RegistryProcess,
  count: number,
  fleet: Fleet,
  sizes: RegistrySizes,
  beforeListing: () => Promise<void> = async () => undefined,
): Promise<{ result: LoadResult; ids: string[] }> {
  const bodies = registrationBodies(0, count, fleet);
  const nextBody = rotate(bodies);
  const result = await runLoad({
    url: registry.url,
    method: 'POST',
    connections: Math.min(sizes.connections, count),
    amount: count,
    limitS: sizes.seedBudgetS,
    next: () => ({ path: '/heartbeat', body: nextBody() }),
  });
  await beforeListing();
  let held = new Set((await listAgents(registry.url)).ids);
  if (!result.stopped && held.size < count) {
    for (let i = 0; i < count; i++) {
      if (held.has(agentId(i))) continue;
      const response = await post(registry.url, bodies[i]!);
      await response.arrayBuffer();
      if (!response.ok) throw new Error(`POST /heartbeat of ${agentId(i)} refused with ${response.status}`);
    }
    held = new Set((await listAgents(registry.url)).ids);
  }
  // In registration order, so that a partial seed is the prefix [0, held.size).
  return { result, ids: Array.from({ length: count }, (_, i) => agentId(i)).filter((id) => held.has(id)) };
}

async function latency(registry: RegistryProcess, paths: string[], sizes: RegistrySizes): Promise<Latency> {
  const nextPath = rotate(paths);
  const result = await runLoad({
    url: registry.url,
    method: 'GET',
    connections: 1,
    durationS: sizes.latencyS,
    maxRequests: sizes.latencyMax,
    next: () => ({ path: nextPath() }),
  });
  if (result.ok === 0 && result.statuses['404']) return { result, missing: `404 (no ${paths[0]!.split('?')[0]} endpoint)` };
  return { result };
}

async function measureAt(registry: RegistryProcess, ids: string[], fleet: Fleet, sizes: RegistrySizes, postNew: LoadResult): Promise<AtSize> {
  // Agents registered early saw a topology that later ones changed (both registries then answer their HEAD with
  // 202 until they POST again), as agents do on a 202: re-post them, in order, for a bounded time.
  const indexes = ids.map((id) => parseInt(id.slice(id.lastIndexOf('-') + 1), 16));
  const nextUpdate = rotate(indexes.map((i) => Buffer.from(JSON.stringify(registration(i, fleet)))));
  const postUpdate = await runLoad({
    url: registry.url,
    method: 'POST',
    connections: sizes.connections,
    durationS: sizes.loadS,
    next: () => ({ path: '/heartbeat', body: nextUpdate() }),
  });
  const nextId = rotate(ids);
  const head = await runLoad({
    url: registry.url,
    method: 'HEAD',
    connections: sizes.connections,
    durationS: sizes.loadS,
    next: () => ({ path: `/heartbeat/${nextId()}` }),
  });
  const agents = await latency(registry, ['/agents'], sizes);
  const capabilities = await latency(registry, ['/capabilities'], sizes);
  const names = Array.from({ length: Math.min(fleet.capabilityPool, 100) }, (_, i) => `/capabilities?name=${capabilityName(i * 7)}`);
  const capabilityLookup = await latency(registry, names, sizes);
  return { count: ids.length, postNew, postUpdate, head, agents, capabilities, capabilityLookup };
}

async function measure(launcher: RegistryLauncher, sizes: RegistrySizes, workDir: string, log: (line: string) => void): Promise<Measured> {
  const fleet: Fleet = { agents: sizes.large, toolsPerAgent: sizes.toolsPerAgent, capabilityPool: sizes.capabilityPool };
  const dir = mkdtempSync(join(workDir, 'registry-'));

  log(`${launcher.label}: ${sizes.small} agents`);
  const smallRegistry = await launcher.start(join(dir, 'small.db'), STEADY);
  let small: AtSize;
  try {
    const seeded = await seed(smallRegistry, sizes.small, fleet, sizes);
    small = await measureAt(smallRegistry, seeded.ids, fleet, sizes, seeded.result);
  } finally {
    await smallRegistry.stop();
  }

  log(`${launcher.label}: ${sizes.large} agents (seeding budget ${sizes.seedBudgetS} s)`);
  const dataFile = join(dir, 'large.db');
  const registry = await launcher.start(dataFile, STEADY);
  let measured: Omit<Measured, 'stopMs' | 'restartMs' | 'reload'>;
  try {
    const startRss = (await settledRss(registry.pid)).low;
    let rss = { low: 0, soon: 0 };
    const seeded = await seed(registry, sizes.large, fleet, sizes, async () => {
      log(`${launcher.label}: RSS over ${sizes.idleS} s of idle`);
      rss = await settledRss(registry.pid, sizes.idleS * 1000);
    });
    if (seeded.ids.length < sizes.large) log(`${launcher.label}: seeding stopped at ${seeded.ids.length} agents (budget)`);
    const { low: largeRss, soon: largeRssSoon } = rss;
    const listing = await listAgents(registry.url);
    const held = { agents: listing.ids.length, capabilities: listing.capabilities };
    const large = await measureAt(registry, seeded.ids, fleet, sizes, seeded.result);
    measured = { label: launcher.label, small, large, startRss, largeRss, largeRssSoon, held, coldStartMs: registry.readyMs };
  } catch (error) {
    await registry.stop();
    throw error;
  }

  log(`${launcher.label}: restart with ${measured.large.count} agents`);
  const stopStarted = performance.now();
  await registry.stop();
  const stopMs = performance.now() - stopStarted;
  const restarted = await launcher.start(dataFile, STEADY);
  try {
    const listing = await listAgents(restarted.url);
    return { ...measured, stopMs, restartMs: restarted.readyMs, reload: { agents: listing.ids.length, ms: listing.ms } };
  } finally {
    await restarted.stop();
  }
}

type Outcome = Measured | { label: string; unavailable: string };

function isMeasured(outcome: Outcome): outcome is Measured {
  return !('unavailable' in outcome);
}

async function attempt(launcher: RegistryLauncher, sizes: RegistrySizes, workDir: string, log: (line: string) => void): Promise<Outcome> {
  try {
    return await measure(launcher, sizes, workDir, log);
  } catch (error) {
    const message = (error as Error).message.split('\n')[0]!;
    log(`${launcher.label}: failed: ${message}`);
    return { label: launcher.label, unavailable: `failed: ${message}` };
  }
}

/** Runs the registry section against ours and (when it could be installed) the Go registry; builds the rows. */
export async function registryRows(
  ours: RegistryLauncher,
  go: RegistryLauncher | { unavailable: string },
  sizes: RegistrySizes,
  workDir: string,
  log: (line: string) => void,
  nodeFlags: readonly string[] = [],
): Promise<Row[]> {
  const our = await attempt(ours, sizes, workDir, log);
  const floor = await bareNodeRss(nodeFlags);
  const theirs = 'unavailable' in go ? { label: 'MCP Mesh Go', unavailable: go.unavailable } : await attempt(go, sizes, workDir, log);
  return buildRows(our, theirs, sizes, { rss: floor, flags: nodeFlags.length ? nodeFlags.join(' ') : 'no V8 flags' });
}

interface Metric {
  metric: string;
  seed: string;
  /** Which agent count the figure was taken at (a seeding cut short by its budget is flagged). */
  tier?: 'small' | 'large';
  /** The figure as shown. */
  show(m: Measured): string;
  /** The figure the ratio is taken of (omit: no ratio). */
  value?(m: Measured): number;
  /** Whether ours meets the seed claim / goal, given Go's figures when there are some (a string: shown as is). */
  met?(ours: Measured, go: Measured | undefined): boolean | string | undefined;
  note?(m: Measured): string;
}

/** A bare Node process started with our registry's flags, measured in the same run. */
interface Floor {
  rss: number;
  flags: string;
}

function buildRows(our: Outcome, theirs: Outcome, sizes: RegistrySizes, floor: Floor): Row[] {
  const S = num(sizes.small);
  const L = num(sizes.large);
  const rate = (r: LoadResult) => `${num(r.perSecond)}/s`;
  const loadNote = (r: LoadResult) =>
    `${num(r.completed)} in ${r.seconds.toFixed(1)} s, ${statusSummary(r)}${r.errors ? `, ${r.errors} errors` : ''}${r.stopped ? ', stopped by the time budget' : ''}`;
  const latencyText = (l: Latency) => l.missing ?? p50p99(l.result.latenciesMs);
  const latencyP50 = (l: Latency) => (l.missing ? Number.NaN : percentile(l.result.latenciesMs, 0.5));
  // The reading 3 s after seeding counts: the lowest one over the idle window depends on when the runtime happens
  // to give memory back, which a user's `pm2 monit` cannot count on.
  const growth = (m: Measured) => (m.largeRssSoon - m.startRss) / m.large.count;
  const seedGrowth = 2048 + 1024 * sizes.toolsPerAgent;
  const metrics: Metric[] = [
    {
      metric: 'agents / capabilities held',
      seed: '1 000+ / 10 000+ (issue: 10 000 / 100 000)',
      show: (m) => `${num(m.held.agents)} / ${num(m.held.capabilities)}`,
      met: (o) => o.held.agents >= sizes.large && o.held.capabilities >= sizes.large * sizes.toolsPerAgent,
      note: (m) =>
        m.held.agents < sizes.large
          ? `seeding stopped by its ${sizes.seedBudgetS} s budget (registration rate ${rate(m.large.postNew)} overall)`
          : `${sizes.toolsPerAgent} tools per agent over ${num(sizes.capabilityPool)} capability names, counted from GET /agents`,
    },
  ];
  const tiers = [
    ['small', S],
    ['large', L],
  ] as const;
  for (const [tier, at] of tiers) {
    metrics.push({
      metric: `HEAD /heartbeat/:id at ${at} agents (${sizes.connections} conn)`,
      seed: '100+/s; goal ≥ Go',
      tier,
      show: (m) => rate(m[tier].head),
      value: (m) => m[tier].head.perSecond,
      met: (o, g) => `seed ${check(o[tier].head.perSecond >= 100)} · Go ${check(g ? o[tier].head.perSecond >= g[tier].head.perSecond : undefined)}`,
      note: (m) => loadNote(m[tier].head),
    });
  }
  for (const [tier, at] of tiers) {
    metrics.push({
      metric: `POST /heartbeat new agents 0→${at} (${sizes.connections} conn)`,
      seed: 'goal ≥ ½ Go',
      tier,
      show: (m) => rate(m[tier].postNew),
      value: (m) => m[tier].postNew.perSecond,
      met: (o, g) => (g ? o[tier].postNew.perSecond >= g[tier].postNew.perSecond / 2 : undefined),
      note: (m) => loadNote(m[tier].postNew),
    });
  }
  for (const [tier, at] of tiers) {
    metrics.push({
      metric: `POST /heartbeat updates at ${at} agents (${sizes.connections} conn)`,
      seed: 'goal ≥ ½ Go',
      tier,
      show: (m) => rate(m[tier].postUpdate),
      value: (m) => m[tier].postUpdate.perSecond,
      met: (o, g) => (g ? o[tier].postUpdate.perSecond >= g[tier].postUpdate.perSecond / 2 : undefined),
      note: (m) => `re-registrations of known agents in order: ${loadNote(m[tier].postUpdate)}`,
    });
  }
  const latencies: Array<[string, 'small' | 'large', (a: AtSize) => Latency, string]> = [
    [`GET /agents at ${S} agents`, 'small', (a) => a.agents, 'discovery query: ~5 KB answer'],
    [`GET /agents at ${L} agents`, 'large', (a) => a.agents, '—'],
    [`GET /capabilities (all) at ${S} agents`, 'small', (a) => a.capabilities, '—'],
    [`GET /capabilities (all) at ${L} agents`, 'large', (a) => a.capabilities, '—'],
    [`GET /capabilities?name= at ${L} agents`, 'large', (a) => a.capabilityLookup, '—'],
  ];
  for (const [metric, tier, pick, seed] of latencies) {
    metrics.push({
      metric,
      seed,
      tier,
      show: (m) => latencyText(pick(m[tier])),
      value: (m) => latencyP50(pick(m[tier])),
      note: (m) => `${pick(m[tier]).result.completed} sequential requests`,
    });
  }
  metrics.push(
    {
      metric: 'registry RSS at start (empty)',
      seed: '20 MB; goal ≤ 45 MB',
      show: (m) => bytes(m.startRss),
      value: (m) => m.startRss,
      met: (o) => `seed ${check(o.startRss <= 20 * 1024 * 1024)} · goal ${check(o.startRss <= 45 * 1024 * 1024)}`,
      note: (m) =>
        m.label === 'ours' ? `a bare Node process with the same flags (${floor.flags}) read ${bytes(floor.rss)} in this run` : 'its own binary',
    },
    {
      metric: `registry RSS growth per agent 0→${L} (${sizes.toolsPerAgent} caps each)`,
      seed: `2 KB + ${sizes.toolsPerAgent} × 1 KB = ${bytes(seedGrowth)}; goal ≤ 4 KB and ≤ Go`,
      show: (m) => bytes(growth(m)) + (m.large.count < sizes.large ? ` (0→${num(m.large.count)})` : ''),
      value: growth,
      met: (o, g) =>
        `seed ${check(growth(o) <= seedGrowth)} · 4 KB ${check(growth(o) <= 4096)} · Go ${check(g ? growth(o) <= growth(g) : undefined)}`,
      note: (m) =>
        `RSS ${bytes(m.startRss)} → ${bytes(m.largeRssSoon)} ${SETTLE_MS / 1000} s after seeding (the figure); the lowest reading within ${sizes.idleS} s of idle was ${bytes(m.largeRss)} (${bytes((m.largeRss - m.startRss) / m.large.count)} per agent)`,
    },
    {
      metric: 'cold start (spawn → GET /health 200, empty)',
      seed: '—',
      show: (m) => ms(m.coldStartMs),
      value: (m) => m.coldStartMs,
    },
    {
      metric: `restart at ${L} agents (spawn → serving, data file reloaded)`,
      seed: '—',
      tier: 'large',
      show: (m) => ms(m.restartMs),
      value: (m) => m.restartMs,
      met: (o) => o.reload.agents === o.held.agents,
      note: (m) =>
        `graceful stop took ${ms(m.stopMs)}; the first GET /agents after restart listed ${num(m.reload.agents)} agents in ${ms(m.reload.ms)}`,
    },
  );

  const o = isMeasured(our) ? our : undefined;
  const g = isMeasured(theirs) ? theirs : undefined;
  const reason = (outcome: Outcome) => ('unavailable' in outcome ? outcome.unavailable : '');
  const target = (tier: 'small' | 'large') => (tier === 'small' ? sizes.small : sizes.large);
  const shown = (metric: Metric, m: Measured) => {
    const text = metric.show(m);
    return metric.tier && m[metric.tier].count < target(metric.tier) && !text.includes('→')
      ? `${text} (at ${num(m[metric.tier].count)} agents)`
      : text;
  };
  return metrics.map((metric) => {
    const notes = [o && metric.note ? `ours ${metric.note(o)}` : '', g && metric.note ? `Go ${metric.note(g)}` : ''].filter(Boolean);
    const sameCount = !metric.tier || !o || !g || o[metric.tier].count === g[metric.tier].count;
    return {
      section: 'registry',
      metric: metric.metric,
      ours: o ? shown(metric, o) : reason(our),
      seed: metric.seed,
      go: g ? shown(metric, g) : reason(theirs),
      ratio:
        o && g && metric.value
          ? sameCount
            ? ratio(metric.value(o), metric.value(g))
            : `${ratio(metric.value(o), metric.value(g))} (unequal counts)`
          : '—',
      met: ((verdict) => (typeof verdict === 'string' ? verdict : check(verdict)))(o && metric.met ? metric.met(o, g) : undefined),
      ...(notes.length ? { note: notes.join('; ') } : {}),
    };
  });
}
