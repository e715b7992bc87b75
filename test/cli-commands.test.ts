// The pm2-mesh CLI against a real registry and real example agents (no PM2 here): every read command's
// --json and table output, the call through the mesh, events -f, the foreground registry, shell-init,
// one-line errors with exit codes, and --help on every command.
import test from 'ava';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startAgent } from './support/agents.js';
import { EXAMPLE_AGENTS, startExampleMesh } from './support/mesh.js';
import { cli, pm2, pm2Env, spawnCli, type ListedAgent } from './support/pm2.js';
import { CLI, freePort, launch, stopAll } from './support/processes.js';
import { agentPayload, spawnRegistry, startRegistry, type RegistryProc } from './support/registry.js';
import { sleep } from './support/wait.js';

const home = mkdtempSync(join(tmpdir(), 'mesh-cli-')); // a PM2_HOME with no daemon: nothing may start one
const AGENTS = EXAMPLE_AGENTS;
let registry: RegistryProc;
let agentEnv: Record<string, string>;

const mesh = (args: string[], env: NodeJS.ProcessEnv = {}) => cli(home, [...args, '--registry', registry.url], { env, timeoutMs: 30_000 });

async function json<T>(args: string[]): Promise<T> {
  const result = await mesh([...args, '--json']);
  if (result.code !== 0) throw new Error(`pm2-mesh ${args.join(' ')} failed (${result.code}): ${result.stderr}`);
  return JSON.parse(result.stdout) as T;
}

test.before(async (t) => {
  t.timeout(90_000);
  ({ registry, env: agentEnv } = await startExampleMesh({ env: { MCP_MESH_HEALTH_INTERVAL: '1' } }));
});

test.after.always(async () => {
  await stopAll();
  // Only if a test failed and something did start a daemon in this home.
  if (existsSync(join(home, 'pm2.pid'))) await pm2(home, ['kill']);
  rmSync(home, { recursive: true, force: true });
});

test.serial("list: --json is the registry's answer, the table fits the terminal width", async (t) => {
  const answer = await json<{ agents: ListedAgent[]; count: number }>(['list']);
  t.is(answer.count, answer.agents.length);
  t.deepEqual([...new Set(answer.agents.map((a) => a.name))].sort(), [...AGENTS].sort());
  const healthy = await json<{ agents: ListedAgent[] }>(['list', '--status', 'healthy']);
  t.true(healthy.agents.every((a) => a.status === 'healthy'));

  const wide = await mesh(['list']);
  t.is(wide.code, 0);
  t.regex(wide.stdout, /^NAME\s+ID\s+STATUS\s+ENDPOINT\s+CAPABILITIES\s+DEPS\s+PM2\s+LAST SEEN/);
  t.regex(wide.stdout, /planner-[0-9a-f]{8}\s+healthy\s+http:\/\/127\.0\.0\.1:\d+\s+packing_list,trip_planning\s+2\/2/);
  const narrow = await mesh(['list'], { COLUMNS: '70' });
  for (const line of narrow.stdout.trimEnd().split('\n')) t.true(line.length <= 70, `"${line}" fits 70 columns`);
  t.regex(narrow.stdout, /…/);
});

test.serial('show: one agent by name or id, --json and text', async (t) => {
  const byName = await json<ListedAgent & { capabilities: { name: string }[] }>(['show', 'planner']);
  t.regex(byName.id, /^planner-/);
  t.deepEqual(byName.capabilities.map((c) => c.name).sort(), ['packing_list', 'trip_planning']);
  const byId = await json<ListedAgent>(['show', byName.id]);
  t.is(byId.id, byName.id);
  const text = await mesh(['show', 'planner']);
  t.is(text.code, 0);
  t.regex(text.stdout, /^id\s+planner-[0-9a-f]{8}$/m);
  t.regex(text.stdout, /^Tools$/m);
  t.regex(text.stdout, /plan_trip\s+trip_planning/);
  t.regex(text.stdout, /^Dependencies$/m);
});

test.serial('caps: providers of each capability, filtered by --name and --tag', async (t) => {
  const all = await json<{ capabilities: { name: string; agent_name: string }[]; count: number }>(['caps']);
  t.true(all.count >= 6);
  const weather = await json<{ capabilities: { name: string; agent_name: string }[] }>(['caps', '--name', 'weather']);
  t.deepEqual(weather.capabilities.map((c) => c.agent_name).sort(), ['weather-fast', 'weather-precise']);
  const fast = await json<{ capabilities: { agent_name: string }[] }>(['caps', '--name', 'weather', '--tag', 'fast']);
  t.deepEqual(
    fast.capabilities.map((c) => c.agent_name),
    ['weather-fast'],
  );
  const text = await mesh(['caps', '--name', 'weather']);
  t.regex(text.stdout, /^CAPABILITY\s+TOOL\s+VERSION\s+TAGS\s+AGENT\s+STATUS\s+ENDPOINT/);
  t.regex(text.stdout, /weather\s+forecast\s+1\.2\.0\s+fast,cached\s+weather-fast-/);
});

test.serial('deps: the resolved wiring of an agent, with fallbacks', async (t) => {
  const deps = await json<{
    dependency_resolutions: { capability: string; provider_agent_id: string; status: string }[];
    dependency_alternatives: Record<string, unknown[][]>;
  }>(['deps', 'planner']);
  const weather = deps.dependency_resolutions.find((d) => d.capability === 'weather');
  t.is(weather?.status, 'available');
  t.regex(weather?.provider_agent_id ?? '', /^weather-fast-/);
  t.is(deps.dependency_alternatives.plan_trip?.[0]?.length, 2, 'weather-precise is the fallback');
  const text = await mesh(['deps', 'greeter']);
  t.regex(text.stdout, /hello\s+time_service\s+-\s+available\s+time-service-/);
  t.regex(text.stdout, /hello\s+storage\s+\+fast\s+unresolved/);
});

test.serial('call: by tool name first, then capability, then agent/tool; near matches when nothing fits; a tool error exits 1', async (t) => {
  const byTool = await mesh(['call', 'plan_trip', '{"city":"Lisbon"}']);
  t.is(byTool.code, 0, byTool.stderr);
  t.regex(byTool.stdout, /Lisbon/);
  const shared = await json<{ provider: { agent_id: string; tool: string } }>(['call', 'forecast', '{"city":"Oslo"}', '--agent', 'weather-precise']);
  t.regex(shared.provider.agent_id, /^weather-precise-/, '--agent picks among the agents that have the tool');
  const typo = await mesh(['call', 'plan_trp']);
  t.is(typo.code, 2);
  t.is(typo.stderr.trim(), 'pm2-mesh: call: no tool, capability or agent/tool named "plan_trp"; did you mean plan_trip (tool of planner)?');
  const wrongTool = await mesh(['call', 'planner/plan_trips']);
  t.is(wrongTool.code, 2);
  t.regex(wrongTool.stderr, /agent planner-\w+ has no tool "plan_trips"; did you mean plan_trip \(tool of planner\)/);
  const byCapability = await mesh(['call', 'greeting', '{"name":"Ann"}']);
  t.is(byCapability.code, 0, byCapability.stderr);
  t.regex(byCapability.stdout, /^Hello Ann, it is \d{4}-/);
  const asJson = await json<{ provider: { agent_id: string; tool: string }; result: { content: unknown[]; isError?: boolean } }>([
    'call',
    'weather-precise/forecast',
    '{"city":"Oslo"}',
  ]);
  t.regex(asJson.provider.agent_id, /^weather-precise-/);
  t.is(asJson.provider.tool, 'forecast');
  t.falsy(asJson.result.isError);
  const preferred = await json<{ provider: { agent_id: string } }>(['call', 'weather', '{"city":"Oslo"}', '--tag', 'precise']);
  t.regex(preferred.provider.agent_id, /^weather-precise-/);

  const invalid = await mesh(['call', 'trip_planning', '{"city":""}']);
  t.is(invalid.code, 1);
  t.regex(invalid.stderr.trim(), /city/);
  const nobody = await mesh(['call', 'no_such_capability']);
  t.is(nobody.code, 2);
  t.is(nobody.stderr.trim(), 'pm2-mesh: call: no tool, capability or agent/tool named "no_such_capability" (see pm2-mesh caps)');
});

test.serial('events: the log oldest first, --json, filters, and -f following new events live', async (t) => {
  t.timeout(60_000);
  const page = await json<{ count: number; events: { id: number; event_type: string; agent_name: string }[] }>(['events', '--limit', '50']);
  t.true(page.events.filter((e) => e.event_type === 'register').length >= AGENTS.length);
  const text = await mesh(['events', '-n', '3']);
  const lines = text.stdout.trimEnd().split('\n');
  t.is(lines.length, 3);
  const ids = lines.map((line) => Number(/#(\d+)/.exec(line)?.[1]));
  t.deepEqual(
    [...ids].sort((a, b) => a - b),
    ids,
    'oldest first',
  );

  const follow = spawnCli(home, ['events', '-f', '--json', '-n', '0', '--type', 'register', '--registry', registry.url]);
  t.teardown(() => follow.signal('SIGKILL'));
  await sleep(1000);
  const extra = await startAgent('time-service', agentEnv);
  const line = await follow.waitForLine(/"register"/);
  t.truthy(line, 'a register event arrives');
  t.is((JSON.parse(line.text) as { event_type: string; agent_name: string }).agent_name, 'time-service');
  follow.signal('SIGINT');
  t.is(await follow.exited, 0, 'SIGINT ends -f cleanly');
  extra.signal('SIGINT');
});

test.serial('status: registry health and agents; no PM2 daemon is started to ask', async (t) => {
  const status = await json<{
    registry: { reachable: boolean; health: { agents: { healthy: number } } };
    pm2: { daemon: boolean; module: unknown };
    agents: { name: string; pm2: unknown }[];
  }>(['status']);
  t.true(status.registry.reachable);
  t.true(status.registry.health.agents.healthy >= AGENTS.length);
  t.false(status.pm2.daemon);
  t.is(status.pm2.module, null);
  t.true(status.agents.every((a) => a.pm2 === null));
  t.false(existsSync(join(home, 'pm2.pid')), 'no daemon was spawned');
  const text = await mesh(['status']);
  t.regex(text.stdout, /^registry\s+http:\/\/127\.0\.0\.1:\d+\s+healthy\s+version/m);
  t.regex(text.stdout, /^agents\s+\d+ healthy · \d+ unhealthy/m);
});

test.serial('an unreachable registry: exit 1 and one line naming the URL, for every read command', async (t) => {
  const closed = `http://127.0.0.1:${await freePort()}`;
  for (const args of [['list'], ['show', 'x'], ['caps'], ['deps', 'x'], ['events'], ['call', 'greeting'], ['status', '--json']]) {
    const result = await cli(home, [...args, '--registry', closed], { timeoutMs: 30_000 });
    t.is(result.code, 1, args.join(' '));
    const lines = result.stderr.trimEnd().split('\n');
    t.is(lines.length, 1, `${args.join(' ')}: ${result.stderr}`);
    t.regex(lines[0]!, new RegExp(`^pm2-mesh: registry unreachable at ${closed.replace(/\./g, '\\.')} \\(ECONNREFUSED\\)`));
  }
  const fromEnv = await cli(home, ['list'], { env: { MCP_MESH_REGISTRY_URL: closed } });
  t.is(fromEnv.code, 1);
  t.regex(fromEnv.stderr, /unreachable at http:\/\/127\.0\.0\.1/);
});

test.serial('wrong arguments: exit 2 and a message naming what to fix', async (t) => {
  const cases: [string[], RegExp][] = [
    [['list', '--bogus'], /^pm2-mesh: list: unknown option --bogus \(see pm2-mesh list --help\)$/],
    [['show'], /^pm2-mesh: show: missing <agent> \(usage: pm2-mesh show <agent> \[options\]\)$/],
    [['deps', 'a', 'b'], /^pm2-mesh: deps: unexpected argument "b"/],
    [['call', 'greeting', '{"name":'], /^pm2-mesh: call: json-args is not valid JSON/],
    [['call', 'greeting', '[1]'], /^pm2-mesh: call: json-args must be a JSON object/],
    [['events', '--limit', 'ten'], /^pm2-mesh: --limit must be an integer >= 0 \(got "ten"\)$/],
    [['list', '--registry'], /^pm2-mesh: list: option --registry needs a value/],
    [['list', '--registry', 'ftp://x'], /^pm2-mesh: --registry must be an http\(s\) URL/],
    [['frobnicate'], /^pm2-mesh: unknown command "frobnicate" \(commands: list, show/],
    [['up', '--port', '99999'], /^pm2-mesh: --port must be a port number 1-65535 \(got "99999"\)$/],
  ];
  for (const [args, message] of cases) {
    const result = await cli(home, args);
    t.is(result.code, 2, `${args.join(' ')}: ${result.stderr}`);
    t.regex(result.stderr.trimEnd(), message);
  }
  const ambiguous = await mesh(['show', 'no-such-agent']);
  t.is(ambiguous.code, 2);
  t.regex(ambiguous.stderr, /no agent "no-such-agent" at http:\/\/127\.0\.0\.1:\d+ \(see pm2-mesh list\)/);
});

test.serial('--help on every command; the overview lists them all', async (t) => {
  const overview = await cli(home, ['--help']);
  t.is(overview.code, 0);
  const names = ['list', 'show', 'caps', 'deps', 'events', 'call', 'status', 'dash', 'registry', 'install', 'uninstall', 'up', 'down', 'shell-init'];
  for (const name of names) {
    t.regex(overview.stdout, new RegExp(`^  ${name} `, 'm'));
    const help = await cli(home, [name, '--help']);
    t.is(help.code, 0, name);
    t.regex(help.stdout, new RegExp(`^Usage: pm2-mesh ${name}\\b[^\\n]*\\n\\n\\S`), name);
  }
  const registryHelp = (await cli(home, ['help', 'registry'])).stdout;
  for (const flag of ['host', 'port', 'data-file', 'token', 'public-read', 'timeout', 'health-interval', 'retention', 'max-events', 'body-limit']) {
    t.regex(registryHelp, new RegExp(`^ +--${flag}\\b`, 'm'), flag);
  }
  t.regex((await cli(home, ['help', 'call'])).stdout, /^Usage: pm2-mesh call <tool\|capability\|agent\/tool> \[json-args\]/);
  t.regex((await cli(home, ['--version'])).stdout, /^\d+\.\d+\.\d+/);
});

test.serial('registry: runs the registry in the foreground; SIGTERM saves and exits 0', async (t) => {
  const dataFile = join(home, 'fg.db');
  const fg = spawnCli(home, ['registry', '--port', '0', '--data-file', dataFile]);
  t.teardown(() => fg.signal('SIGKILL'));
  const url = /registry listening on (http:\/\/\S+)/.exec((await fg.waitForLine(/registry listening on/)).text)?.[1];
  t.truthy(url, fg.output());
  const health = (await (await fetch(`${url}/health`)).json()) as { service: string };
  t.is(health.service, 'mcp-mesh-registry');
  t.is(await fg.stop('SIGTERM'), 0);
  t.true(existsSync(dataFile));
});

test.serial('dash without a terminal says so in one line', async (t) => {
  const result = await mesh(['dash']);
  t.is(result.code, 1);
  t.regex(result.stderr.trim(), /^pm2-mesh: dash needs a terminal/);
});

test.serial('shell-init: `pm2 mesh:<cmd>` runs pm2-mesh, everything else reaches pm2', async (t) => {
  const init = await cli(home, ['shell-init']);
  t.is(init.code, 0);
  t.regex(init.stdout, /^pm2\(\) \{$/m);
  const script = `eval "$(${JSON.stringify(process.execPath)} ${JSON.stringify(CLI)} shell-init)"
pm2 mesh:list --registry ${registry.url} --json
echo "rc=$?"
pm2 --version
pm2 mesh:caps --bogus
echo "rc=$?"`;
  const shell = launch('bash', 'bash', ['-c', script], { env: pm2Env(home) });
  await shell.exited;
  const bash = { out: shell.output() };
  t.regex(bash.out, /"agents": \[/, bash.out);
  t.regex(bash.out, /rc=0/);
  t.regex(bash.out, /^\d+\.\d+\.\d+$/m, 'pm2 --version reached the real pm2');
  t.regex(bash.out, /pm2-mesh: caps: unknown option --bogus/);
  t.regex(bash.out, /rc=2/);
  // `pm2 --version` started this home's daemon: the after hook kills it by its home.
});

test.serial("a registry with a token: 401 in one line without it; --token, env or the module's mesh:token let the CLI in", async (t) => {
  const secured = await startRegistry({ token: 's3cret' });
  t.teardown(() => secured.close());
  const denied = await cli(home, ['list', '--registry', secured.url]);
  t.is(denied.code, 1);
  t.regex(denied.stderr.trim(), /^pm2-mesh: registry at http:\/\/127\.0\.0\.1:\d+ answered 401.*; pass --token or set MCP_MESH_REGISTRY_TOKEN$/);
  t.is((await cli(home, ['list', '--registry', secured.url, '--token', 's3cret'])).code, 0);
  t.is((await cli(home, ['list', '--registry', secured.url], { env: { MCP_MESH_REGISTRY_TOKEN: 's3cret' } })).code, 0);

  // No flag, no env: the URL and token come from `pm2 set mesh:port/token` in this PM2_HOME.
  const moduleHome = mkdtempSync(join(tmpdir(), 'mesh-conf-'));
  t.teardown(() => rmSync(moduleHome, { recursive: true, force: true }));
  const { port } = new URL(secured.url);
  writeFileSync(join(moduleHome, 'module_conf.json'), JSON.stringify({ mesh: { port, host: '0.0.0.0', token: 's3cret' } }));
  const discovered = await cli(moduleHome, ['list', '--json']);
  t.is(discovered.code, 0, discovered.stderr);
  t.deepEqual(JSON.parse(discovered.stdout).agents, []);
});

/** POST /heartbeat with a deadline: a registry that stops answering fails the test instead of hanging it. */
async function register(url: string, agentId: string): Promise<number> {
  const response = await fetch(`${url}/heartbeat`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(agentPayload(agentId)),
    signal: AbortSignal.timeout(10_000),
  });
  return response.status;
}

test.serial('events -f rides out a registry restart: it reconnects with the last id and misses nothing', async (t) => {
  t.timeout(90_000);
  const port = String(await freePort());
  const dataFile = join(home, 'restart.db');
  const first = await spawnRegistry({ args: ['--port', port, '--data-file', dataFile] });
  const follow = spawnCli(home, ['events', '-f', '--json', '-n', '0', '--registry', first.url]);
  t.teardown(() => follow.signal('SIGKILL'));
  await sleep(1000);
  t.is(await register(first.url, 'before-0000000a'), 200);
  await follow.waitForLine(/before-0000000a/, 15_000);
  await first.stop('SIGTERM');
  await t.throwsAsync(() => register(first.url, 'nobody-0000000b'), undefined, 'refused while the registry is down');
  const second = await spawnRegistry({ args: ['--port', port, '--data-file', dataFile] });
  t.teardown(() => second.stop('SIGKILL'));
  t.is(await register(second.url, 'after-0000000c'), 200);
  await follow.waitForLine(/after-0000000c/, 30_000);
  follow.signal('SIGINT');
  t.is(await follow.exited, 0);
});

test.serial('list, status: past instances (unhealthy, their name served by another agent) only with --all', async (t) => {
  const scratch = await startRegistry();
  t.teardown(() => scratch.close());
  const post = (id: string) =>
    fetch(`${scratch.url}/heartbeat`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(agentPayload(id, { name: id.split('-')[0] })),
    });
  t.is((await post('api-0000000a')).status, 200);
  t.is((await post('api-0000000b')).status, 200);
  t.is((await post('lonely-0000000c')).status, 200);
  for (const id of ['api-0000000a', 'lonely-0000000c']) t.is((await fetch(`${scratch.url}/agents/${id}`, { method: 'DELETE' })).status, 204);
  const run = (args: string[]) => cli(home, [...args, '--registry', scratch.url], { timeoutMs: 30_000 });

  const list = await run(['list']);
  t.is(list.code, 0, list.stderr);
  t.notRegex(list.stdout, /api-0000000a/, 'replaced by api-0000000b: a past instance');
  t.regex(list.stdout, /api-0000000b\s+healthy/);
  t.regex(list.stdout, /lonely-0000000c\s+unhealthy/, 'down with no successor: shown');
  t.is(list.stderr, '1 past instance hidden (--all shows them)\n');
  t.regex((await run(['list', '--all'])).stdout, /api-0000000a\s+unhealthy/);
  const listed = JSON.parse((await run(['list', '--json'])).stdout) as { agents: { id: string }[]; count: number };
  t.deepEqual(listed.agents.map((a) => a.id).sort(), ['api-0000000b', 'lonely-0000000c']);
  t.is(listed.count, 2);

  const status = await run(['status']);
  t.regex(status.stdout, /1 past instance hidden \(--all shows them\)/);
  t.notRegex(status.stdout, /api-0000000a/);
  t.regex((await run(['status', '--all'])).stdout, /api-0000000a/);
});
