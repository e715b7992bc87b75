// The registry at the scale target, as a real process with a data file: 10 000 agents × 10 tools (100 000
// capabilities over 1 000 names, 2 dependencies each), then HEAD heartbeats under load, then a restart.
// Figures are printed, not asserted (the machine is shared); what is asserted is that nothing was lost or refused.
// MESH_SCALE_AGENTS=1000 runs it smaller.
import test from 'ava';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { registrationBodies, agentId, type Fleet } from '../bench/payloads.js';
import { rotate, runLoad, statusSummary } from '../bench/load.js';
import { tempDir } from './support/processes.js';
import { getJson, spawnRegistry } from './support/registry.js';

const AGENTS = Number(process.env.MESH_SCALE_AGENTS ?? 10_000);

function rssMiB(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Math.round(Number(match[1]) / 1024) : NaN;
}

test(`${AGENTS} agents with 10 tools each: registration, HEAD load, restart`, async (t) => {
  t.timeout(900_000);
  const { dir, remove } = tempDir();
  t.teardown(remove);
  const dataFile = join(dir, 'scale.db');
  const fleet: Fleet = { agents: AGENTS, toolsPerAgent: 10, capabilityPool: Math.max(10, AGENTS / 10) };
  // Thousands of new agents from one address as fast as possible: the flood limit is off for this measurement.
  const registry = await spawnRegistry({ args: ['--data-file', dataFile, '--timeout', '600', '--health-interval', '5', '--registration-rate', '0'] });
  t.teardown(() => void registry.stop('SIGKILL'));

  const bodies = registrationBodies(0, AGENTS, fleet);
  const posts = await runLoad({
    url: registry.url,
    method: 'POST',
    connections: 16,
    amount: AGENTS,
    limitS: 800,
    next: rotate(bodies.map((body) => ({ path: '/heartbeat', body }))),
  });
  t.is(posts.ok, AGENTS, statusSummary(posts));
  const health = (await getJson(registry.url, '/health')).body;
  t.is(health.agents.healthy, AGENTS);
  t.is(health.capabilities, fleet.capabilityPool);
  t.log(
    `POST /heartbeat (new agents, each durable before its 200): ${Math.round(posts.perSecond)}/s over ${posts.seconds.toFixed(1)} s, 16 connections`,
  );
  t.log(`registry RSS with ${AGENTS} agents / ${AGENTS * 10} capabilities: ${rssMiB(registry.pid)} MiB`);

  const ids = Array.from({ length: AGENTS }, (_, i) => ({ path: `/heartbeat/${agentId(i)}` }));
  const heads = await runLoad({ url: registry.url, method: 'HEAD', connections: 50, durationS: 5, next: rotate(ids) });
  t.deepEqual(
    Object.keys(heads.statuses).filter((code) => code !== '200' && code !== '202'),
    [],
    statusSummary(heads),
  );
  t.log(`HEAD /heartbeat/:id: ${Math.round(heads.perSecond)}/s over ${heads.seconds.toFixed(1)} s, 50 connections (${statusSummary(heads)})`);

  const started = Date.now();
  const { body: agents } = await getJson(registry.url, '/agents');
  t.is(agents.count, AGENTS);
  t.log(`GET /agents (${AGENTS} agents): ${Date.now() - started} ms`);

  t.is(await registry.stop('SIGTERM'), 0);
  t.log(`data file after SIGTERM: ${(statSync(dataFile).size / 1024 / 1024).toFixed(1)} MiB`);
  const restartStarted = Date.now();
  const again = await spawnRegistry({ args: ['--data-file', dataFile] });
  t.teardown(() => void again.stop('SIGKILL'));
  t.log(`restart to listening with ${AGENTS} agents: ${Date.now() - restartStarted} ms`);
  t.is((await getJson(again.url, '/health')).body.agents.unknown, AGENTS);
  t.is(await again.stop('SIGTERM'), 0);
});
