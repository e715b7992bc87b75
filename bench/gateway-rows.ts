// Gateway rows: the price of the gateway's hop (calls/s through `pm2-mesh gateway` against the same SDK client
// straight to the agent) and how fast it follows the mesh (an agent's start → its tool in the gateway's list).
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import type { AgentSizes } from './agent-rows.js';
import { connect, startAgent, type AgentProcess } from './agents.js';
import { spawnTracked, type Spawned } from './processes.js';
import type { RegistryLauncher } from './registries.js';
import { ms, num, percentile } from './stats.js';
import { check, type Row } from './table.js';
import { timed } from './timed.js';

/** The call runs of the agent rows (calls, time bound, in flight, alternating rounds), plus agents joining. */
export type GatewaySizes = Pick<AgentSizes, 'calls' | 'maxMs' | 'concurrency' | 'rounds'> & {
  /** Fresh agents started to time start → tool listed. */
  joins: number;
};

const START_TIMEOUT_MS = 30_000;
const NOT_REGISTRY = 'n/a (no registry on the call path)';

function echo(client: Client, name: string): () => Promise<unknown> {
  return async () => {
    const result = await client.callTool({ name, arguments: { text: 'hello' } });
    if (result.isError) throw new Error(`${name}: ${JSON.stringify(result.content)}`);
  };
}

async function startGatewayProcess(distDir: string, registryUrl: string): Promise<{ proc: Spawned; url: string }> {
  const proc = spawnTracked(process.execPath, [join(distDir, 'plugin', 'cli.js'), 'gateway', '--registry', registryUrl, '--port', '0']);
  const line = await proc.waitForLine(/gateway listening on (http:\/\/\S+\/mcp)/, START_TIMEOUT_MS);
  return { proc, url: /gateway listening on (http:\/\/\S+\/mcp)/.exec(line.text)![1]! };
}

export async function gatewayRows(
  distDir: string,
  launcher: RegistryLauncher,
  sizes: GatewaySizes,
  workDir: string,
  log: (line: string) => void,
): Promise<Row[]> {
  const registry = await launcher.start(join(mkdtempSync(join(workDir, 'gateway-')), 'registry.db'));
  const agents: AgentProcess[] = [];
  let gateway: { proc: Spawned; url: string } | undefined;
  try {
    log('gateway: provider and gateway');
    const provider = await startAgent(distDir, { name: 'bench-provider', provides: 'bench_echo', registryUrl: registry.url });
    agents.push(provider);
    gateway = await startGatewayProcess(distDir, registry.url);
    const direct = await connect(provider.mcpUrl, 'default');
    const through = await connect(gateway.url, 'default');
    // One provider of `echo` so far: the gateway offers it under its own name.
    const direct_ = echo(direct, 'echo');
    const through_ = echo(through, 'echo');
    // A fresh gateway runs its hot path cold (unoptimised): a longer warm-up of both paths before the timed rounds.
    await timed(direct_, 2000, sizes.concurrency, sizes.maxMs, 0);
    await timed(through_, 2000, sizes.concurrency, sizes.maxMs, 0);
    const rounds = { direct: [] as number[], gateway: [] as number[] };
    for (let round = 0; round < sizes.rounds; round++) {
      log(`gateway: calls/s round ${round + 1}/${sizes.rounds}`);
      rounds.direct.push((await timed(direct_, sizes.calls, sizes.concurrency, sizes.maxMs)).perSecond);
      rounds.gateway.push((await timed(through_, sizes.calls, sizes.concurrency, sizes.maxMs)).perSecond);
    }
    await direct.close();

    log(`gateway: ${sizes.joins} agents joining`);
    // Each joining agent also calls its tool `echo`: the gateway then names every `echo` after its capability.
    const listedMs: number[] = [];
    const afterRegisteredMs: number[] = [];
    for (let i = 0; i < sizes.joins; i++) {
      const capability = `bench_join_${i}`;
      const listed = new Promise<number>((resolve) => {
        through.setNotificationHandler(ToolListChangedNotificationSchema, async () => {
          const { tools } = await through.listTools();
          if (tools.some((t) => t.name === capability)) resolve(performance.now());
        });
      });
      const joined = await startAgent(distDir, { name: `bench-join-${i}`, provides: capability, registryUrl: registry.url });
      agents.push(joined);
      const at = await Promise.race([listed, new Promise<number>((resolve) => setTimeout(() => resolve(Number.NaN), START_TIMEOUT_MS))]);
      listedMs.push(at - joined.proc.spawnedAt);
      afterRegisteredMs.push(at - joined.registered!.at);
    }
    await through.close();

    const median = (values: number[]) => percentile(values, 0.5);
    const directRate = median(rounds.direct);
    const gatewayRate = median(rounds.gateway);
    const overhead = (directRate - gatewayRate) / directRate;
    const row = (r: Omit<Row, 'section' | 'go' | 'ratio'>): Row => ({ section: 'gateway', go: NOT_REGISTRY, ratio: '—', ...r });
    return [
      row({
        metric: `tool calls/s through the gateway vs straight to the agent (${sizes.concurrency} in flight)`,
        ours: `${num(gatewayRate)}/s vs ${num(directRate)}/s`,
        seed: '—',
        met: '—',
        note:
          `median of ${sizes.rounds} alternating rounds (gateway ${rounds.gateway.map((r) => num(r)).join(', ')}/s; direct ${rounds.direct.map((r) => num(r)).join(', ')}/s), ` +
          `each up to ${num(sizes.calls)} calls or ${sizes.maxMs / 1000} s of the bench agent's echo tool; the same SDK Client (Streamable HTTP, default session) in the bench process`,
      }),
      row({
        metric: 'gateway overhead (calls/s lost to the extra hop)',
        ours: `${(overhead * 100).toFixed(1)} %`,
        seed: 'goal ≤ 20 %',
        met: check(overhead <= 0.2),
      }),
      row({
        metric: "agent start → its tool in the gateway's list",
        ours: `${ms(median(listedMs))} / ${ms(Math.max(...listedMs))}`,
        seed: 'goal < 1 s',
        met: check(Math.max(...listedMs) < 1000),
        note: `p50 / max of ${listedMs.length} agents: spawn → the tools/list after the gateway's list_changed shows the tool (node boot included); registered → listed p50 ${ms(median(afterRegisteredMs))}`,
      }),
    ];
  } finally {
    await gateway?.proc.stop('SIGTERM', 5000);
    for (const agent of agents) await agent.proc.stop('SIGTERM', 5000);
    await registry.stop();
  }
}
