// PM2 cluster mode and zero-downtime, with a real PM2 daemon in its own home and the registry as its module (the bus
// watcher included): a provider started with -i 2 is one agent served by both workers; a consumer calls it in a
// loop while one worker is killed with -9 and then `pm2 reload` replaces both: no call fails, the agent never turns
// unhealthy, and the restarts leave no dead agents behind.
import test from 'ava';
import { callInLoop } from './support/mesh.js';
import { connectClient, examplePath, startAgent } from './support/agents.js';
import { cli, jlist, listAgents, pm2, pm2Home, type ListedAgent } from './support/pm2.js';
import { freePort, stopAll } from './support/processes.js';
import { sleep, waitFor } from './support/wait.js';

const { home, kill } = pm2Home('mesh-cluster-');
test.after.always(async () => {
  await stopAll();
  await kill();
});

type ClusterAgent = ListedAgent & { workers?: { pid: number; pm_id: number }[] };

test('cluster mode: kill -9 of one worker, then pm2 reload, under a consumer calling in a loop: no failed call but one the killed worker was running', async (t) => {
  t.timeout(300_000);
  const port = await freePort();
  const install = await cli(home, ['install', '--port', String(port)]);
  t.is(install.code, 0, install.stderr);
  const registryUrl = `http://127.0.0.1:${port}`;
  await waitFor(
    'the module registry',
    () =>
      fetch(`${registryUrl}/health`).then(
        (r) => r.ok,
        () => false,
      ),
    60_000,
  );

  // An app started by hand gets its credential from the module's secret (ecosystem apps get theirs by themselves).
  const credential = async (agent: string, capability: string) => {
    const made = await cli(home, ['token', 'create', '--agent', agent, '--capability', capability]);
    if (made.code !== 0) throw new Error(`token create: ${made.stderr}`);
    return made.stdout.trim();
  };
  const env = {
    MCP_MESH_REGISTRY_URL: registryUrl,
    MCP_MESH_HTTP_PORT: '0',
    MCP_MESH_HEALTH_INTERVAL: '1',
    MCP_MESH_REGISTRY_TOKEN: await credential('time-service', 'time_service'),
  };
  const start = await pm2(
    home,
    [
      'start',
      examplePath('time-service'),
      '--name',
      'time-service',
      '-i',
      '2',
      '--wait-ready',
      '--listen-timeout',
      '15000',
      '--kill-timeout',
      '3000',
    ],
    { env },
  );
  t.is(start.code, 0, start.stderr);
  const providers = async () => ((await listAgents(home, ['--all'])) as ClusterAgent[]).filter((a) => a.name === 'time-service');
  const [agent] = await waitFor(
    'one time-service agent served by two workers',
    async () => {
      const found = await providers();
      return found.length === 1 && found[0]!.status === 'healthy' && found[0]!.workers?.length === 2 ? found : undefined;
    },
    60_000,
    250,
  );
  t.log(`cluster agent ${agent!.id}: workers ${JSON.stringify(agent!.workers)}`);

  const greeter = await startAgent('greeter', {
    MCP_MESH_REGISTRY_URL: registryUrl,
    MCP_MESH_HEALTH_INTERVAL: '1',
    MCP_MESH_REGISTRY_TOKEN: await credential('greeter', 'greeting'),
  });
  await greeter.waitForLine(new RegExp(`topology \\w+ hello\\.time_service→${agent!.id}/now`), 30_000);
  const client = await connectClient(greeter.mcpUrl);
  t.teardown(() => client.close());
  const loop = callInLoop(
    client,
    'hello',
    { name: 'Ann' },
    (result) => {
      const text = (result.content[0] as { text: string }).text;
      // The greeter says "some time" when it has no time_service: that counts as a failed call too.
      if (result.isError || !/^Hello Ann, it is \d{4}-/.test(text)) throw new Error(text);
      return text;
    },
    5,
  );

  await sleep(1500);
  const workers = (await jlist(home)).filter((p) => p.name === 'time-service');
  t.is(workers.length, 2);
  const victim = workers[0]!;
  const killedAt = Date.now();
  process.kill(victim.pid, 'SIGKILL');
  await waitFor(
    'PM2 to restart the killed worker and it to register',
    async () => {
      const now = (await jlist(home)).filter((p) => p.name === 'time-service' && p.status === 'online');
      const [served] = await providers();
      return (
        now.length === 2 &&
        !now.some((p) => p.pid === victim.pid) &&
        served?.workers?.length === 2 &&
        served.workers.every((w) => now.some((p) => p.pid === w.pid))
      );
    },
    60_000,
    250,
  );
  await sleep(1000);

  const reloadAt = Date.now();
  const reload = await pm2(home, ['reload', 'time-service'], { env });
  t.is(reload.code, 0, reload.stderr);
  await sleep(2000);
  const outcomes = await loop.stop();

  const failed = outcomes.filter((o) => o.error);
  t.log(`${outcomes.length} calls, ${failed.length} failed, across kill -9 of pid ${victim.pid} and pm2 reload (${reload.ms} ms)`);
  t.true(outcomes.length > 50, `enough calls (${outcomes.length})`);
  // kill -9 can land while the victim runs a call: that one is not run again (it may have run), by the rule that a
  // call never runs twice. Nothing else may fail, and nothing at all across the reload.
  const started = failed.filter((o) => o.at >= killedAt - 1000 && o.at < reloadAt && /closed while it ran the call/.test(o.error ?? ''));
  t.deepEqual(
    failed.filter((o) => !started.includes(o)).map((o) => o.error),
    [],
    'no call failed but one the killed worker had started',
  );
  t.true(started.length <= 1, `${started.length} started calls failed`);

  // One agent throughout: the same id across restart and reload, never unhealthy, now served by the new workers.
  const [after] = await providers();
  t.is(after!.id, agent!.id);
  t.is(after!.status, 'healthy');
  const current = (await jlist(home))
    .filter((p) => p.name === 'time-service')
    .map((p) => p.pid)
    .sort();
  t.deepEqual(after!.workers!.map((w) => w.pid).sort(), current);
  const events = await cli(home, ['events', '--json', '--agent', agent!.id, '--type', 'unhealthy']);
  t.is(events.code, 0, events.stderr);
  t.deepEqual((JSON.parse(events.stdout) as { events: unknown[] }).events, [], 'the agent never turned unhealthy');

  // What a user sees: one line for the app, its two workers.
  const list = await cli(home, ['list']);
  t.is(list.code, 0, list.stderr);
  t.is(list.stdout.split('\n').filter((line) => line.startsWith('time-service')).length, 1);
  t.log(list.stdout);
});
