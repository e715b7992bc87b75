import test from 'ava';
import { unresolvedEntry } from '../core/resolver.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { ResolvedDependency } from '../core/wire.js';
import { CircuitBreaker } from './breaker.js';
import { Wiring } from './inject.js';
import { Tracer } from './tracing/tracer.js';
import { Logger } from './log.js';
import type { MeshCallClient } from './mesh-call.js';
import type { LocalTool } from './proxy-call.js';
import { MeshCallError, MeshToolError, MeshUnavailableError } from './result.js';
import { ProviderUnreachableError } from './retry-policy.js';

const entry = (agent_id: string, function_name = 'forecast', capability = 'weather'): ResolvedDependency => ({
  agent_id,
  capability,
  endpoint: `http://127.0.0.1:1/${agent_id}`,
  function_name,
  status: 'available',
});

/** A client pool where each endpoint answers as scripted, recording the calls. */
function fakePool(behaviour: Record<string, () => CallToolResult | Error>) {
  const calls: string[] = [];
  const retained: Set<string>[] = [];
  const pool = {
    async callTool(endpoint: string) {
      calls.push(endpoint.split('/').pop()!);
      const outcome = behaviour[endpoint.split('/').pop()!]!();
      if (outcome instanceof Error) throw outcome;
      return outcome;
    },
    retain(endpoints: Set<string>) {
      retained.push(endpoints);
    },
  };
  return { pool: pool as unknown as MeshCallClient, calls, retained };
}

function setup(behaviour: Record<string, () => CallToolResult | Error>, local: Record<string, LocalTool> = {}) {
  const lines: string[] = [];
  const log = new Logger('me-00000000', { level: 'debug', heartbeats: true, write: (_s, l) => lines.push(l) });
  const { pool, calls, retained } = fakePool(behaviour);
  const wiring = new Wiring({
    agentId: 'me-00000000',
    specs: new Map([
      [
        'plan',
        [
          { capability: 'weather', tags: ['+fast'] },
          { capability: 'packing_list', as: 'packing' },
        ] as const,
      ],
    ]),
    localTools: new Map(Object.entries(local)),
    clients: pool,
    breaker: new CircuitBreaker({ threshold: 2, cooldownMs: 60_000 }),
    callTimeoutMs: 1000,
    tracer: new Tracer({
      agentId: 'me-00000000',
      agentName: 'me',
      enabled: true,
      log: new Logger('me-00000000', { level: 'error', heartbeats: false }),
    }),
    log,
  });
  return { wiring, calls, retained, lines };
}

const ok = (text: string) => (): CallToolResult => ({ content: [{ type: 'text', text }] });
const refused = () => new ProviderUnreachableError('connect ECONNREFUSED');
const topology = (weather: ResolvedDependency[], packing: ResolvedDependency[] = []) => ({
  resolved: { plan: [weather[0] ?? unresolvedEntry('weather'), packing[0] ?? unresolvedEntry('packing_list')] },
  alternatives: { plan: [weather, packing] },
});

test('rewires only when the topology hash changes, and logs one line per rewire', (t) => {
  const { wiring, lines } = setup({});
  t.true(wiring.apply(topology([entry('fast-1'), entry('precise-1')])));
  t.false(wiring.apply(topology([entry('fast-1'), entry('precise-1')])));
  t.true(wiring.apply(topology([entry('precise-1')])));
  t.is(lines.length, 2);
  t.regex(lines[0]!, /^\[mesh\] me-00000000 topology [0-9a-f]{8} plan\.weather→fast-1\/forecast\(\+1\), plan\.packing→unresolved$/);
  t.deepEqual(wiring.counts(), { resolved: 1, total: 2 });
});

test('deps: keyed by capability or alias, undefined while unresolved', (t) => {
  const { wiring } = setup({});
  t.deepEqual(Object.keys(wiring.depsFor('plan')), ['weather', 'packing']);
  t.is(wiring.depsFor('plan').weather, undefined);
  wiring.apply(topology([entry('fast-1')]));
  const deps = wiring.depsFor('plan');
  t.is(deps.weather!.agentId, 'fast-1');
  t.false(deps.weather!.local);
  t.is(deps.packing, undefined);
});

test('a provider that cannot be reached: the next one serves; a tool error is not retried elsewhere', async (t) => {
  const { wiring, calls } = setup({ 'fast-1': refused, 'precise-1': ok('sunny') });
  wiring.apply(topology([entry('fast-1'), entry('precise-1')]));
  t.is(await wiring.depsFor('plan').weather!(), 'sunny');
  t.deepEqual(calls, ['fast-1', 'precise-1']);

  const failing = setup({ 'fast-1': () => ({ content: [{ type: 'text', text: 'bad city' }], isError: true }), 'precise-1': ok('x') });
  failing.wiring.apply(topology([entry('fast-1'), entry('precise-1')]));
  await t.throwsAsync(failing.wiring.depsFor('plan').weather!(), { instanceOf: MeshToolError, message: 'weather (fast-1/forecast): bad city' });
  t.deepEqual(failing.calls, ['fast-1']);

  const timeout = setup({ 'fast-1': () => new Error('MCP error -32001: Request timed out'), 'precise-1': ok('x') });
  timeout.wiring.apply(topology([entry('fast-1'), entry('precise-1')]));
  await t.throwsAsync(timeout.wiring.depsFor('plan').weather!(), { instanceOf: MeshCallError, message: /fast-1.*timed out/ });
  t.deepEqual(timeout.calls, ['fast-1'], 'a call that reached its provider is not sent twice');
});

test('circuit breaker: a provider failing repeatedly gets no calls until a new topology lists it', async (t) => {
  let fastUp = false;
  const { wiring, calls, lines } = setup({ 'fast-1': () => (fastUp ? ok('fast')() : refused()), 'precise-1': ok('precise') });
  wiring.apply(topology([entry('fast-1'), entry('precise-1')]));
  for (let i = 0; i < 4; i++) t.is(await wiring.depsFor('plan').weather!(), 'precise');
  t.deepEqual(calls, ['fast-1', 'precise-1', 'fast-1', 'precise-1', 'precise-1', 'precise-1']);
  t.true(lines.some((l) => /circuit open for fast-1/.test(l)));
  fastUp = true;
  t.is(await wiring.depsFor('plan').weather!(), 'precise', 'still open');
  wiring.apply(topology([entry('precise-1')]));
  wiring.apply(topology([entry('fast-1'), entry('precise-1')]));
  t.is(await wiring.depsFor('plan').weather!(), 'fast', 'closed by the new topology');
});

test('every provider unreachable: MeshUnavailableError lists them', async (t) => {
  const { wiring } = setup({ 'fast-1': refused, 'precise-1': refused });
  wiring.apply(topology([entry('fast-1'), entry('precise-1')]));
  const error = await t.throwsAsync(wiring.depsFor('plan').weather!(), { instanceOf: MeshUnavailableError });
  t.regex(error!.message, /^weather: no provider reachable \(fast-1\/forecast: .*; precise-1\/forecast: .*\)$/);
});

test('self proxy: a tool of this agent runs in-process, no client call', async (t) => {
  let seen: unknown;
  const local: LocalTool = {
    invoke: async (args) => {
      seen = args;
      return { content: [{ type: 'text', text: '{"items":["hat"]}' }], structuredContent: { items: ['hat'] } };
    },
  };
  const { wiring, calls } = setup({}, { packing_list: local });
  wiring.apply(topology([], [entry('me-00000000', 'packing_list', 'packing_list')]));
  const packing = wiring.depsFor('plan').packing!;
  t.true(packing.local);
  t.deepEqual(await packing({ conditions: 'sunny' }), { items: ['hat'] });
  t.deepEqual(seen, { conditions: 'sunny' });
  t.deepEqual(calls, []);
});

test('while the registry recovers (keepMissing), providers it forgot are kept', (t) => {
  const { wiring } = setup({});
  wiring.apply(topology([entry('fast-1'), entry('precise-1')]));
  const before = wiring.hash;
  t.false(wiring.apply(topology([]), true), 'nothing lost, nothing to rewire');
  t.is(wiring.hash, before);
  t.false(wiring.apply(topology([entry('precise-1')]), true), 'fast-1 not back yet: our order stays');
  t.is(wiring.depsFor('plan').weather!.agentId, 'fast-1');
  t.true(wiring.apply(topology([entry('precise-1'), entry('other-1')]), true), 'news are added behind');
  t.is(wiring.summary(), 'plan.weather→fast-1/forecast(+2), plan.packing→unresolved');
  t.true(wiring.apply(topology([entry('precise-1'), entry('fast-1'), entry('other-1')]), true), 'all known again: the registry decides');
  t.is(wiring.depsFor('plan').weather!.agentId, 'precise-1');
  t.true(wiring.apply(topology([]), false), 'after recovery the registry is believed');
  t.is(wiring.depsFor('plan').weather, undefined);
});
