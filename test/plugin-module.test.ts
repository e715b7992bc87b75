// End to end under a real PM2 7 daemon in its own PM2_HOME: the packed package installed as the module
// "mesh", configured with `pm2 set`, the example fleet from ecosystem.config.js, the bus marking exits,
// logs, a port move, and the data file across `pm2 kill`. One install for the file, so tests run in order.
import test from 'ava';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cli, ECOSYSTEM, EXAMPLE_APPS, healthyAgentOf, jlist, listAgents, packTarball, pm2, pm2Home, type ListedAgent } from './support/pm2.js';
import { freePort } from './support/processes.js';
import { waitFor } from './support/wait.js';

const { home, kill } = pm2Home();
let port = 0;
let movedPort = 0;

const registryUrl = () => `http://127.0.0.1:${port}`;

async function health(url: string): Promise<boolean> {
  const response = await fetch(`${url}/health`, { signal: AbortSignal.timeout(1000) });
  return response.ok;
}

async function agentById(id: string): Promise<ListedAgent> {
  const response = await fetch(`${registryUrl()}/agents/${id}`, { signal: AbortSignal.timeout(2000) });
  return (await response.json()) as ListedAgent;
}

/** Every example app has a healthy agent registered by its current process (else throws, naming those that lag). */
async function fleetHealthy(): Promise<true> {
  const [apps, agents] = await Promise.all([jlist(home), listAgents(home)]);
  const lagging = EXAMPLE_APPS.filter((name) => {
    const app = apps.find((a) => a.name === name && !a.module);
    return !(app && app.status === 'online' && healthyAgentOf(agents, app));
  });
  if (lagging.length) throw new Error(`not healthy yet: ${lagging.join(', ')}; agents ${JSON.stringify(agents.map((a) => [a.id, a.status]))}`);
  return true;
}

/** Polls one agent until it is unhealthy; the ms it took from `since`. */
function untilUnhealthy(id: string, since: number): Promise<{ agent: ListedAgent; ms: number }> {
  return waitFor(
    `${id} unhealthy`,
    async () => {
      const agent = await agentById(id);
      return agent.status === 'unhealthy' ? { agent, ms: Date.now() - since } : undefined;
    },
    30_000,
    10,
  );
}

test.before(async (t) => {
  t.timeout(600_000);
  port = await freePort();
  movedPort = await freePort();
  const packDir = join(home, 'pack');
  mkdirSync(packDir);
  const tarball = await packTarball(packDir);
  // Set before install: PM2 keeps it, and the package's defaults fill only the keys not set yet.
  const set = await pm2(home, ['set', 'mesh:port', String(port)]);
  if (set.code !== 0) throw new Error(`pm2 set failed: ${set.stdout}${set.stderr}`);
  const install = await pm2(home, ['install', tarball], { timeoutMs: 580_000 });
  if (install.code !== 0) throw new Error(`pm2 install ${tarball} failed:\n${install.stdout}\n${install.stderr}`);
  t.log(`pm2 install <abs tarball> (npm fetches the dependencies): ${install.ms} ms`);
});

test.after.always(async () => {
  await kill();
});

test.serial('the module runs the registry inside PM2, on the port given by pm2 set', async (t) => {
  t.timeout(60_000);
  t.truthy(await waitFor(`the registry answering on ${registryUrl()}`, () => health(registryUrl()), 20_000));
  const module = (await jlist(home)).find((p) => p.name === 'mesh');
  t.truthy(module?.module, 'listed by PM2 as a module');
  t.is(module?.status, 'online');
  t.true(existsSync(join(home, 'modules', 'mesh', 'node_modules', 'mesh', 'package.json')));

  const logs = await pm2(home, ['logs', 'mesh', '--nostream', '--lines', '50']);
  t.regex(logs.stdout, new RegExp(`registry listening on http://127\\.0\\.0\\.1:${port}`));
  t.regex(logs.stdout, new RegExp(`data file ${home.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/mesh/registry\\.db`));

  // No --registry: the CLI finds the module's port in this PM2_HOME.
  const status = await cli(home, ['status', '--json']);
  t.is(status.code, 0, status.stderr);
  const parsed = JSON.parse(status.stdout) as { registry: { url: string; reachable: boolean }; pm2: { module: { status: string } } };
  t.is(parsed.registry.url, registryUrl());
  t.true(parsed.registry.reachable);
  t.is(parsed.pm2.module.status, 'online');
});

test.serial('pm2 start ecosystem.config.js brings every example agent up healthy', async (t) => {
  t.timeout(120_000);
  const started = await pm2(home, ['start', ECOSYSTEM], { env: { MESH_PORT: String(port) } });
  t.is(started.code, 0, started.stderr);
  t.true(await waitFor('every example agent healthy', fleetHealthy, 90_000, 500));
  const agents = await listAgents(home);
  for (const name of EXAMPLE_APPS) {
    const agent = agents.find((a) => a.metadata.pm2_name === name && a.status === 'healthy');
    t.truthy(agent, `${name} registered healthy with its PM2 identity`);
    t.is(typeof agent?.metadata.pm_id, 'number');
  }
});

test.serial('a chained call through pm2-mesh call: planner → weather → time-service', async (t) => {
  t.timeout(60_000);
  const result = await cli(home, ['call', 'trip_planning', '{"city":"Lisbon"}', '--json']);
  t.is(result.code, 0, result.stderr);
  const { provider, result: call } = JSON.parse(result.stdout) as {
    provider: { agent_id: string; tool: string };
    result: { content: { type: string; text: string }[] };
  };
  t.regex(provider.agent_id, /^planner-/);
  t.is(provider.tool, 'plan_trip');
  const plan = JSON.parse(call.content[0]!.text) as {
    weather: { source: string; observed_at: string; clock: string };
    served_by: { weather: string };
  };
  t.is(plan.weather.source, 'weather-fast', 'the +fast provider is preferred');
  t.is(plan.weather.clock, 'time_service', 'stamped by time-service, the third hop');
  t.regex(plan.weather.observed_at, /^\d{4}-\d\d-\d\dT/);
  t.regex(plan.served_by.weather, /^weather-fast-/);

  const hello = await cli(home, ['call', 'greeter/hello', '{"name":"Ann"}']);
  t.is(hello.code, 0, hello.stderr);
  t.regex(hello.stdout, /^Hello Ann, it is \d{4}-/);
});

test.serial('pm2 stop marks the agent unhealthy at once, consumers fail over, pm2 restart makes it healthy again', async (t) => {
  t.timeout(120_000);
  const app = (await jlist(home)).find((p) => p.name === 'weather-fast')!;
  const before = healthyAgentOf(await listAgents(home), app)!;
  t.truthy(before);

  const since = Date.now();
  const stop = await pm2(home, ['stop', 'weather-fast']);
  t.is(stop.code, 0, stop.stderr);
  const seen = await untilUnhealthy(before.id, since);
  t.truthy(seen, 'unhealthy after pm2 stop');
  t.log(
    `pm2 stop weather-fast → unhealthy: ${seen!.ms} ms after the command started (the pm2 CLI itself took ${stop.ms} ms); reason "${seen!.agent.status_reason}"`,
  );
  t.is(seen!.agent.status, 'unhealthy');
  // SIGINT first makes the agent unregister itself ("unregistered"); the bus's "process exit" covers the rest.
  t.true(['unregistered', 'process exit'].includes(seen!.agent.status_reason ?? ''), `reason ${seen!.agent.status_reason}`);

  const deps = await cli(home, ['deps', 'planner', '--json']);
  t.is(deps.code, 0, deps.stderr);
  const weather = (
    JSON.parse(deps.stdout) as { dependency_resolutions: { capability: string; provider_agent_id: string }[] }
  ).dependency_resolutions.find((d) => d.capability === 'weather');
  t.regex(weather?.provider_agent_id ?? '', /^weather-precise-/, 'the planner now resolves weather to the other provider');
  const failover = await cli(home, ['call', 'trip_planning', '{"city":"Lisbon"}', '--json']);
  t.is(failover.code, 0, failover.stderr);
  const plan = JSON.parse((JSON.parse(failover.stdout) as { result: { content: { text: string }[] } }).result.content[0]!.text) as {
    weather: { source: string };
  };
  t.is(plan.weather.source, 'weather-precise', 'the same call is served by the fallback');

  const restartedAt = Date.now();
  const restart = await pm2(home, ['restart', 'weather-fast']);
  t.is(restart.code, 0, restart.stderr);
  const back = await waitFor(
    'a healthy weather-fast agent again',
    async () => {
      const current = (await jlist(home)).find((p) => p.name === 'weather-fast');
      return current && current.status === 'online' ? healthyAgentOf(await listAgents(home), current) : undefined;
    },
    60_000,
    100,
  );
  t.truthy(back, 'a healthy weather-fast agent again');
  t.log(`pm2 restart weather-fast → healthy again: ${Date.now() - restartedAt} ms`);
});

test.serial('a crash (kill -9) marks the agent unhealthy with reason "process exit" through the PM2 bus', async (t) => {
  t.timeout(120_000);
  const app = (await jlist(home)).find((p) => p.name === 'time-service')!;
  const agent = healthyAgentOf(await listAgents(home), app)!;
  t.truthy(agent);
  const since = Date.now();
  process.kill(app.pid, 'SIGKILL');
  const seen = await untilUnhealthy(agent.id, since);
  t.truthy(seen, 'unhealthy after kill -9');
  t.log(`kill -9 time-service → unhealthy: ${seen!.ms} ms (heartbeat timeout would take up to 20 s)`);
  t.is(seen!.agent.status, 'unhealthy');
  t.is(seen!.agent.status_reason, 'process exit');

  const events = await cli(home, ['events', '--json', '--agent', agent.id, '--type', 'unhealthy']);
  t.is(events.code, 0, events.stderr);
  const [event] = (JSON.parse(events.stdout) as { events: { data: { reason?: string } }[] }).events;
  t.is(event?.data.reason, 'process exit');

  t.true(await waitFor('PM2 restarting it and it registering again', fleetHealthy, 60_000, 500));
});

test.serial("pm2 logs shows the agents' heartbeat and topology lines and the module's registrations", async (t) => {
  t.timeout(60_000);
  const time = await pm2(home, ['logs', 'time-service', '--nostream', '--lines', '200']);
  t.regex(time.stdout, /\[mesh\] time-service-[0-9a-f]{8} heartbeat /);
  const planner = await pm2(home, ['logs', 'planner', '--nostream', '--lines', '200']);
  t.regex(planner.stdout, /\[mesh\] planner-[0-9a-f]{8} topology [0-9a-f]{8} /);
  const module = await pm2(home, ['logs', 'mesh', '--nostream', '--lines', '200']);
  t.regex(module.stdout, /register weather-fast-[0-9a-f]{8}/);
  t.regex(module.stdout, /time-service \(pm_id \d+\) exit: marked unhealthy time-service-[0-9a-f]{8}/);
  // log_date_format (package.json apps, ecosystem.config.js): every line of the files starts with its time.
  for (const app of ['mesh', 'time-service']) {
    const lines = readFileSync(join(home, 'logs', `${app}-out.log`), 'utf8')
      .trim()
      .split('\n');
    t.true(
      lines.every((l) => /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} [+-]\d\d:\d\d: /.test(l)),
      `${app}: ${lines.slice(0, 3).join(' | ')}`,
    );
  }
});

test.serial('pm2 set mesh:port moves the registry, which keeps its data; the fleet follows with --update-env', async (t) => {
  t.timeout(120_000);
  const ids = (await listAgents(home)).map((a) => a.id);
  const since = Date.now();
  const set = await pm2(home, ['set', 'mesh:port', String(movedPort)]);
  t.is(set.code, 0, set.stderr);
  const moved = await waitFor(`the registry answering on ${movedPort}`, () => health(`http://127.0.0.1:${movedPort}`), 30_000, 20);
  t.truthy(moved, `registry answers on ${movedPort}`);
  t.log(`pm2 set mesh:port → serving on the new port ${Date.now() - since} ms after the command started (the pm2 CLI took ${set.ms} ms)`);
  await t.throwsAsync(() => health(registryUrl()), undefined, 'the old port is closed');
  port = movedPort;

  const after = await listAgents(home); // found through the module's new port in PM2_HOME
  for (const id of ids)
    t.truthy(
      after.find((a) => a.id === id),
      `${id} kept across the module restart`,
    );

  const restart = await pm2(home, ['restart', ECOSYSTEM, '--update-env'], { env: { MESH_PORT: String(port) } });
  t.is(restart.code, 0, restart.stderr);
  t.true(await waitFor('the fleet registered on the new port', fleetHealthy, 90_000, 500));
});

test.serial("the registry's data survives pm2 kill: a fresh daemon relaunches the module, resurrect brings the fleet back", async (t) => {
  t.timeout(180_000);
  t.is((await pm2(home, ['save'])).code, 0);
  const ids = (await listAgents(home)).map((a) => a.id);
  t.is((await pm2(home, ['kill'])).code, 0);
  await t.throwsAsync(() => health(registryUrl()), undefined, 'registry gone with the daemon');

  const since = Date.now();
  const resurrect = await pm2(home, ['resurrect']);
  t.is(resurrect.code, 0, resurrect.stderr);
  t.truthy(await waitFor('the module relaunched by the new daemon', () => health(registryUrl()), 30_000, 50));
  t.log(`pm2 resurrect → registry serving again: ${Date.now() - since} ms`);
  const restored = await listAgents(home);
  for (const id of ids)
    t.truthy(
      restored.find((a) => a.id === id),
      `${id} restored from ${home}/mesh/registry.db`,
    );
  t.is((await jlist(home)).filter((p) => p.name === 'mesh').length, 1, 'one module process, not two');
  t.true(await waitFor('the resurrected fleet healthy', fleetHealthy, 90_000, 500));
});

test.serial('pm2 uninstall mesh stops the registry cleanly and keeps its data file', async (t) => {
  t.timeout(60_000);
  const uninstall = await pm2(home, ['uninstall', 'mesh']);
  t.is(uninstall.code, 0, uninstall.stderr);
  await t.throwsAsync(() => health(registryUrl()), undefined, 'registry stopped');
  t.regex(readFileSync(join(home, 'logs', 'mesh-out.log'), 'utf8'), /SIGINT: closing the registry/);
  t.true(existsSync(join(home, 'mesh', 'registry.db')));
});
