// Registry rows: the same load, from the same generator, against ours and MCP Mesh's Go registry, one after the other.
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { runLoad, rotate, statusSummary, type LoadResult } from './load.js';
import { agentId, capabilityName, registrationBodies, type Fleet } from './payloads.js';
import { rssBytes, sleep } from './processes.js';
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
}

interface Latency {
  result: LoadResult;
  /** Set when the endpoint does not exist there (Go: /capabilities is 404). */
  missing?: string;
}

interface AtSize {
  postNew: LoadResult;
  /** One re-registration of every agent, in order: afterwards each agent's last POST saw the final topology. */
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
  held: { agents: number; capabilities: number };
  coldStartMs: number;
  stopMs: number;
  restartMs: number;
  reload: { agents: number; ms: number };
}

const SETTLE_MS = 2000;

async function listAgents(url: string): Promise<{ agents: number; capabilities: number; ms: number }> {
  const started = performance.now();
  const response = await fetch(`${url}/agents`);
  const body = (await response.json()) as { agents?: Array<{ capabilities?: unknown[] }> };
  const agents = body.agents ?? [];
  return { agents: agents.length, capabilities: agents.reduce((n, a) => n + (a.capabilities?.length ?? 0), 0), ms: performance.now() - started };
}

/** Registers agents [from, to) with POST /heartbeat under load; any refused one is retried alone so the count is exact. */
async function seed(registry: RegistryProcess, from: number, to: number, fleet: Fleet, connections: number): Promise<LoadResult> {
  const bodies = registrationBodies(from, to, fleet);
  const result = await runLoad({
    url: registry.url,
    method: 'POST',
    connections: Math.min(connections, bodies.length),
    amount: bodies.length,
    next: ((nextBody) => () => ({ path: '/heartbeat', body: nextBody() }))(rotate(bodies)),
  });
  if (result.ok !== bodies.length) {
    for (const body of bodies) {
      const response = await fetch(`${registry.url}/heartbeat`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      await response.arrayBuffer();
      if (!response.ok) throw new Error(`POST /heartbeat refused with ${response.status} by ${registry.url}`);
    }
  }
  return result;
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

async function measureAt(registry: RegistryProcess, count: number, fleet: Fleet, sizes: RegistrySizes, postNew: LoadResult): Promise<AtSize> {
  // Agents registered early saw a topology that later ones changed (both registries then answer their HEAD with
  // 202 until they POST again); re-posting everyone first measures HEAD in the steady state of a live fleet.
  const postUpdate = await seed(registry, 0, count, fleet, sizes.connections);
  const ids = Array.from({ length: count }, (_, i) => agentId(i));
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
  return { postNew, postUpdate, head, agents, capabilities, capabilityLookup };
}

async function measure(launcher: RegistryLauncher, sizes: RegistrySizes, workDir: string, log: (line: string) => void): Promise<Measured> {
  const fleet: Fleet = { agents: sizes.large, toolsPerAgent: sizes.toolsPerAgent, capabilityPool: sizes.capabilityPool };
  const dir = mkdtempSync(join(workDir, 'registry-'));

  log(`${launcher.label}: ${sizes.small} agents`);
  const smallRegistry = await launcher.start(join(dir, 'small.db'));
  let small: AtSize;
  try {
    const postNew = await seed(smallRegistry, 0, sizes.small, fleet, sizes.connections);
    small = await measureAt(smallRegistry, sizes.small, fleet, sizes, postNew);
  } finally {
    await smallRegistry.stop();
  }

  log(`${launcher.label}: ${sizes.large} agents`);
  const dataFile = join(dir, 'large.db');
  const registry = await launcher.start(dataFile);
  let measured: Omit<Measured, 'stopMs' | 'restartMs' | 'reload'>;
  try {
    await sleep(SETTLE_MS);
    const startRss = rssBytes(registry.pid);
    const postNew = await seed(registry, 0, sizes.large, fleet, sizes.connections);
    await sleep(SETTLE_MS);
    const largeRss = rssBytes(registry.pid);
    const held = await listAgents(registry.url);
    const large = await measureAt(registry, sizes.large, fleet, sizes, postNew);
    measured = { label: launcher.label, small, large, startRss, largeRss, held, coldStartMs: registry.readyMs };
  } catch (error) {
    await registry.stop();
    throw error;
  }

  log(`${launcher.label}: restart with ${sizes.large} agents`);
  const stopStarted = performance.now();
  await registry.stop();
  const stopMs = performance.now() - stopStarted;
  const restarted = await launcher.start(dataFile);
  try {
    const reload = await listAgents(restarted.url);
    return { ...measured, stopMs, restartMs: restarted.readyMs, reload };
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
): Promise<Row[]> {
  const our = await attempt(ours, sizes, workDir, log);
  const theirs = 'unavailable' in go ? { label: 'MCP Mesh Go', unavailable: go.unavailable } : await attempt(go, sizes, workDir, log);
  return buildRows(our, theirs, sizes);
}

interface Metric {
  metric: string;
  seed: string;
  /** The figure as shown. */
  show(m: Measured): string;
  /** The figure the ratio is taken of (omit: no ratio). */
  value?(m: Measured): number;
  /** Whether ours meets the seed claim / goal, given Go's figures when there are some. */
  met?(ours: Measured, go: Measured | undefined): boolean | undefined;
  note?(m: Measured): string;
}

function buildRows(our: Outcome, theirs: Outcome, sizes: RegistrySizes): Row[] {
  const S = num(sizes.small);
  const L = num(sizes.large);
  const rate = (r: LoadResult) => `${num(r.perSecond)}/s`;
  const loadNote = (r: LoadResult) => `${num(r.completed)} in ${r.seconds.toFixed(1)} s, ${statusSummary(r)}${r.errors ? `, ${r.errors} errors` : ''}`;
  const latencyText = (l: Latency) => l.missing ?? p50p99(l.result.latenciesMs);
  const latencyP50 = (l: Latency) => (l.missing ? Number.NaN : percentile(l.result.latenciesMs, 0.5));
  const growth = (m: Measured) => (m.largeRss - m.startRss) / sizes.large;
  const seedGrowth = 2048 + 1024 * sizes.toolsPerAgent;
  const metrics: Metric[] = [
    {
      metric: 'agents / capabilities held',
      seed: '1 000+ / 10 000+ (issue: 10 000 / 100 000)',
      show: (m) => `${num(m.held.agents)} / ${num(m.held.capabilities)}`,
      met: (o) => o.held.agents >= sizes.large && o.held.capabilities >= sizes.large * sizes.toolsPerAgent,
      note: () => `${sizes.toolsPerAgent} tools per agent over ${num(sizes.capabilityPool)} capability names; counted from GET /agents`,
    },
  ];
  for (const [at, pick] of [[S, (m: Measured) => m.small.head], [L, (m: Measured) => m.large.head]] as const) {
    metrics.push({
      metric: `HEAD /heartbeat/:id at ${at} agents (${sizes.connections} conn)`,
      seed: '100+/s; goal ≥ Go',
      show: (m) => rate(pick(m)),
      value: (m) => pick(m).perSecond,
      met: (o, g) => pick(o).perSecond >= 100 && (!g || pick(o).perSecond >= pick(g).perSecond),
      note: (m) => loadNote(pick(m)),
    });
  }
  for (const [at, pick] of [[S, (m: Measured) => m.small.postNew], [L, (m: Measured) => m.large.postNew]] as const) {
    metrics.push({
      metric: `POST /heartbeat new agents 0→${at} (${sizes.connections} conn)`,
      seed: 'goal ≥ ½ Go',
      show: (m) => rate(pick(m)),
      value: (m) => pick(m).perSecond,
      met: (o, g) => (g ? pick(o).perSecond >= pick(g).perSecond / 2 : undefined),
      note: (m) => loadNote(pick(m)),
    });
  }
  for (const [at, pick] of [[S, (m: Measured) => m.small.postUpdate], [L, (m: Measured) => m.large.postUpdate]] as const) {
    metrics.push({
      metric: `POST /heartbeat updates, all ${at} agents (${sizes.connections} conn)`,
      seed: 'goal ≥ ½ Go',
      show: (m) => rate(pick(m)),
      value: (m) => pick(m).perSecond,
      met: (o, g) => (g ? pick(o).perSecond >= pick(g).perSecond / 2 : undefined),
      note: (m) => `re-registration of every known agent: ${loadNote(pick(m))}`,
    });
  }
  const latencies: Array<[string, (m: Measured) => Latency, string]> = [
    [`GET /agents at ${S} agents`, (m) => m.small.agents, 'discovery query: ~5 KB answer'],
    [`GET /agents at ${L} agents`, (m) => m.large.agents, '—'],
    [`GET /capabilities (all) at ${S} agents`, (m) => m.small.capabilities, '—'],
    [`GET /capabilities (all) at ${L} agents`, (m) => m.large.capabilities, '—'],
    [`GET /capabilities?name= at ${L} agents`, (m) => m.large.capabilityLookup, '—'],
  ];
  for (const [metric, pick, seed] of latencies) {
    metrics.push({
      metric,
      seed,
      show: (m) => latencyText(pick(m)),
      value: (m) => latencyP50(pick(m)),
      note: (m) => `${pick(m).result.completed} sequential requests`,
    });
  }
  metrics.push(
    {
      metric: 'registry RSS at start (empty)',
      seed: '20 MB',
      show: (m) => bytes(m.startRss),
      value: (m) => m.startRss,
      met: (o) => o.startRss <= 20 * 1024 * 1024,
    },
    {
      metric: `registry RSS growth per agent 0→${L} (${sizes.toolsPerAgent} caps each)`,
      seed: `2 KB + ${sizes.toolsPerAgent} × 1 KB = ${bytes(seedGrowth)}; goal ≤ Go`,
      show: (m) => bytes(growth(m)),
      value: growth,
      met: (o, g) => growth(o) <= seedGrowth && (!g || growth(o) <= growth(g)),
      note: (m) => `RSS ${bytes(m.startRss)} → ${bytes(m.largeRss)}, each read ${SETTLE_MS / 1000} s after the load settled`,
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
      show: (m) => ms(m.restartMs),
      value: (m) => m.restartMs,
      met: (o) => o.reload.agents === sizes.large,
      note: (m) => `graceful stop took ${ms(m.stopMs)}; first GET /agents after restart listed ${num(m.reload.agents)} agents in ${ms(m.reload.ms)}`,
    },
  );

  const o = isMeasured(our) ? our : undefined;
  const g = isMeasured(theirs) ? theirs : undefined;
  const reason = (outcome: Outcome) => ('unavailable' in outcome ? outcome.unavailable : '');
  return metrics.map((metric) => {
    const notes = [o && metric.note ? `ours ${metric.note(o)}` : '', g && metric.note ? `Go ${metric.note(g)}` : ''].filter(Boolean);
    return {
      section: 'registry',
      metric: metric.metric,
      ours: o ? metric.show(o) : reason(our),
      seed: metric.seed,
      go: g ? metric.show(g) : reason(theirs),
      ratio: o && g && metric.value ? ratio(metric.value(o), metric.value(g)) : '—',
      met: check(o && metric.met ? metric.met(o, g) : undefined),
      ...(notes.length ? { note: notes.join('; ') } : {}),
    };
  });
}
