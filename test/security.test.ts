// Issue 14 as an attacker tries it, over raw HTTP against real registries: drive-by POSTs, DNS rebinding, foreign
// Origins, one agent's credential used for another name or capability, and a registration flood. Each is refused
// with its status and a JSON body naming what is missing, while a real agent process still registers.
import test from 'ava';
import { request } from 'node:http';
import { join } from 'node:path';
import { signCredential, readOrCreateSecret } from '../core/credentials.js';
import { startAgent } from './support/agents.js';
import { stopAll, tempDir } from './support/processes.js';
import { agentPayload, getJson, postHeartbeat, startRegistry, waitHealthy } from './support/registry.js';

test.after.always(stopAll);

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  json: any;
}

/** One request with exactly these headers (fetch would not let a test set Host). */
function raw(url: string, method: string, path: string, headers: Record<string, string>, body?: string): Promise<Answer> {
  const target = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request({ host: target.hostname, port: target.port, method, path, headers: { connection: 'close', ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode!, headers: res.headers, json: text ? JSON.parse(text) : undefined });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

const weather = (id: string) =>
  JSON.stringify(
    agentPayload(id, {
      name: 'evil-weather',
      http_port: 6666,
      tools: [{ function_name: 'w', capability: 'weather', version: '9.9.9', tags: ['fast'] }],
    }),
  );

test('the drive-by and rebinding probes of the issue are refused with JSON; a real agent still registers', async (t) => {
  const registry = await startRegistry();
  t.teardown(() => registry.close());
  const host = new URL(registry.url).host;
  const body = weather('evil-weather-1234abcd');

  for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
    const answer = await raw(
      registry.url,
      'POST',
      '/heartbeat',
      { host, 'content-type': type, 'content-length': String(Buffer.byteLength(body)) },
      body,
    );
    t.is(answer.status, 415, type);
    t.regex(answer.json.error, /accepts only application\/json/);
  }
  const noType = await raw(registry.url, 'POST', '/heartbeat', { host, 'content-length': String(Buffer.byteLength(body)) }, body);
  t.is(noType.status, 415);

  const rebound = await raw(registry.url, 'GET', '/agents', { host: 'evil.example.com' });
  t.is(rebound.status, 421);
  t.regex(rebound.json.error, /Host "evil\.example\.com" is not a name this server answers to.*allowed hosts/);
  const reboundPost = await raw(
    registry.url,
    'POST',
    '/heartbeat',
    { host: `evil.example.com:${registry.port}`, 'content-type': 'application/json' },
    body,
  );
  t.is(reboundPost.status, 421);
  for (const path of ['/health', '/metrics', '/events', '/capabilities', '/events/stream']) {
    t.is((await raw(registry.url, 'GET', path, { host: 'rebind.attacker.test' })).status, 421, path);
  }

  const registered = await postHeartbeat(registry.url, agentPayload('victim-1234abcd'));
  t.is(registered.status, 200);
  const foreignDelete = await raw(registry.url, 'DELETE', '/agents/victim-1234abcd', { host, origin: 'https://evil.example' });
  t.is(foreignDelete.status, 403);
  t.regex(foreignDelete.json.error, /Origin "https:\/\/evil\.example" may not change/);
  const foreignPost = await raw(registry.url, 'POST', '/heartbeat', { host, origin: 'null', 'content-type': 'application/json' }, body);
  t.is(foreignPost.status, 403);
  const foreignHead = await raw(registry.url, 'HEAD', '/heartbeat/victim-1234abcd', { host, origin: 'http://evil.example' });
  t.is(foreignHead.status, 403);

  // No CORS: a preflight gets no Access-Control-Allow-* header, so the browser sends nothing after it.
  const preflight = await raw(registry.url, 'OPTIONS', '/heartbeat', {
    host,
    origin: 'https://evil.example',
    'access-control-request-method': 'POST',
  });
  t.falsy(Object.keys(preflight.headers).find((h) => h.startsWith('access-control-allow')));

  const agents = (await getJson(registry.url, '/agents')).body.agents as { id: string; status: string }[];
  t.deepEqual(
    agents.map((a) => `${a.id} ${a.status}`),
    ['victim-1234abcd healthy'],
    'nothing of the attacker registered, nothing deleted',
  );

  // The names the registry is reached by still work, and a real agent process registers.
  t.is((await raw(registry.url, 'GET', '/health', { host: `localhost:${registry.port}` })).status, 200);
  t.is((await raw(registry.url, 'GET', '/health', { host: `[::1]:${registry.port}` })).status, 200);
  const agent = await startAgent('time-service', { MCP_MESH_REGISTRY_URL: registry.url });
  await waitHealthy(registry.url, [agent.agentId]);
  t.pass();
});

test("allowed hosts and origins are configurable; a wildcard bind accepts this machine's own names", async (t) => {
  const registry = await startRegistry({ allowedHosts: ['mesh.example.org'], allowedOrigins: ['https://ops.example.org'] });
  t.teardown(() => registry.close());
  const body = JSON.stringify(agentPayload('named-1234abcd'));
  t.is((await raw(registry.url, 'GET', '/health', { host: 'mesh.example.org:443' })).status, 200);
  const postFrom = async (origin: string) =>
    (await raw(registry.url, 'POST', '/heartbeat', { host: 'mesh.example.org', origin, 'content-type': 'application/json' }, body)).status;
  t.is(await postFrom('https://ops.example.org'), 200);
  t.is(await postFrom('https://other.example.org'), 403);
  t.is((await raw(registry.url, 'GET', '/health', { host: 'other.example.org' })).status, 421);

  const wide = await startRegistry({ host: '0.0.0.0', token: 'operator-secret' });
  t.teardown(() => wide.close());
  const { hostname } = await import('node:os');
  t.is(
    (await raw(`http://127.0.0.1:${wide.port}`, 'GET', '/health', { host: `${hostname()}:${wide.port}`, authorization: 'Bearer operator-secret' }))
      .status,
    200,
  );
  t.is((await raw(`http://127.0.0.1:${wide.port}`, 'GET', '/health', { host: 'evil.example', authorization: 'Bearer operator-secret' })).status, 421);
});

test('a registry beyond loopback with no credentials refuses to start, naming what to pass', async (t) => {
  const error = await t.throwsAsync(startRegistry({ host: '0.0.0.0' }));
  t.regex(error!.message, /no credentials.*--secret-file.*--token.*--insecure/);
  const open = await startRegistry({ host: '0.0.0.0', insecure: true });
  await open.close();
});

test('credential A cannot register name B nor a capability outside its policy: 401/403 JSON, nothing changed, a refused event', async (t) => {
  const { dir, remove } = tempDir();
  t.teardown(remove);
  const secretFile = join(dir, 'secret');
  const registry = await startRegistry({ secretFile, policies: 'time-service=time_*' });
  t.teardown(() => registry.close());
  const secret = readOrCreateSecret(secretFile);
  const weatherToken = signCredential(secret, { agent: 'weather', capabilities: ['weather'] });
  const weatherTool = { function_name: 'get_weather', capability: 'weather' };

  const ok = await postHeartbeat(registry.url, agentPayload('weather-0000aaaa', { tools: [weatherTool] }), weatherToken);
  t.is(ok.status, 200);

  const missing = await postHeartbeat(registry.url, agentPayload('weather-1111bbbb', { tools: [weatherTool] }));
  t.is(missing.status, 401);
  t.regex(missing.body.error!, /agent "weather" has no credential: make one with `pm2-mesh token create --agent weather/);

  const otherName = await postHeartbeat(
    registry.url,
    agentPayload('planner-2222cccc', { tools: [{ function_name: 'plan', capability: 'trip_planning' }] }),
    weatherToken,
  );
  t.is(otherName.status, 403);
  t.regex(otherName.body.error!, /credential of agent "weather".*cannot register agent "planner"/);

  const otherCapability = await postHeartbeat(
    registry.url,
    agentPayload('weather-3333dddd', { tools: [weatherTool, { function_name: 'steal', capability: 'time_service' }] }),
    weatherToken,
  );
  t.is(otherCapability.status, 403);
  t.regex(otherCapability.body.error!, /agent "weather" may not provide capability time_service/);

  const forged = await postHeartbeat(
    registry.url,
    agentPayload('weather-4444eeee', { tools: [weatherTool] }),
    signCredential(Buffer.from('x'.repeat(43)), { agent: 'weather' }),
  );
  t.is(forged.status, 401);
  t.regex(forged.body.error!, /credential not accepted/);
  t.notRegex(forged.body.error!, /mesh1\./, 'the token is never echoed');

  // The id of another agent is not for the taking, nor its heartbeat or its unregistration.
  const timeToken = signCredential(secret, { agent: 'time-service' });
  const hijack = await postHeartbeat(registry.url, agentPayload('weather-0000aaaa', { name: 'time-service', tools: [] }), timeToken);
  t.is(hijack.status, 403);
  t.regex(hijack.body.error!, /belongs to agent "weather"/);
  const head = await raw(registry.url, 'HEAD', '/heartbeat/weather-0000aaaa', { authorization: `Bearer ${timeToken}` });
  t.is(head.status, 403);
  const del = await raw(registry.url, 'DELETE', '/agents/weather-0000aaaa', { authorization: `Bearer ${timeToken}` });
  t.is(del.status, 403);
  t.regex(del.json.error, /cannot act for agent id "weather-0000aaaa"/);
  t.is((await raw(registry.url, 'DELETE', '/agents/weather-0000aaaa', {})).status, 401);

  // A policy narrows what a token allows: time-service may provide time_* only, whatever its token says.
  const wideTime = signCredential(secret, { agent: 'time-service', capabilities: ['*'] });
  t.is(
    (
      await postHeartbeat(
        registry.url,
        agentPayload('time-service-5555ffff', { tools: [{ function_name: 'now', capability: 'time_service' }] }),
        wideTime,
      )
    ).status,
    200,
  );
  const beyondPolicy = await postHeartbeat(
    registry.url,
    agentPayload('time-service-6666aaaa', { tools: [{ function_name: 'w', capability: 'weather' }] }),
    wideTime,
  );
  t.is(beyondPolicy.status, 403);

  const agents = (await getJson(registry.url, '/agents')).body.agents as { id: string; name: string; status: string }[];
  t.deepEqual(agents.map((a) => `${a.id} ${a.name} ${a.status}`).sort(), [
    'time-service-5555ffff time-service healthy',
    'weather-0000aaaa weather healthy',
  ]);

  const refused = (await getJson(registry.url, '/events?type=refused')).body.events as { agent_id: string; agent_name: string; data: any }[];
  const byId = new Map(refused.map((e) => [e.agent_id, e]));
  t.regex(byId.get('planner-2222cccc')!.data.reason, /cannot register agent "planner"/);
  t.deepEqual(byId.get('weather-3333dddd')!.data.missing, ['time_service']);
  t.truthy(byId.get('weather-1111bbbb'));
  t.regex(byId.get('weather-1111bbbb')!.data.source, /127\.0\.0\.1/);
  const everything = JSON.stringify([
    (await getJson(registry.url, '/events?limit=1000')).body,
    (await getJson(registry.url, '/agents')).body,
    registry.lines,
  ]);
  t.false(everything.includes(weatherToken.split('.')[2]!), 'no token in events, GET /agents or the log');
  t.false(everything.includes(timeToken.split('.')[2]!));

  // An operator credential reads from anywhere and unregisters, but registers nothing.
  const operator = signCredential(secret, { role: 'operator' });
  const asOperator = await postHeartbeat(registry.url, agentPayload('weather-7777bbbb', { tools: [weatherTool] }), operator);
  t.is(asOperator.status, 403);
  t.is((await raw(registry.url, 'DELETE', '/agents/weather-0000aaaa', { authorization: `Bearer ${operator}` })).status, 204);
});

test('a real agent registers with its own credential and is refused, with how to get one, without it', async (t) => {
  const { dir, remove } = tempDir();
  t.teardown(remove);
  const secretFile = join(dir, 'secret');
  const registry = await startRegistry({ secretFile });
  t.teardown(() => registry.close());
  const token = signCredential(readOrCreateSecret(secretFile), { agent: 'time-service', capabilities: ['time_service'] });
  const agent = await startAgent('time-service', { MCP_MESH_REGISTRY_URL: registry.url, MCP_MESH_REGISTRY_TOKEN: token });
  await waitHealthy(registry.url, [agent.agentId]);
  t.false(
    agent.lines.some((l) => l.text.includes(token)),
    'the agent does not log its token',
  );

  const bare = await startAgent('time-service', { MCP_MESH_REGISTRY_URL: registry.url });
  const line = await bare.waitForLine(/POST answered 401/);
  t.regex(line.text, /has no credential: make one with `pm2-mesh token create --agent time-service/);
});

test('a registration flood from one source gets 429s; the registry holds no more than its cap', async (t) => {
  const registry = await startRegistry({ maxAgents: 150, registrationRate: 100 });
  t.teardown(() => registry.close());
  const statuses = new Map<number, number>();
  const started = Date.now();
  for (let i = 0; i < 400; i++) {
    const answer = await postHeartbeat(registry.url, agentPayload(`flood-${i.toString(16).padStart(8, '0')}`));
    statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
    if (answer.status === 429) {
      t.regex(answer.body.error!, /too many new agents from .*limit is 100 per minute|limit \(max agents 150\)/);
    }
  }
  t.log(`400 new agents from one source: ${[...statuses].map(([s, n]) => `${s}: ${n}`).join(', ')}`);
  // The bucket holds 100, and refills at 100 per minute while the loop runs: never more than that got in.
  const refilled = Math.ceil(((Date.now() - started) / 60_000) * 100);
  t.true(statuses.get(200)! >= 100 && statuses.get(200)! <= 100 + refilled, `200s: ${statuses.get(200)}, refilled at most ${refilled}`);
  t.is(statuses.get(429), 400 - statuses.get(200)!);

  // An agent already known is never slowed: re-registering and heartbeats pass.
  t.is((await postHeartbeat(registry.url, agentPayload('flood-00000001'))).status, 200);

  const metrics = await (await fetch(`${registry.url}/metrics`)).text();
  t.regex(metrics, /mesh_registry_max_agents 150/);
  t.regex(metrics, /mesh_registry_registration_rate_limit 100/);
  t.regex(metrics, new RegExp(`mesh_registry_registrations_refused_total\\{limit="rate"\\} ${statuses.get(429)}`));

  // The cap: with no rate limit, 150 agents and not one more.
  const capped = await startRegistry({ maxAgents: 150, registrationRate: 0 });
  t.teardown(() => capped.close());
  let accepted = 0;
  let refused = 0;
  for (let i = 0; i < 200; i++) {
    const answer = await postHeartbeat(capped.url, agentPayload(`cap-${i.toString(16).padStart(8, '0')}`));
    if (answer.status === 200) accepted++;
    else if (answer.status === 429) refused++;
  }
  t.is(accepted, 150);
  t.is(refused, 50);
  t.is((await getJson(capped.url, '/health')).body.agents.total, 150);
});

test('data, journal, lock and secret files are readable by their owner only, whatever the umask', async (t) => {
  const { dir, remove } = tempDir();
  t.teardown(remove);
  const previous = process.umask(0o022);
  t.teardown(() => process.umask(previous));
  const registry = await startRegistry({ dataFile: join(dir, 'data', 'registry.db'), secretFile: join(dir, 'keys', 'secret') });
  const token = signCredential(readOrCreateSecret(join(dir, 'keys', 'secret')), { agent: 'private' });
  t.is((await postHeartbeat(registry.url, agentPayload('private-1234abcd', { metadata: { pid: 1 } }), token)).status, 200);
  const { readdirSync, statSync } = await import('node:fs');
  const modes = (folder: string) => readdirSync(folder).map((name) => `${name} ${(statSync(join(folder, name)).mode & 0o777).toString(8)}`);
  const whileOpen = modes(join(dir, 'data'));
  await registry.close();
  const files = [...whileOpen, ...modes(join(dir, 'data')), ...modes(join(dir, 'keys'))];
  t.log(files.join(', '));
  t.true(files.some((f) => f.startsWith('registry.db')) && files.some((f) => /journal/.test(f)), 'the data file and a journal were written');
  t.deepEqual(
    files.filter((f) => !f.endsWith(' 600')),
    [],
    'every file 0600',
  );
  t.is(statSync(join(dir, 'data')).mode & 0o777, 0o700);
});
