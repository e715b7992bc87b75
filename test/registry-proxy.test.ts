// The registry's /proxy/<host>:<port>/mcp: the exchanges recorded from MCP Mesh 3.7.1's registry
// (test/fixtures/mcp-mesh-3.7/proxy-exchanges.json) replayed against ours with the same scripted agent, then what
// MCP Mesh's registry does not show: refusals, the token, the body limit, the timeout, a caller leaving.
import test from 'ava';
import { readFileSync } from 'node:fs';
import { meshctl } from './support/mcp-mesh.js';
import { freePort } from './support/processes.js';
import { postHeartbeat, startRegistry } from './support/registry.js';
import { waitFor } from './support/wait.js';

interface Recorded {
  name: string;
  request: { method: string; path: string; headers: Record<string, string>; body?: string };
  response: { status: number; headers: Record<string, string>; body: string; firstEvent?: string };
  reachedAgent: { method: string; url: string; headers: Record<string, string>; body: string }[];
}

interface ScriptedAgent {
  port: number;
  received: { method: string; url: string; headers: Record<string, string>; body: string }[];
  abandoned: unknown[];
  release(): void;
  close(): Promise<void>;
}

const fixtures = new URL('../../test/fixtures/mcp-mesh-3.7/', import.meta.url);
const recorded = JSON.parse(readFileSync(new URL('proxy-exchanges.json', fixtures), 'utf8')) as {
  exchanges: Recorded[];
  meshctl: { args: string[]; stdout: string; reachedAgent: Recorded['reachedAgent'] }[];
};
const { startScriptedAgent } = (await import(new URL('proxy-agent.mjs', fixtures).href)) as { startScriptedAgent: () => Promise<ScriptedAgent> };
const { proxyAgents, runProxySteps } = (await import(new URL('proxy-scenario.mjs', fixtures).href)) as {
  proxyAgents: (agentPort: number, deadPort: number) => Record<string, unknown>[];
  runProxySteps: (base: string, agent: ScriptedAgent, deadPort: number) => Promise<Recorded[]>;
};

/** Headers our proxy passes on beyond MCP Mesh's, on purpose: session clients work through ours. */
const OURS_ALSO_FORWARDS = new Set(['mcp-session-id', 'mcp-protocol-version']);
/** Never passed to an agent: they belong to the caller's conversation with the registry. */
const NEVER_FORWARDED = ['authorization', 'cookie', 'origin', 'x-other'];

async function meshWithScriptedAgent(options: Parameters<typeof startRegistry>[0] = {}, token?: string) {
  const registry = await startRegistry(options);
  const agent = await startScriptedAgent();
  const deadPort = await freePort();
  for (const payload of proxyAgents(agent.port, deadPort)) {
    const answer = await postHeartbeat(registry.url, payload, token);
    if (answer.status !== 200) throw new Error(`registering: ${answer.status} ${JSON.stringify(answer.body)}`);
  }
  return { registry, agent, deadPort, close: async () => (await agent.close(), await registry.close()) };
}

test('MCP Mesh 3.7.1 /proxy exchanges replayed against ours: same statuses, answers and forwarded headers; a stream is not buffered', async (t) => {
  const mesh = await meshWithScriptedAgent();
  t.teardown(mesh.close);
  // The "streamed" step reads the first event before the agent sends the second: with a buffering proxy it hangs.
  const ours = await runProxySteps(mesh.registry.url, mesh.agent, mesh.deadPort);
  for (const theirs of recorded.exchanges) {
    const mine = ours.find((e) => e.name === theirs.name)!;
    const label = `${theirs.name} (${theirs.request.method} ${theirs.request.path})`;
    t.is(mine.response.status, theirs.response.status, `${label}: status`);
    t.is(mine.response.headers['content-type'], theirs.response.headers['content-type'], `${label}: content type`);
    if (theirs.reachedAgent.length) {
      // A relayed answer: the agent's own, byte for byte, with its headers.
      t.is(mine.response.body, theirs.response.body, `${label}: body`);
      t.deepEqual(mine.response.headers, theirs.response.headers, `${label}: headers`);
      t.is(mine.response.firstEvent, theirs.response.firstEvent, `${label}: first event`);
    } else {
      const error = (body: string) => (JSON.parse(body) as { error: string }).error;
      if (theirs.name === 'agent-down') t.regex(error(mine.response.body), /^Failed to reach target agent: /, label);
      else t.is(error(mine.response.body), error(theirs.response.body), `${label}: error`);
    }
    t.is(mine.reachedAgent.length, theirs.reachedAgent.length, `${label}: requests that reached the agent`);
    for (const [i, seen] of theirs.reachedAgent.entries()) {
      const got = mine.reachedAgent[i]!;
      t.is(got.method, seen.method, `${label}: method at the agent`);
      t.is(got.url, seen.url, `${label}: path at the agent`);
      t.is(got.body, seen.body, `${label}: body at the agent`);
      for (const [name, value] of Object.entries(seen.headers))
        if (value !== '') t.is(got.headers[name], value, `${label}: header ${name} passed on`);
      for (const name of Object.keys(got.headers)) {
        t.true(name in seen.headers || OURS_ALSO_FORWARDS.has(name), `${label}: header ${name} passed on by ours only`);
      }
      for (const name of NEVER_FORWARDED) t.false(name in got.headers, `${label}: ${name} kept from the agent`);
    }
  }
  t.is(
    mesh.agent.received.find((r) => r.headers['mcp-session-id'] === 'old-session')?.headers['mcp-session-id'],
    'old-session',
    'a session id reaches the agent',
  );
});

test("meshctl 3.7.1 calls through our /proxy and directly exactly as through MCP Mesh's registry", async (t) => {
  const mesh = await meshWithScriptedAgent();
  t.teardown(mesh.close);
  for (const run of recorded.meshctl) {
    const seen = mesh.agent.received.length;
    const result = await meshctl(run.args, mesh.registry.url);
    t.is(result.code, 0, `meshctl ${run.args.join(' ')}: ${result.stderr}`);
    t.is(result.stdout, run.stdout, `meshctl ${run.args.join(' ')}: output`);
    const reached = mesh.agent.received.slice(seen);
    t.deepEqual(
      reached.map((r) => ({ url: r.url, body: r.body, accept: r.headers.accept, timeout: r.headers['x-mesh-timeout'] })),
      run.reachedAgent.map((r) => ({ url: r.url, body: r.body, accept: r.headers.accept, timeout: r.headers['x-mesh-timeout'] })),
      `meshctl ${run.args.join(' ')}: what reached the agent`,
    );
  }
});

const call = (name: string) => JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name, arguments: {} } });
const mcpHeaders = { accept: 'application/json, text/event-stream', 'content-type': 'application/json' };

test('/proxy is no open relay: only endpoints of agents the registry holds, whatever the spelling', async (t) => {
  const mesh = await meshWithScriptedAgent();
  t.teardown(mesh.close);
  const other = await startScriptedAgent(); // a live MCP endpoint that never registered
  t.teardown(other.close);
  for (const target of [
    `127.0.0.1:${other.port}`,
    `localhost:${mesh.agent.port}`,
    `127.0.0.1:${mesh.agent.port}@evil.example`,
    'example.com:80',
    `127.0.0.1:${mesh.agent.port}.evil`,
  ]) {
    const response = await fetch(`${mesh.registry.url}/proxy/${target}/mcp`, { method: 'POST', headers: mcpHeaders, body: call('echo') });
    t.is(response.status, 403, target);
    t.regex(((await response.json()) as { error: string }).error, /is not a registered agent/, target);
  }
  t.is(other.received.length, 0, 'the unregistered endpoint was never called');
  // A web page cannot drive it either: /proxy acts, so a foreign Origin is refused as for every write.
  const fromPage = await fetch(`${mesh.registry.url}/proxy/127.0.0.1:${mesh.agent.port}/mcp`, {
    method: 'POST',
    headers: { ...mcpHeaders, origin: 'http://evil.example' },
    body: call('echo'),
  });
  t.is(fromPage.status, 403);
  const registered = await fetch(`${mesh.registry.url}/proxy/127.0.0.1:${mesh.agent.port}/mcp`, {
    method: 'POST',
    headers: mcpHeaders,
    body: call('echo'),
  });
  t.is(registered.status, 200);
});

test('/proxy needs the token whatever the method (even with public reads), and keeps it from the agent', async (t) => {
  const mesh = await meshWithScriptedAgent({ token: 's3cret', publicRead: true }, 's3cret');
  t.teardown(mesh.close);
  const url = `${mesh.registry.url}/proxy/127.0.0.1:${mesh.agent.port}/mcp`;
  for (const [method, authorization] of [
    ['POST', undefined],
    ['POST', 'Bearer wrong'],
    ['GET', undefined],
    ['DELETE', 'Bearer s3cre'],
  ] as const) {
    const response = await fetch(url, {
      method,
      headers: { ...mcpHeaders, ...(authorization ? { authorization } : {}) },
      body: method === 'POST' ? call('echo') : undefined,
    });
    t.is(response.status, 401, `${method} ${authorization ?? 'no token'}`);
    t.regex(((await response.json()) as { error: string }).error, /token|credential/);
  }
  t.is(mesh.agent.received.length, 0);
  const ok = await fetch(url, { method: 'POST', headers: { ...mcpHeaders, authorization: 'Bearer s3cret' }, body: call('echo') });
  t.is(ok.status, 200);
  t.false('authorization' in mesh.agent.received[0]!.headers);
});

test('/proxy: a body over the limit is 413 before the agent sees it; a silent agent is 504 and sees its caller leave', async (t) => {
  const mesh = await meshWithScriptedAgent({ bodyLimit: 2048 });
  t.teardown(mesh.close);
  const url = `${mesh.registry.url}/proxy/127.0.0.1:${mesh.agent.port}/mcp`;
  const big = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'echo', arguments: { x: 'y'.repeat(4096) } } });
  const tooBig = await fetch(url, { method: 'POST', headers: mcpHeaders, body: big });
  t.is(tooBig.status, 413);
  t.regex(((await tooBig.json()) as { error: string }).error, /too large/);
  t.is(mesh.agent.received.length, 0);

  const silent = await fetch(url, { method: 'POST', headers: { ...mcpHeaders, 'x-mesh-timeout': '0.3' }, body: call('hang') });
  t.is(silent.status, 504);
  t.regex(((await silent.json()) as { error: string }).error, /did not answer within 0.3 s/);
  await waitFor('the agent to see its caller leave', () => mesh.agent.abandoned.length === 1);

  const badTimeout = await fetch(url, { method: 'POST', headers: { ...mcpHeaders, 'x-mesh-timeout': 'soon' }, body: call('echo') });
  t.is(badTimeout.status, 400);
  t.regex(((await badTimeout.json()) as { error: string }).error, /X-Mesh-Timeout/);
});

test('/proxy: a caller that leaves mid-call ends the request at the agent', async (t) => {
  const mesh = await meshWithScriptedAgent();
  t.teardown(mesh.close);
  const controller = new AbortController();
  const pending = fetch(`${mesh.registry.url}/proxy/127.0.0.1:${mesh.agent.port}/mcp`, {
    method: 'POST',
    headers: mcpHeaders,
    body: call('hang'),
    signal: controller.signal,
  });
  await waitFor('the call to reach the agent', () => mesh.agent.received.length === 1);
  controller.abort();
  t.is(
    await pending.then(
      () => 'answered',
      (error: Error) => error.name,
    ),
    'AbortError',
  );
  await waitFor('the agent to see its caller leave', () => mesh.agent.abandoned.length === 1);
  t.deepEqual(mesh.agent.abandoned, [7]);
});
