// Tracing rows: what tracing costs on the proxy path (two provider/consumer pairs on one registry, one with tracing
// on, one with MCP_MESH_TRACING=false, rounds alternating, the median counts), and the registry's memory holding
// 10 000 recent spans (a fresh registry process, before and after, by its own /metrics and its RSS).
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { callStructured, connect, startPair, type AgentProcess } from './agents.js';
import { rssBytes, sleep } from './processes.js';
import type { RegistryLauncher } from './registries.js';
import { bytes, num, percentile, type Timing } from './stats.js';
import { check, type Row } from './table.js';

export interface TracingSizes {
  calls: number;
  maxMs: number;
  concurrency: number;
  rounds: number;
  /** Spans posted to the registry for the memory row. */
  spans: number;
}

const NOT_REGISTRY = 'n/a (runtime figure)';

async function pair(distDir: string, registryUrl: string, tracing: boolean, started: AgentProcess[]): Promise<AgentProcess> {
  const suffix = tracing ? 'on' : 'off';
  const env = { MCP_MESH_TRACING: String(tracing) };
  return (await startPair(distDir, { prefix: `trace-${suffix}`, capability: `trace_${suffix}`, registryUrl, env }, started)).consumer;
}

/** A chain-shaped trace of five spans, as the example planner → weather → time-service leaves. */
function chainTrace(i: number, now: number): Record<string, unknown>[] {
  const trace = (i + 1).toString(16).padStart(32, '0');
  const span = (n: number) => ((i * 8 + n + 1) >>> 0).toString(16).padStart(16, '0');
  const base = { trace_id: trace, start_ms: now, duration_ms: 1.5, outcome: 'ok' };
  return [
    {
      ...base,
      span_id: span(0),
      kind: 'server',
      name: 'plan_trip',
      agent_id: 'planner-0a1b2c3d',
      agent_name: 'planner',
      capability: 'trip_planning',
    },
    {
      ...base,
      span_id: span(1),
      parent_span_id: span(0),
      kind: 'client',
      name: 'forecast',
      agent_id: 'planner-0a1b2c3d',
      agent_name: 'planner',
      capability: 'weather',
      peer_agent_id: 'weather-fast-4e5f6a7b',
      endpoint: 'http://127.0.0.1:40001',
    },
    {
      ...base,
      span_id: span(2),
      parent_span_id: span(1),
      kind: 'server',
      name: 'forecast',
      agent_id: 'weather-fast-4e5f6a7b',
      agent_name: 'weather-fast',
      capability: 'weather',
      peer_agent_id: 'planner-0a1b2c3d',
    },
    {
      ...base,
      span_id: span(3),
      parent_span_id: span(2),
      kind: 'client',
      name: 'now',
      agent_id: 'weather-fast-4e5f6a7b',
      agent_name: 'weather-fast',
      capability: 'time_service',
      peer_agent_id: 'time-service-8c9d0e1f',
      endpoint: 'http://127.0.0.1:40002',
    },
    {
      ...base,
      span_id: span(4),
      parent_span_id: span(3),
      kind: 'server',
      name: 'now',
      agent_id: 'time-service-8c9d0e1f',
      agent_name: 'time-service',
      capability: 'time_service',
      peer_agent_id: 'weather-fast-4e5f6a7b',
    },
  ];
}

async function heapUsed(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  return Number(/^nodejs_heap_size_used_bytes (\d+)/m.exec(text)?.[1] ?? Number.NaN);
}

export async function tracingRows(
  distDir: string,
  launcher: RegistryLauncher,
  sizes: TracingSizes,
  workDir: string,
  log: (line: string) => void,
): Promise<Row[]> {
  const dir = mkdtempSync(join(workDir, 'tracing-'));
  const row = (r: Omit<Row, 'section' | 'go' | 'ratio'>): Row => ({ section: 'tracing', go: NOT_REGISTRY, ratio: '—', ...r });
  const rows: Row[] = [];

  const registry = await launcher.start(join(dir, 'registry.db'));
  const started: AgentProcess[] = [];
  try {
    log('tracing: two provider/consumer pairs, tracing on and off');
    const on = await connect((await pair(distDir, registry.url, true, started)).mcpUrl);
    const off = await connect((await pair(distDir, registry.url, false, started)).mcpUrl);
    const rates = { on: [] as number[], off: [] as number[] };
    const drive = (client: typeof on) =>
      callStructured<Timing>(client, 'drive', { mode: 'proxy', calls: sizes.calls, concurrency: sizes.concurrency, maxMs: sizes.maxMs });
    await drive(on); // warm-up: sessions, JIT
    await drive(off);
    for (let round = 0; round < sizes.rounds; round++) {
      log(`tracing: round ${round + 1}/${sizes.rounds}`);
      // Alternating which goes first, so that neither always runs on the warmer machine.
      const order = round % 2 === 0 ? (['on', 'off'] as const) : (['off', 'on'] as const);
      for (const mode of order) rates[mode].push((await drive(mode === 'on' ? on : off)).perSecond);
    }
    await on.close();
    await off.close();
    const onRate = percentile(rates.on, 0.5);
    const offRate = percentile(rates.off, 0.5);
    const cost = (offRate - onRate) / offRate;
    rows.push(
      row({
        metric: `tool calls/s through the mesh proxy, tracing on (${sizes.concurrency} in flight)`,
        ours: `${num(onRate)}/s`,
        seed: '—',
        met: '—',
        note: `median of ${sizes.rounds} rounds (${rates.on.map((r) => num(r)).join(', ')}/s); spans on both sides, sent to the registry each second`,
      }),
      row({
        metric: 'tool calls/s through the mesh proxy, MCP_MESH_TRACING=false',
        ours: `${num(offRate)}/s`,
        seed: '—',
        met: '—',
        note: `median of ${sizes.rounds} rounds (${rates.off.map((r) => num(r)).join(', ')}/s), alternating with the rounds above`,
      }),
      row({
        metric: 'calls/s lost to tracing on the proxy path',
        ours: `${(cost * 100).toFixed(1)} %`,
        seed: 'goal ≤ 5 %',
        met: check(cost <= 0.05),
        note: 'negative: the traced pair was faster (noise on a shared machine)',
      }),
    );
  } finally {
    for (const agent of started) await agent.proc.stop('SIGTERM', 5000);
    await registry.stop();
  }

  log(`tracing: registry memory with ${num(sizes.spans)} recent spans`);
  const fresh = await launcher.start(join(dir, 'spans.db'));
  try {
    await sleep(2000);
    const rssBefore = rssBytes(fresh.pid);
    const heapBefore = await heapUsed(fresh.url);
    const now = Date.now();
    const perBatch = 500;
    for (let sent = 0; sent < sizes.spans; sent += perBatch) {
      const spans = [];
      for (let i = sent / 5; spans.length < perBatch && i * 5 < sizes.spans; i++) spans.push(...chainTrace(i, now));
      const res = await fetch(`${fresh.url}/traces`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ spans }),
      });
      if (res.status !== 202) throw new Error(`POST /traces answered ${res.status}: ${await res.text()}`);
    }
    const stored = ((await (await fetch(`${fresh.url}/traces?limit=1`)).json()) as { stored: number }).stored;
    await sleep(5000);
    const rssAfter = rssBytes(fresh.pid);
    const heapAfter = await heapUsed(fresh.url);
    rows.push(
      row({
        metric: `registry memory holding ${num(stored)} recent spans (heap used, RSS)`,
        ours: `+${bytes(heapAfter - heapBefore)}, +${bytes(rssAfter - rssBefore)}`,
        seed: '—',
        met: '—',
        note: `a fresh registry, ${num(stored / 5)} five-span chain traces posted in batches of ${perBatch}; heap from its /metrics, RSS from /proc, 5 s after (no forced GC: garbage included): ${bytes((heapAfter - heapBefore) / stored)} of heap per span`,
      }),
    );
  } finally {
    await fresh.stop();
  }
  return rows;
}
