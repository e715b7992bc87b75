// Discovery rows: how fast a consumer learns of a new provider, and of a provider killed with SIGKILL — standalone
// (heartbeat timeout) on our registry and on MCP Mesh's Go registry (same agents), and under PM2 (bus watcher).
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { startAgent, untilNotHealthy, waitForTopology, type AgentProcess } from './agents.js';
import { runPm2Discovery, type Pm2Discovery } from './pm2-discovery.js';
import { IDLE_READ_S } from './processes.js';
import type { RegistryLauncher } from './registries.js';
import { bytes, ms, num } from './stats.js';
import { check, ratio, type Row } from './table.js';

interface Standalone {
  /** A provider's POST /heartbeat sent → the consumer's topology line naming it. */
  propagationMs: number;
  /** That provider's DELETE /agents/:id sent → the consumer's topology line without it. */
  leaveMs: number;
  /** Provider spawned → consumer rewired. */
  spawnToWiredMs: number;
  /** kill -9 → the registry lists the provider as not healthy. */
  detectedMs: number;
  /** kill -9 → the consumer's topology line without it. */
  rewiredMs: number;
}

type Outcome<T> = T | { unavailable: string };

const FAILURE_TIMEOUT_MS = 90_000;

async function standalone(
  distDir: string,
  launcher: RegistryLauncher,
  workDir: string,
  log: (line: string) => void,
  nodeFlags: readonly string[],
): Promise<Standalone> {
  const registry = await launcher.start(join(mkdtempSync(join(workDir, 'discovery-')), 'registry.db'));
  const agents: AgentProcess[] = [];
  try {
    log(`discovery (${launcher.label}): propagation`);
    const consumer = await startAgent(distDir, {
      name: 'disc-consumer',
      provides: 'disc_consumer',
      dependsOn: 'late_cap',
      registryUrl: registry.url,
      nodeFlags,
    });
    agents.push(consumer);
    await waitForTopology(consumer, /drive\.late_cap→unresolved/, 30_000);
    // The registration is sent from here, so that its moment is known exactly (a provider's own log line reaches us
    // through another pipe, as late as the consumer's).
    const ghost = 'disc-ghost-0000a0a0';
    let from = consumer.proc.lines.length;
    const postedAt = performance.now();
    const response = await fetch(`${registry.url}/heartbeat`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        agent_id: ghost,
        name: 'disc-ghost',
        version: '1.0.0',
        agent_type: 'mcp_agent',
        http_host: '127.0.0.1',
        http_port: 9,
        tools: [{ function_name: 'echo', capability: 'late_cap', version: '1.0.0', tags: [] }],
      }),
    });
    await response.arrayBuffer();
    const ghostWired = await waitForTopology(consumer, new RegExp(`drive\\.late_cap→${ghost}/`), 30_000, from);
    const propagationMs = ghostWired.at - postedAt;
    from = consumer.proc.lines.length;
    const deletedAt = performance.now();
    await (await fetch(`${registry.url}/agents/${ghost}`, { method: 'DELETE' })).arrayBuffer();
    const ghostGone = await waitForTopology(consumer, /drive\.late_cap→unresolved/, 30_000, from);
    const leaveMs = ghostGone.at - deletedAt;

    const provider = await startAgent(distDir, { name: 'disc-provider', provides: 'late_cap', registryUrl: registry.url, nodeFlags });
    agents.push(provider);
    const wired = await waitForTopology(consumer, new RegExp(`drive\\.late_cap→${provider.id}/`), 30_000);
    const spawnToWiredMs = wired.at - provider.proc.spawnedAt;

    log(`discovery (${launcher.label}): kill -9 of the provider (waits for the heartbeat timeout)`);
    from = consumer.proc.lines.length;
    const killedAt = performance.now();
    process.kill(provider.proc.pid, 'SIGKILL');
    const [detectedMs, rewired] = await Promise.all([
      untilNotHealthy(registry.url, provider.id, killedAt, FAILURE_TIMEOUT_MS),
      waitForTopology(consumer, /drive\.late_cap→unresolved/, FAILURE_TIMEOUT_MS, from),
    ]);
    return { propagationMs, leaveMs, spawnToWiredMs, detectedMs, rewiredMs: rewired.at - killedAt };
  } finally {
    for (const agent of agents) await agent.proc.stop('SIGTERM', 5000);
    await registry.stop();
  }
}

async function attempt<T>(label: string, run: () => Promise<T>, log: (line: string) => void): Promise<Outcome<T>> {
  try {
    return await run();
  } catch (error) {
    const message = (error as Error).message.split('\n')[0]!;
    log(`discovery (${label}) failed: ${message}`);
    return { unavailable: `failed: ${message}` };
  }
}

export async function discoveryRows(
  distDir: string,
  root: string,
  ours: RegistryLauncher,
  go: RegistryLauncher | { unavailable: string },
  workDir: string,
  log: (line: string) => void,
  nodeFlags: readonly string[] = [],
): Promise<Row[]> {
  const our = await attempt('ours', () => standalone(distDir, ours, workDir, log, nodeFlags), log);
  const theirs = 'unavailable' in go ? go : await attempt('Go', () => standalone(distDir, go, workDir, log, nodeFlags), log);
  const pm2 = await attempt('PM2', () => runPm2Discovery(distDir, root, log, nodeFlags), log);

  const o = 'unavailable' in our ? undefined : our;
  const g = 'unavailable' in theirs ? undefined : theirs;
  const why = (x: Outcome<unknown>) => ('unavailable' in (x as object) ? (x as { unavailable: string }).unavailable : '');
  const row = (metric: string, seed: string, pick: (s: Standalone) => number, goal: number, note: string): Row => ({
    section: 'discovery',
    metric,
    ours: o ? ms(pick(o)) : why(our),
    seed,
    go: g ? ms(pick(g)) : why(theirs),
    ratio: o && g ? ratio(pick(o), pick(g)) : '—',
    met: check(o ? pick(o) < goal : undefined),
    note,
  });
  const p = 'unavailable' in pm2 ? undefined : (pm2 as Pm2Discovery);
  return [
    row(
      'propagation: provider registers → consumer rewired',
      '< 1 s',
      (s) => s.propagationMs,
      1000,
      `POST /heartbeat of a new provider sent → the consumer's topology line naming it. Our registry pushes the change through the topology long-poll; MCP Mesh's has none, so the same agents learn it from a HEAD 202 at their next heartbeat (every 5 s). A provider process spawned → consumer rewired: ${o ? ms(o.spawnToWiredMs) : '—'} (ours), ${g ? ms(g.spawnToWiredMs) : '—'} (Go)`,
    ),
    row(
      'propagation: provider unregisters (DELETE) → consumer rewired',
      '< 1 s',
      (s) => s.leaveMs,
      1000,
      "a graceful stop: DELETE /agents/:id sent → the consumer's topology line without it",
    ),
    row(
      'failure detection, standalone: kill -9 → registry marks it unhealthy',
      '< 20 s (issue)',
      (s) => s.detectedMs,
      20_000,
      "both registries with their default 20 s heartbeat timeout (MCP Mesh checks every 10 s; ours at each agent's own deadline)",
    ),
    row(
      'failure detection, standalone: kill -9 → consumer rewired',
      '< 20 s (issue)',
      (s) => s.rewiredMs,
      20_000,
      "the consumer's topology line without the dead provider",
    ),
    {
      section: 'discovery',
      metric: 'failure detection under PM2: kill -9 → registry marks it unhealthy',
      ours: p ? ms(p.detectedMs) : why(pm2),
      seed: '< 1 s (issue)',
      go: 'n/a (MCP Mesh has no PM2 module)',
      ratio: '—',
      met: check(p ? p.detectedMs < 1000 : undefined),
      note: p
        ? `the module's PM2 bus watcher; the consumer (a PM2 app) logged its rewiring ${ms(p.rewiredMs)} after the kill (read from its PM2 log file, polled every 20 ms); module installed from ${p.installedFrom} in ${ms(p.installMs)}`
        : why(pm2),
    },
    {
      section: 'discovery',
      metric: "install: the module's production dependency tree (packages / on disk)",
      ours: p ? `${num(p.dependencies.packages)} / ${bytes(p.dependencies.bytes)}` : why(pm2),
      seed: '—',
      go: 'n/a (one binary)',
      ratio: '—',
      met: '—',
      note: p
        ? `PM2_HOME/modules/mesh/node_modules after \`pm2 install\` of the packed tarball; copies of pm2 in it: ${p.dependencies.pm2Copies}`
        : why(pm2),
    },
    {
      section: 'discovery',
      metric: 'install: `pm2 install` of the packed tarball',
      ours: p ? ms(p.installMs) : why(pm2),
      seed: '—',
      go: 'n/a',
      ratio: '—',
      met: '—',
      note: 'isolated PM2_HOME; npm fetches the dependencies (its cache is warm after the first run on a machine)',
    },
    {
      section: 'discovery',
      metric: 'registry RSS as PM2 runs the module (empty, no agent)',
      ours: p ? bytes(p.moduleRss) : why(pm2),
      seed: 'goal ≤ 45 MB',
      go: 'n/a',
      ratio: '—',
      met: check(p ? p.moduleRss <= 45 * 1024 * 1024 : undefined),
      note: p
        ? `read ${IDLE_READ_S} s after it served (${bytes(p.moduleRssSoon)} at 2 s); node_args from the module's package.json: ${p.moduleNodeArgs || 'none'}; installed at ${p.modulePath} (${p.modulePath.length} characters)`
        : why(pm2),
    },
    {
      section: 'discovery',
      metric: 'agent RSS under PM2 (pm2 monit), idle: started as ecosystem.config.js does / with PM2 defaults',
      ours: p ? `${bytes(p.agentRss.ecosystem)} / ${bytes(p.agentRss.pm2Defaults)}` : why(pm2),
      seed: 'goal ≤ 50 MB',
      go: 'n/a',
      ratio: '—',
      met: check(p ? p.agentRss.ecosystem <= 50 * 1024 * 1024 : undefined),
      note: p
        ? `the bench provider app, read ${IDLE_READ_S} s after registering; ecosystem: the module's node_args, --no-pmx, --disable-source-map-support; PM2 defaults: a plain pm2 start (PM2 loads its @pm2/io and turns source maps on), no flags`
        : why(pm2),
    },
  ];
}
