// Proxies, in-process agents against a real registry process: the same values, errors, timeouts and
// cancellation whether the provider is this agent (self proxy) or another one (MCP proxy); health checks.
import test from 'ava';
import { z } from 'zod';
import { agent, MeshCallError, MeshToolError, type MeshAgent, type MeshProxy } from 'mesh/runtime';
import { callTool, connectClient } from './support/agents.js';
import { stopAll } from './support/processes.js';
import { registryAgents, spawnRegistry, type RegistryProc } from './support/registry.js';
import { waitFor } from './support/wait.js';

const KINDS = ['string', 'object', 'number', 'array', 'null', 'undefined', 'result'] as const;
const values: Record<(typeof KINDS)[number], unknown> = {
  string: 'hello',
  object: { a: 1, nested: { b: [true, null] } },
  number: 42,
  array: [1, 'two', { three: 3 }],
  null: null,
  undefined: undefined,
  result: { content: [{ type: 'text', text: 'raw' }], isError: false },
};

/** What each `slow` handler saw: did its abort signal fire? */
const sawAbort: Record<string, boolean> = {};

/** The same three tools, under capability names with a prefix, so one agent can provide them twice. */
function addTools(a: MeshAgent, prefix: string) {
  return a
    .tool(`${prefix}value`, { capability: `${prefix}value_src`, inputSchema: { kind: z.enum(KINDS) } }, ({ kind }) => values[kind])
    .tool(`${prefix}fail`, { capability: `${prefix}failing` }, () => {
      throw new Error('boom: bad input');
    })
    .tool(
      `${prefix}typed`,
      { capability: `${prefix}typed`, inputSchema: { kind: z.enum(['good', 'wrong', 'text']) }, outputSchema: { n: z.number() } },
      ({ kind }) =>
        kind === 'good' ? { n: 1 } : kind === 'wrong' ? ({ n: 'one' } as unknown as { n: number }) : ('one' as unknown as { n: number }),
    )
    .tool(`${prefix}slow`, { capability: `${prefix}slow`, inputSchema: { ms: z.number(), tag: z.string() } }, async ({ ms, tag }, _deps, extra) => {
      sawAbort[tag] = false;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, ms);
        extra.signal.addEventListener('abort', () => {
          sawAbort[tag] = true;
          clearTimeout(timer);
          resolve();
        });
      });
      return 'done';
    });
}

let registry: RegistryProc;
let provider: MeshAgent;
let consumer: MeshAgent;
let moody: MeshAgent;
let moodHealthy = true;
let deps: Record<string, MeshProxy | undefined> = {};

const common = () => ({ registryUrl: registry.url, handleSignals: false, logLevel: 'warn' as const, healthInterval: 0.5 });

test.before(async () => {
  registry = await spawnRegistry();
  provider = addTools(agent({ name: 'provider', ...common() }), '');
  moody = agent({ name: 'moody', ...common(), healthCheck: () => (moodHealthy ? true : { status: 'unhealthy', error: 'in a mood' }) }).tool(
    'mood',
    { capability: 'mood' },
    () => 'fine',
  );
  consumer = addTools(agent({ name: 'consumer', ...common() }), 'local_').tool(
    'grab',
    {
      dependencies: ['value_src', 'local_value_src', 'failing', 'local_failing', 'slow', 'local_slow', 'typed', 'local_typed', 'mood'],
    },
    (_args, d) => {
      deps = d;
      return 'grabbed';
    },
  );
  await Promise.all([provider.start(), consumer.start(), moody.start()]);
  await waitFor('consumer wired', async () => (await refreshDeps()).value_src && deps.local_value_src && deps.slow && deps.mood);
});

test.after.always(async () => {
  await Promise.all([provider?.stop(), consumer?.stop(), moody?.stop()]);
  await stopAll();
});

/** Calls the consumer's `grab` tool over MCP to get the deps its handler sees now. */
async function refreshDeps() {
  const client = await connectClient(`http://127.0.0.1:${new URL((await consumer.start()).endpoint).port}/mcp`);
  try {
    await callTool(client, 'grab');
  } finally {
    await client.close();
  }
  return deps;
}

test.serial('self proxies are local, MCP proxies name their provider', (t) => {
  t.true(deps.local_value_src!.local);
  t.is(deps.local_value_src!.agentId, consumer.id);
  t.false(deps.value_src!.local);
  t.is(deps.value_src!.agentId, provider.id);
  t.is(deps.value_src!.functionName, 'value');
  t.is(deps.value_src!.capability, 'value_src');
  t.regex(deps.value_src!.endpoint, /^http:\/\/127\.0\.0\.1:\d+$/);
});

test.serial('plain values come back the same through a self proxy and an MCP proxy', async (t) => {
  for (const kind of KINDS) {
    const remote = await deps.value_src!({ kind });
    const local = await deps.local_value_src!({ kind });
    const expected = kind === 'result' ? 'raw' : values[kind];
    t.deepEqual(remote, expected, kind);
    t.deepEqual(local, expected, kind);
    t.deepEqual(await deps.value_src!.call({ kind }), await deps.local_value_src!.call({ kind }), kind);
  }
});

test.serial('a tool error is the same isError result and the same thrown error, naming the provider', async (t) => {
  const remote = await t.throwsAsync(deps.failing!(), { instanceOf: MeshToolError });
  const local = await t.throwsAsync(deps.local_failing!(), { instanceOf: MeshToolError });
  t.is(remote!.message, `failing (${provider.id}/fail): boom: bad input`);
  t.is(local!.message, `local_failing (${consumer.id}/local_fail): boom: bad input`);
  t.deepEqual(await deps.failing!.call(), await deps.local_failing!.call());
  t.deepEqual((await deps.failing!.call()).isError, true);
  // Invalid arguments: refused the same way (the SDK's validation message) on both sides.
  const badRemote = await deps.value_src!.call({ kind: 'bogus' });
  const badLocal = await deps.local_value_src!.call({ kind: 'bogus' });
  t.true(badRemote.isError && badLocal.isError);
  t.is((badLocal.content[0] as any).text, (badRemote.content[0] as any).text.replace('tool value', 'tool local_value'));
});

test.serial('results are checked against the output schema the same way', async (t) => {
  for (const kind of ['good', 'wrong', 'text']) {
    const remote = await deps.typed!.call({ kind });
    const local = await deps.local_typed!.call({ kind });
    t.is(remote.isError, kind !== 'good' ? true : undefined, kind);
    t.deepEqual(JSON.parse(JSON.stringify(local).replace(/local_typed/g, 'typed')), remote, kind);
  }
});

test.serial('a call timeout fails the call and cancels the handler, local or remote', async (t) => {
  for (const [proxy, tag] of [
    [deps.slow!, 'remote-timeout'],
    [deps.local_slow!, 'local-timeout'],
  ] as const) {
    const started = Date.now();
    const error = await t.throwsAsync(proxy({ ms: 5_000, tag }, { timeoutMs: 200 }), { instanceOf: MeshCallError });
    t.regex(error!.message, /Request timed out/);
    t.true(Date.now() - started < 4_000);
    await waitFor(`${tag} handler aborted`, () => sawAbort[tag]);
    t.true(sawAbort[tag]);
  }
});

test.serial("cancellation is forwarded to the provider's handler", async (t) => {
  for (const [proxy, tag] of [
    [deps.slow!, 'remote-cancel'],
    [deps.local_slow!, 'local-cancel'],
  ] as const) {
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('user gave up')), 150);
    const error = await t.throwsAsync(proxy({ ms: 5_000, tag }, { signal: controller.signal }), { instanceOf: MeshCallError });
    t.regex(error!.message, /cancelled: user gave up/);
    await waitFor(`${tag} handler aborted`, () => sawAbort[tag]);
    t.true(sawAbort[tag]);
  }
});

test.serial('a failing health check takes the agent out of resolution until it passes', async (t) => {
  t.truthy(deps.mood);
  moodHealthy = false;
  await waitFor('mood unresolved', async () => !(await refreshDeps()).mood);
  const agents = await registryAgents(registry.url);
  t.not(agents.find((a) => a.id === moody.id)?.status, undefined);
  moodHealthy = true;
  await waitFor('mood resolved again', async () => (await refreshDeps()).mood);
  t.is(await deps.mood!(), 'fine');
});
