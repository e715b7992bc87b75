// Agent rows: a provider and a consumer as real processes on our registry; the consumer times, from inside itself,
// calls through the mesh proxy, through a plain SDK client to the same tool, and to its own tool (self proxy).
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { callStructured, connect, heapUsed, startAgent, startPair, WIRE_TIMEOUT_MS, waitForTopology, type AgentProcess } from './agents.js';
import { runLoad } from './load.js';
import { bareNodeRss, IDLE_READ_S, rssBytes, sleep, spawnTracked, type Spawned } from './processes.js';
import type { RegistryLauncher } from './registries.js';
import { bytes, ms, num, percentile, type Timing } from './stats.js';
import { check, type Row } from './table.js';

export interface AgentSizes {
  /** Calls per timed run (bounded by maxMs too). */
  calls: number;
  maxMs: number;
  /** In-flight calls of the throughput runs. */
  concurrency: number;
  /** Alternating raw/proxy rounds; the median round counts (the machine is shared). */
  rounds: number;
  selfCalls: number;
  /** Fresh agents started to time start → first heartbeat. */
  starts: number;
  /** Seconds of idle after the call load before the RSS reading that counts (goal: ≤ 60 MB then). */
  idleAfterLoadS: number;
}

const NOT_REGISTRY = 'n/a (runtime figure: no registry on the call path)';

function median(values: number[]): number {
  return percentile(values, 0.5);
}

const MB = 1024 * 1024;

export async function agentRows(
  distDir: string,
  launcher: RegistryLauncher,
  sizes: AgentSizes,
  workDir: string,
  log: (line: string) => void,
  nodeFlags: readonly string[] = [],
): Promise<Row[]> {
  const registry = await launcher.start(join(mkdtempSync(join(workDir, 'agents-')), 'registry.db'));
  const started: AgentProcess[] = [];
  const others: Spawned[] = [];
  try {
    log('agents: provider and consumer');
    const { provider, consumer } = await startPair(distDir, { prefix: 'bench', capability: 'bench', registryUrl: registry.url, nodeFlags }, started);
    await waitForTopology(consumer, /drive\.bench_consumer_local→self\//, WIRE_TIMEOUT_MS);
    const providerIdleRss = rssBytes(provider.proc.pid);

    const client = await connect(consumer.mcpUrl);
    const providerClient = await connect(provider.mcpUrl);
    const drive = (mode: string, calls: number, concurrency: number) =>
      callStructured<Timing>(client, 'drive', { mode, calls, concurrency, maxMs: sizes.maxMs });
    // Three ways to call the provider's echo tool from the same process: the mesh proxy, a plain SDK Client on a
    // session the provider treats like the proxy's (mesh consumer header: JSON answers), and a plain SDK Client on a
    // default session (SSE answers). Rounds alternate; the median round counts.
    // Session-less (one POST per call, as meshctl and MCP Mesh's agents call) against the session SDK client, and
    // the same caller through the registry's /proxy (MCP Mesh's route for meshctl) against direct.
    const modes = ['raw-mesh', 'proxy', 'raw', 'sessionless', 'registry-proxy'] as const;
    type Mode = (typeof modes)[number];
    const timings: Record<Mode, Timing[]> = { 'raw-mesh': [], proxy: [], raw: [], sessionless: [], 'registry-proxy': [] };
    // The provider's live heap (after a full GC) around each run after the first (warm-up) round: what grows with
    // the calls served is memory kept per request.
    const kept = Object.fromEntries(modes.map((mode) => [mode, { bytes: 0, calls: 0 }])) as Record<Mode, { bytes: number; calls: number }>;
    for (let round = 0; round < sizes.rounds; round++) {
      log(`agents: calls/s round ${round + 1}/${sizes.rounds}`);
      for (const mode of modes) {
        const before = await heapUsed(providerClient);
        const timing = await drive(mode, sizes.calls, sizes.concurrency);
        if (round > 0) {
          kept[mode].bytes += (await heapUsed(providerClient)) - before;
          kept[mode].calls += timing.calls;
        }
        timings[mode].push(timing);
      }
    }
    const rawSequential = await drive('raw-mesh', Math.ceil(sizes.calls / 2), 1);
    const directSequential = await drive('sessionless', Math.ceil(sizes.calls / 2), 1);
    const viaRegistrySequential = await drive('registry-proxy', Math.ceil(sizes.calls / 2), 1);
    const proxySequential = await drive('proxy', Math.ceil(sizes.calls / 2), 1);
    const beforeSelf = await heapUsed(client);
    const self = await drive('self', sizes.selfCalls, 1);
    const selfKept = ((await heapUsed(client)) - beforeSelf) / self.calls;
    const plain = await drive('plain', sizes.selfCalls, 1);
    await client.close();
    await providerClient.close();
    const consumerRss = rssBytes(consumer.proc.pid);
    const providerRss = rssBytes(provider.proc.pid);
    const afterLoad = performance.now();

    // The same call load as a mesh makes it, on a second pair: the consumer calls its dependency through the mesh
    // proxy only (no plain SDK clients of the bench's own, which bring undici and SDK sessions into the consumer
    // above and the SDK's SSE transport into its provider).
    log('agents: a second pair, mesh proxy calls only');
    const { provider: meshProvider, consumer: meshConsumer } = await startPair(
      distDir,
      { prefix: 'bench-mesh', capability: 'bench_mesh', registryUrl: registry.url, nodeFlags },
      started,
    );
    const meshClient = await connect(meshConsumer.mcpUrl);
    const meshCalls = (
      await callStructured<Timing>(meshClient, 'drive', {
        mode: 'proxy',
        calls: sizes.calls * sizes.rounds,
        concurrency: sizes.concurrency,
        maxMs: sizes.maxMs * sizes.rounds,
      })
    ).calls;
    await meshClient.close();
    const meshLoadEnd = performance.now();

    // The reference: a plain MCP SDK server with the same echo tool, no mesh, started beside the fresh agents.
    const plainServer = spawnTracked(process.execPath, [...nodeFlags, join(distDir, 'bench', 'fixtures', 'plain-sdk-server.js')]);
    others.push(plainServer);
    const plainUrl = new URL((await plainServer.waitForLine(/^serving (http:\S+)/, WIRE_TIMEOUT_MS)).text.split(' ')[1]!);

    log(`agents: ${sizes.starts} cold starts`);
    const startMs: number[] = [provider.registered!.at - provider.proc.spawnedAt, consumer.registered!.at - consumer.proc.spawnedAt];
    const servingMs: number[] = [];
    const soonRss: number[] = [];
    const fresh: AgentProcess[] = [];
    for (let i = 0; i < sizes.starts; i++) {
      const agent = await startAgent(distDir, { name: `bench-start-${i}`, provides: `bench_start_${i}`, registryUrl: registry.url, nodeFlags });
      started.push(agent);
      fresh.push(agent);
      startMs.push(agent.registered!.at - agent.proc.spawnedAt);
      servingMs.push(agent.proc.lines.find((l) => / serving /.test(l.text))!.at - agent.proc.spawnedAt);
      await sleep(1000);
      soonRss.push(rssBytes(agent.proc.pid));
    }
    // Idle is what pm2 monit shows between calls: the fresh agents are read IDLE_READ_S after the last one registered.
    await sleep(Math.max(0, fresh.at(-1)!.registered!.at + IDLE_READ_S * 1000 - performance.now()));
    const idleRss = fresh.map((agent) => rssBytes(agent.proc.pid));
    const plainIdleRss = rssBytes(plainServer.pid);
    for (const agent of fresh) await agent.proc.stop('SIGTERM', 5000);

    // The same number of echo calls as the mesh pair served, session-less JSON-RPC POSTs from the bench process.
    const echo = Buffer.from(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'echo', arguments: { text: 'hello' } } }));
    const plainLoad = await runLoad({
      url: plainUrl.origin,
      method: 'POST',
      connections: sizes.concurrency,
      amount: meshCalls,
      headers: { accept: 'application/json, text/event-stream' },
      next: () => ({ path: plainUrl.pathname, body: echo }),
    });
    const plainLoadEnd = performance.now();

    log(`agents: ${sizes.idleAfterLoadS} s of idle after the call load`);
    await sleep(Math.max(0, afterLoad + sizes.idleAfterLoadS * 1000 - performance.now()));
    const consumerIdleRss = rssBytes(consumer.proc.pid);
    const providerIdleAfterRss = rssBytes(provider.proc.pid);
    await sleep(Math.max(0, meshLoadEnd + sizes.idleAfterLoadS * 1000 - performance.now()));
    const meshConsumerIdleRss = rssBytes(meshConsumer.proc.pid);
    const meshProviderIdleRss = rssBytes(meshProvider.proc.pid);
    await sleep(Math.max(0, plainLoadEnd + sizes.idleAfterLoadS * 1000 - performance.now()));
    const plainAfterRss = rssBytes(plainServer.pid);
    const bareRss = await bareNodeRss(nodeFlags);
    const flags = nodeFlags.length ? nodeFlags.join(' ') : 'no V8 flags';

    const rate = (mode: Mode) => median(timings[mode].map((t) => t.perSecond));
    const proxyRate = rate('proxy');
    const rawRate = rate('raw-mesh');
    const overhead = (rawRate - proxyRate) / rawRate;
    const rounds = (mode: Mode) => timings[mode].map((t) => num(t.perSecond)).join(', ');
    const keptPerCall = (mode: Mode) => (kept[mode].calls ? bytes(kept[mode].bytes / kept[mode].calls) : 'n/a');
    const row = (r: Omit<Row, 'section' | 'go' | 'ratio'> & { go?: string }): Row => ({ section: 'agent', go: NOT_REGISTRY, ratio: '—', ...r });
    return [
      row({
        metric: `tool calls/s through the mesh MCP proxy (${sizes.concurrency} in flight)`,
        ours: `${num(proxyRate)}/s`,
        seed: '1 000+/s',
        met: check(proxyRate >= 1000),
        note: `median of ${sizes.rounds} rounds (${rounds('proxy')}/s), each up to ${num(sizes.calls)} calls or ${sizes.maxMs / 1000} s, from inside the consumer agent process to the provider's echo tool`,
      }),
      row({
        metric: `tool calls/s, plain SDK Client on a mesh session (JSON answers)`,
        ours: `${num(rawRate)}/s`,
        seed: '—',
        met: '—',
        note: `median of ${sizes.rounds} rounds (${rounds('raw-mesh')}/s), alternating with the proxy rounds, same process, one kept session sending the mesh consumer header, so the provider answers it as it answers the proxy`,
      }),
      row({
        metric: `tool calls/s, plain SDK Client on a default session (SSE answers)`,
        ours: `${num(rate('raw'))}/s`,
        seed: '—',
        met: '—',
        note: `median of ${sizes.rounds} rounds (${rounds('raw')}/s): what any MCP client gets from an agent`,
      }),
      row({
        metric: `calls/s to one agent: session-less (one POST per call) vs session (SDK Client, JSON answers) (${sizes.concurrency} in flight)`,
        ours: `${num(rate('sessionless'))}/s vs ${num(rawRate)}/s`,
        seed: '—',
        met: '—',
        note: `median of ${sizes.rounds} rounds each (session-less ${rounds('sessionless')}/s): one JSON-RPC POST per call on kept-alive connections (as meshctl calls) and a plain SDK Client on a kept mesh session, to the same echo tool, from the same process`,
      }),
      row({
        metric: `tool call through the registry's /proxy vs direct (session-less, ${sizes.concurrency} in flight; p50 one at a time)`,
        ours: `${num(rate('registry-proxy'))}/s vs ${num(rate('sessionless'))}/s; ${ms(viaRegistrySequential.p50Us / 1000)} vs ${ms(directSequential.p50Us / 1000)}`,
        seed: '—',
        met: '—',
        note: `median of ${sizes.rounds} rounds (via /proxy ${rounds('registry-proxy')}/s); p50 over ${viaRegistrySequential.calls} and ${directSequential.calls} sequential calls; /proxy is MCP Mesh's route for meshctl, one extra hop through the registry process`,
      }),
      row({
        metric: 'mesh proxy overhead vs plain SDK Client on the same kind of session (calls/s)',
        ours: `${(overhead * 100).toFixed(1)} %`,
        seed: 'goal ≤ 15 %',
        met: check(overhead <= 0.15),
        note: 'negative: the proxy is faster',
      }),
      row({
        metric: 'tool call latency, one at a time: proxy (plain SDK, mesh session)',
        ours: `${ms(proxySequential.p50Us / 1000)} / ${ms(proxySequential.p99Us / 1000)} (${ms(rawSequential.p50Us / 1000)} / ${ms(rawSequential.p99Us / 1000)})`,
        seed: '—',
        met: '—',
        note: `p50 / p99 over ${proxySequential.calls} proxy and ${rawSequential.calls} plain calls`,
      }),
      row({
        metric: 'self-proxy call (same agent, in process)',
        ours: `${ms(self.p50Us / 1000)} / ${ms(self.p99Us / 1000)} (mean ${ms(self.meanUs / 1000)})`,
        seed: 'goal < 5 µs',
        met: check(self.meanUs < 5),
        note:
          `p50 / p99 over ${num(self.calls)} sequential calls (the check uses the mean: it includes the GC the calls cause); ` +
          `self proxy: ${String((self as Timing & { local?: boolean }).local)}; the consumer's live heap (after a full GC) grew ${bytes(selfKept)} per call over the run; ` +
          `a bare async function timed the same way: p50 ${ms(plain.p50Us / 1000)}, mean ${ms(plain.meanUs / 1000)}`,
      }),
      row({
        metric: 'provider heap kept per call served, warm: proxy / plain SDK mesh session / plain SDK default session',
        ours: kept.proxy.calls ? `${keptPerCall('proxy')} / ${keptPerCall('raw-mesh')} / ${keptPerCall('raw')}` : 'n/a (needs 2 rounds)',
        seed: 'goal: flat (< 0.5 KB per call)',
        met: check(kept.proxy.calls ? kept.proxy.bytes / kept.proxy.calls < 512 : undefined),
        note: `the provider's live heap after a full GC, around rounds 2…${sizes.rounds} (${num(kept.proxy.calls)}, ${num(kept['raw-mesh'].calls)} and ${num(kept.raw.calls)} calls); the first round warms up`,
      }),
      row({
        metric: 'agent start → first heartbeat (spawn → registered)',
        ours: `${ms(median(startMs))} / ${ms(Math.max(...startMs))}`,
        seed: '< 2 s; goal < 0.5 s',
        met: check(Math.max(...startMs) < 500),
        note: `p50 / max of ${startMs.length} node processes (node boot included); spawn → serving p50 ${ms(median(servingMs))}`,
      }),
      row({
        metric: 'bare Node process RSS (a timer, nothing loaded): the floor',
        ours: bytes(bareRss),
        seed: '—',
        met: '—',
        note: `node ${process.version} with ${flags}, read 2 s after its start, right after the idle agents below`,
      }),
      row({
        metric: `agent RSS, idle after registering (2 tools), ${IDLE_READ_S} s on`,
        ours: `${bytes(median(idleRss))} (floor ${bytes(bareRss)})`,
        seed: '50 MB (Python agent); goal ≤ 50 MB',
        met: check(median(idleRss) <= 50 * MB),
        note:
          `median of ${idleRss.length} fresh agents (${idleRss.map(bytes).join(', ')}), read ${IDLE_READ_S} s after the last one registered, nothing forced; ` +
          `1 s after registering they read ${soonRss.map(bytes).join(', ')}; ${flags}; the provider read ${bytes(providerIdleRss)} idle and ${bytes(providerRss)} right after serving the call load`,
      }),
      row({
        metric: `reference: a plain MCP SDK server (McpServer + its Streamable HTTP transport, the same echo tool, no mesh): idle ${IDLE_READ_S} s / after the same calls + ${sizes.idleAfterLoadS} s`,
        ours: `${bytes(plainIdleRss)} / ${bytes(plainAfterRss)}`,
        seed: '—',
        met: '—',
        note: `bench/fixtures/plain-sdk-server.ts, session-less with JSON answers, ${flags}; ${num(plainLoad.ok)} of ${num(meshCalls)} calls answered 2xx (${sizes.concurrency} connections): what any Node MCP server costs before a mesh`,
      }),
      row({
        metric: 'agent RSS right after the call load (consumer, 4 tools)',
        ours: bytes(consumerRss),
        seed: '50 MB + 5 KB per capability',
        met: check(consumerRss <= 50 * MB + 4 * 5 * 1024),
        note: `the consumer drove every call of the rows above (its own SDK clients included); ${flags}`,
      }),
      row({
        metric: `agent RSS after a mesh call load + ${sizes.idleAfterLoadS} s idle: consumer / provider`,
        ours: `${bytes(meshConsumerIdleRss)} / ${bytes(meshProviderIdleRss)}`,
        seed: 'goal ≤ 60 MB',
        met: check(Math.max(meshConsumerIdleRss, meshProviderIdleRss) <= 60 * MB),
        note: `a second pair: ${num(meshCalls)} calls through the mesh proxy (${sizes.concurrency} in flight), then ${sizes.idleAfterLoadS} s of idle, nothing forced (no GC call); floor ${bytes(bareRss)}; ${flags}`,
      }),
      row({
        metric: `agent RSS after every call mode of the rows above + ${sizes.idleAfterLoadS} s idle: consumer / provider`,
        ours: `${bytes(consumerIdleRss)} / ${bytes(providerIdleAfterRss)}`,
        seed: 'goal ≤ 60 MB',
        met: check(Math.max(consumerIdleRss, providerIdleAfterRss) <= 60 * MB),
        note: `the first pair: besides the mesh proxy, the consumer ran the bench's own plain SDK clients (undici, SDK sessions) and the provider served them (the SDK's SSE transport); read ${sizes.idleAfterLoadS} s after the last call; ${flags}`,
      }),
    ];
  } finally {
    for (const agent of started) await agent.proc.stop('SIGTERM', 5000);
    for (const proc of others) await proc.stop('SIGTERM', 5000);
    await registry.stop();
  }
}
