// Replays the requests recorded from MCP Mesh 3.7.1's registry (test/fixtures/mcp-mesh-3.7) against ours and
// checks the same status codes, field names and shapes; ours may add fields, never rename or drop them.
// The few places where ours answers differently on purpose are listed in DIFFERENCES with the reason.
import test from 'ava';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createRegistry } from '../registry/index.js';

interface Exchange {
  name: string;
  request: { method: string; path: string; headers: Record<string, string>; body?: unknown; raw?: string };
  response: { status: number; contentType: string | null; body: unknown };
}

const fixtureDir = new URL('../../test/fixtures/mcp-mesh-3.7/', import.meta.url);
const { exchanges } = JSON.parse(readFileSync(new URL('exchanges.json', fixtureDir), 'utf8')) as { exchanges: Exchange[] };

/** Where ours answers another status on purpose: the statuses ours may give, and why. */
const DIFFERENCES: Record<string, { status: number[]; why: string }> = {
  'head-provider-unchanged': {
    status: [200],
    why: "MCP Mesh answers 202 to every agent after any registration; ours only when this agent's resolution changed",
  },
  'head-reregistered': { status: [200], why: 'the agent just POSTed and its resolution is unchanged since' },
  'delete-unknown': { status: [204, 404], why: 'MCP Mesh answers 204 for any id; ours may name the unknown agent with a 404' },
  'agent-by-id': { status: [200], why: 'ours serves GET /agents/:id (MCP Mesh: 404)' },
  capabilities: { status: [200], why: 'ours serves GET /capabilities (MCP Mesh: 404)' },
  metrics: { status: [200], why: 'ours serves GET /metrics (MCP Mesh: 404)' },
  'events-negative-limit': { status: [200, 400], why: 'MCP Mesh reads limit=-5 as 1' },
  'put-heartbeat': { status: [404, 405], why: 'a known path with another method' },
  'head-heartbeat-without-id': { status: [404, 405], why: 'a known path with another method' },
  'dependency-bare-string': { status: [200], why: 'ours accepts the bare-string dependency shorthand (MCP Mesh: 400)' },
  'agent-id-uppercase': { status: [200, 400], why: 'MCP Mesh answers 200 {status:"error"} and registers nothing' },
  'text-plain-content-type': { status: [200, 400, 415], why: 'MCP Mesh parses any content type as JSON' },
  'huge-body': { status: [413], why: 'ours has a 1 MiB body limit (MCP Mesh accepts and truncates the description)' },
  'invalid-range-accepted-unresolved': { status: [200, 400], why: 'MCP Mesh accepts an invalid range and leaves the dependency unresolved' },
};

/** Exchanges whose answer MCP Mesh gives as text/plain 404 and ours beyond: no body comparison. */
const OURS_BEYOND = new Set(['agent-by-id', 'capabilities', 'metrics']);

function expand(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(expand);
  if (value && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    if (typeof record.$repeat === 'string' && typeof record.count === 'number') return record.$repeat.repeat(record.count);
    return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, expand(v)]));
  }
  return value;
}

async function send(base: string, exchange: Exchange) {
  const { method, path, headers, body, raw } = exchange.request;
  const payload = raw ?? (body === undefined ? undefined : JSON.stringify(expand(body)));
  const response = await fetch(base + path, { method, headers, body: payload });
  const text = await response.text();
  let json: unknown = undefined;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: response.status, contentType: response.headers.get('content-type'), text, json };
}

const typeOf = (value: unknown) => (value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value);
const isRecord = (value: unknown): value is Record<string, unknown> => typeOf(value) === 'object';

/** Every field of MCP Mesh's answer must be in ours with the same JSON type (null there: anything here). */
function shapeProblems(theirs: unknown, ours: unknown, path: string, out: string[] = []): string[] {
  if (theirs === null) return out;
  if (Array.isArray(theirs)) {
    if (!Array.isArray(ours)) out.push(`${path}: array expected, got ${typeOf(ours)}`);
    else if (theirs.length > 0 && ours.length > 0) shapeProblems(theirs[0], ours[0], `${path}[0]`, out);
    return out;
  }
  if (isRecord(theirs)) {
    if (!isRecord(ours)) {
      out.push(`${path}: object expected, got ${typeOf(ours)}`);
      return out;
    }
    for (const key of Object.keys(theirs)) {
      if (!(key in ours)) out.push(`${path}.${key}: missing`);
      else shapeProblems(theirs[key], ours[key], `${path}.${key}`, out);
    }
    return out;
  }
  if (typeOf(theirs) !== typeOf(ours)) out.push(`${path}: ${typeOf(theirs)} expected, got ${typeOf(ours)}`);
  return out;
}

type Answer = Awaited<ReturnType<typeof send>>;

/** All exchanges sent once, in order, to a fresh registry of ours; the tests below read the answers. */
let replay: Promise<Map<string, Answer>> | undefined;
function replayAgainstOurs(): Promise<Map<string, Answer>> {
  replay ??= (async () => {
    const registry = await createRegistry({ port: 0, dataFile: null, log: () => {} });
    try {
      const answers = new Map<string, Answer>();
      for (const exchange of exchanges) answers.set(exchange.name, await send(registry.url, exchange));
      return answers;
    } finally {
      await registry.close();
    }
  })();
  return replay;
}

test('our registry answers MCP Mesh 3.7.1 requests with the same statuses, fields and resolutions', async (t) => {
  const answers = await replayAgainstOurs();
  const noted: string[] = [];

  for (const exchange of exchanges) {
    const theirs = exchange.response;
    const ours = answers.get(exchange.name)!;
    const label = `${exchange.name} (${exchange.request.method} ${exchange.request.path})`;
    const difference = DIFFERENCES[exchange.name];
    if (difference) {
      t.true(difference.status.includes(ours.status), `${label}: status ${ours.status}, expected one of ${difference.status} — ${difference.why}`);
      if (ours.status !== theirs.status) noted.push(`${exchange.name}: MCP Mesh ${theirs.status}, ours ${ours.status} (${difference.why})`);
    } else {
      t.is(ours.status, theirs.status, `${label}: status`);
    }
    if (ours.status >= 400 && exchange.request.method !== 'HEAD') {
      t.true(
        isRecord(ours.json) && typeof ours.json.error === 'string' && ours.json.error.length > 0,
        `${label}: a 4xx carries a JSON {error}, got ${ours.text.slice(0, 200)}`,
      );
    }
    if (ours.status === 200 && theirs.status === 200 && exchange.request.method !== 'HEAD' && !OURS_BEYOND.has(exchange.name)) {
      t.regex(ours.contentType ?? '', /^application\/json/, `${label}: content type`);
      // Event pages: MCP Mesh's newest entries are its audit events (dependency_resolved), which ours does not
      // record; the entry shape is compared below on events of the same type.
      const compared = exchange.request.path.startsWith('/events') ? { ...(theirs.body as object), events: [] } : theirs.body;
      t.deepEqual(shapeProblems(compared, ours.json, exchange.name), [], `${label}: fields and types`);
    }
    if (exchange.request.method === 'HEAD') t.is(ours.text, '', `${label}: HEAD has no body`);
  }

  const body = (name: string) => answers.get(name)!.json as Record<string, any>;
  const recorded = (name: string) => exchanges.find((e) => e.name === name)!.response.body as Record<string, any>;

  // The heartbeat answers: messages and the very same resolution.
  t.is(body('register-provider').message, 'Agent registered via heartbeat');
  t.is(body('register-consumer').message, 'Agent registered via heartbeat');
  t.is(body('update-consumer').message, 'Agent updated via heartbeat');
  t.is(body('register-consumer').status, 'success');
  for (const name of [
    'register-provider',
    'register-consumer',
    'update-consumer',
    'refresh-consumer',
    'refresh-after-delete',
    'or-group',
    'reregister-consumer',
    'non-semver-tool-version',
    'minimal-agent',
  ]) {
    t.deepEqual(body(name).dependencies_resolved, recorded(name).dependencies_resolved, `${name}: dependencies_resolved`);
    t.deepEqual(body(name).llm_tools, {}, `${name}: llm_tools`);
  }
  const invalidRange = answers.get('invalid-range-accepted-unresolved')!;
  if (invalidRange.status === 200) {
    t.deepEqual(body('invalid-range-accepted-unresolved').dependencies_resolved, recorded('invalid-range-accepted-unresolved').dependencies_resolved);
  } else {
    t.regex(body('invalid-range-accepted-unresolved').error, /version/, 'the 400 names the version field');
  }
  t.deepEqual(body('dependency-bare-string').dependencies_resolved.use, [
    // the highest version of the two healthy providers at that point
    { agent_id: 'fasttime-9c8d7e6f', capability: 'time_service', endpoint: 'http://127.0.0.1:9103', function_name: 'now_fast', status: 'available' },
  ]);
  t.regex(body('bad-json').error, /JSON/i);
  t.regex(body('missing-agent-id').error, /agent_id/);
  t.regex(body('http-port-string').error, /http_port/);
  t.regex(body('tools-not-array').error, /tools/);
  t.regex(body('dependency-tags-string').error, /tags/);

  // GET /agents: every agent MCP Mesh listed (but those ours refused on purpose), with the same facts meshctl shows.
  const refused = new Set(
    exchanges
      .filter((e) => e.request.method === 'POST' && e.response.status === 200 && answers.get(e.name)!.status !== 200)
      .map((e) => (e.response.body as Record<string, string>).agent_id),
  );
  for (const name of ['agents', 'agents-full', 'agents-after-unregister']) {
    const theirs = recorded(name);
    const ours = body(name);
    t.is(typeof ours.count, 'number', `${name}: count`);
    const byId = new Map<string, Record<string, any>>(ours.agents.map((a: Record<string, any>) => [a.id, a]));
    for (const expected of theirs.agents as Record<string, any>[]) {
      if (refused.has(expected.id)) continue;
      const agent = byId.get(expected.id);
      if (!agent) {
        t.fail(`${name}: agent ${expected.id} missing`);
        continue;
      }
      const label = `${name} ${expected.id}`;
      t.deepEqual(shapeProblems({ ...expected, capabilities: null, dependency_resolutions: null }, agent, label), [], `${label}: fields`);
      for (const field of ['name', 'status', 'agent_type', 'total_dependencies', 'a2a_consumer', 'a2a_producer']) {
        t.deepEqual(agent[field], expected[field], `${label}: ${field}`);
      }
      if (expected.endpoint.startsWith('http')) t.is(agent.endpoint, expected.endpoint, `${label}: endpoint`);
      const capabilities = (list: Record<string, any>[] | null) =>
        (list ?? []).map((c) => `${c.function_name}:${c.name}:${JSON.stringify(c.tags)}:${c.available}`).sort();
      t.deepEqual(capabilities(agent.capabilities), capabilities(expected.capabilities), `${label}: capabilities`);
      for (const capability of agent.capabilities ?? []) {
        t.deepEqual(shapeProblems((expected.capabilities ?? [])[0] ?? null, capability, `${label}.capabilities`), []);
      }
      const declared = (list: Record<string, any>[] | null) => (list ?? []).map((r) => `${r.function_name}:${r.capability}`).sort();
      t.deepEqual(declared(agent.dependency_resolutions), declared(expected.dependency_resolutions), `${label}: dependency_resolutions`);
      // MCP Mesh lists the resolution of the agent's last POST; ours may list the current one: noted, not asserted.
      const providers = (list: Record<string, any>[] | null) =>
        (list ?? [])
          .map((r) => `${r.function_name}:${r.capability} → ${r.status} ${r.provider_agent_id ?? ''}`)
          .sort()
          .join(', ');
      t.is(typeof agent.dependencies_resolved, 'number', `${label}: dependencies_resolved is a count`);
      if (
        providers(agent.dependency_resolutions) !== providers(expected.dependency_resolutions) ||
        agent.dependencies_resolved !== expected.dependencies_resolved
      ) {
        noted.push(
          `${label}: MCP Mesh ${expected.dependencies_resolved} resolved [${providers(expected.dependency_resolutions)}], ours ${agent.dependencies_resolved} [${providers(agent.dependency_resolutions)}]`,
        );
      }
      for (const resolution of (expected.dependency_resolutions ?? []) as Record<string, any>[]) {
        const mine = (agent.dependency_resolutions as Record<string, any>[]).find(
          (r) => r.function_name === resolution.function_name && r.capability === resolution.capability,
        );
        // tags: present when the spec has tags; MCP Mesh drops OR groups from it, so only presence is compared
        const presence = resolution.tags ? { ...resolution, tags: null } : resolution;
        if (mine?.status === resolution.status) t.deepEqual(shapeProblems(presence, mine, `${label}.dependency_resolutions`), []);
      }
    }
  }

  // GET /events: newest first, the same entry fields, limit and agent_id honoured.
  const events = body('events').events as Record<string, any>[];
  const registerTheirs = (recorded('events').events as Record<string, any>[]).find((e) => e.event_type === 'register')!;
  const registerOurs = events.find((e) => e.event_type === 'register');
  t.deepEqual(shapeProblems({ ...registerTheirs, data: {} }, registerOurs, 'events.register'), []);
  t.is(body('events-limit').events.length, 2);
  t.is(body('events-limit').count, 2);
  t.true((body('events-agent').events as Record<string, any>[]).every((e) => e.agent_id === 'fasttime-9c8d7e6f'));
  t.true((body('events-agent').events as Record<string, any>[]).some((e) => e.event_type === 'unregister'));
  const latest = body('events-after-unregister').events[0];
  t.is(latest.event_type, 'unregister');
  t.is(latest.agent_id, 'greeter-5e6f7a8b');
  t.is(latest.agent_name, 'greeter');

  // GET /health
  const health = body('health');
  t.is(health.service, 'mcp-mesh-registry');
  t.is(health.status, 'healthy');

  t.log(`${exchanges.length} exchanges replayed; answered differently on purpose:\n  ${noted.join('\n  ') || '(none)'}`);
});

test('GET /agents gives unavailable_reason on the capabilities of an unhealthy agent, as MCP Mesh ("agent unhealthy")', async (t) => {
  const answers = await replayAgainstOurs();
  const agents = (answers.get('agents')!.json as { agents: Record<string, any>[] }).agents;
  const deleted = agents.find((a) => a.id === 'fasttime-9c8d7e6f')!;
  t.is(deleted.status, 'unhealthy');
  for (const capability of deleted.capabilities as Record<string, unknown>[]) {
    t.is(capability.available, false);
    t.is(typeof capability.unavailable_reason, 'string', `${String(capability.function_name)}: unavailable_reason`);
  }
});

const execFileAsync = promisify(execFile);
const MESHCTL = process.env.MCPMESH_MESHCTL ?? '/tmp/mcpmesh/node_modules/@mcpmesh/cli-linux-x64/bin/meshctl';

test("MCP Mesh's own meshctl lists our registry's agents (when meshctl is installed)", async (t) => {
  if (!existsSync(MESHCTL)) {
    t.log(`meshctl not found at ${MESHCTL}: install it with npm install --prefix /tmp/mcpmesh @mcpmesh/cli-linux-x64@3.7.1 (or set MCPMESH_MESHCTL)`);
    t.pass();
    return;
  }
  const registry = await createRegistry({ port: 0, dataFile: null, log: () => {} });
  const home = mkdtempSync(join(tmpdir(), 'meshctl-home-'));
  t.teardown(async () => {
    await registry.close();
    rmSync(home, { recursive: true, force: true });
  });
  for (const name of ['register-provider', 'register-consumer', 'register-better-provider']) {
    const exchange = exchanges.find((e) => e.name === name)!;
    t.is((await send(registry.url, exchange)).status, 200);
  }
  await send(registry.url, exchanges.find((e) => e.name === 'refresh-consumer')!);
  const run = (args: string[]) =>
    execFileAsync(MESHCTL, [...args, '--registry-url', registry.url], { env: { ...process.env, HOME: home, NO_COLOR: '1' }, timeout: 30_000 });

  const { stdout: json } = await run(['list', '--json']);
  const listed = JSON.parse(json) as { registry: { status: string; agent_count: number }; agents: Record<string, any>[] | null };
  t.is(listed.registry.status, 'running');
  const ids = (listed.agents ?? []).map((a) => a.id ?? a.agent_id ?? a.name).sort();
  t.deepEqual(ids, ['fasttime-9c8d7e6f', 'greeter-5e6f7a8b', 'timesvc-1a2b3c4d']);

  const { stdout: table } = await run(['list']);
  t.regex(table, /greeter/);
  t.regex(table, /2\/3/, 'greeter: 2 of 3 dependencies resolved');
  t.log(`meshctl list against ours:\n${table}`);
});
