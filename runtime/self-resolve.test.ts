import test from 'ava';
import { unresolvedEntry } from '../core/resolver.js';
import type { HeartbeatRequest, ToolRegistration, Topology } from '../core/wire.js';
import { CircuitBreaker } from './breaker.js';
import { Wiring } from './inject.js';
import { Tracer } from './tracing/tracer.js';
import { Logger } from './log.js';
import type { MeshCallClient } from './mesh-call.js';
import type { LocalTool } from './proxy-call.js';
import { selfTopology } from './self-resolve.js';
import type { DependencySpec } from './types.js';

const ME = 'me-00000000';
const ENDPOINT = 'http://127.0.0.1:4321';

const tool = (function_name: string, extra: Partial<ToolRegistration> = {}): ToolRegistration => ({
  function_name,
  capability: function_name,
  version: '1.0.0',
  tags: [],
  ...extra,
});
const registration = (...tools: ToolRegistration[]): HeartbeatRequest => ({ agent_id: ME, name: 'me', tools });

/** Who each dependency of `fn` is wired to: `function_name` (+ alternatives) or null. */
function chosen(topology: Topology | undefined, fn: string): (string | null)[] {
  return (topology?.alternatives?.[fn] ?? []).map((list) => (list.length ? list.map((c) => c.function_name).join('>') : null));
}

test('resolves self-dependencies with the registry resolver: tags, versions, aliases; others stay unresolved', (t) => {
  const topology = selfTopology(
    registration(
      tool('double', { capability: 'doubling', tags: ['fast'], version: '1.4.0' }),
      tool('double_v2', { capability: 'doubling', tags: ['exact'], version: '2.1.0' }),
      tool('quadruple', {
        dependencies: [
          { capability: 'doubling', tags: ['fast'] },
          { capability: 'doubling', version: '>=2', as: 'v2' },
          { capability: 'doubling', tags: ['+exact'] },
          { capability: 'doubling', tags: ['gpu'], as: 'gpu' },
          { capability: 'doubling', version: '>=3', as: 'future' },
          'storage',
        ],
      }),
    ),
    ENDPOINT,
  );
  t.deepEqual(chosen(topology, 'quadruple'), ['double', 'double_v2', 'double_v2>double', null, null, null]);
  const resolved = topology!.resolved.quadruple!;
  t.deepEqual(resolved[0], { agent_id: ME, capability: 'doubling', endpoint: ENDPOINT, function_name: 'double', status: 'available' });
  t.deepEqual(resolved[5], { agent_id: '', capability: 'storage', endpoint: '', function_name: '', status: 'unresolved' });
  t.false('double' in topology!.resolved, 'a tool without dependencies has no entry, as in the registry');
});

test('a tool registered without a version resolves as 1.0.0, as the registry stores it', (t) => {
  const topology = selfTopology(
    registration({ function_name: 'now', capability: 'clock' }, tool('stamp', { dependencies: [{ capability: 'clock', version: '^1' }] })),
    ENDPOINT,
  );
  t.deepEqual(chosen(topology, 'stamp'), ['now']);
});

test('nothing to wire locally: undefined (no local topology at all)', (t) => {
  t.is(selfTopology(registration(tool('hello', { dependencies: ['time_service', { capability: 'hello', tags: ['x'] }] })), ENDPOINT), undefined);
  t.is(selfTopology(registration(tool('now')), ENDPOINT), undefined);
});

function wiringWith(specs: Record<string, readonly DependencySpec[]>, local: string[]) {
  const lines: string[] = [];
  const pool = { retain: () => undefined, callTool: async () => ({ content: [] }) } as unknown as MeshCallClient;
  const localTools = new Map<string, LocalTool>(
    local.map((name) => [name, { invoke: async (args) => ({ content: [{ type: 'text', text: `${name}:${JSON.stringify(args)}` }] }) }]),
  );
  const wiring = new Wiring({
    agentId: ME,
    specs: new Map(Object.entries(specs)),
    localTools,
    clients: pool,
    breaker: new CircuitBreaker({ threshold: 2, cooldownMs: 60_000 }),
    callTimeoutMs: 1000,
    tracer: new Tracer({ agentId: ME, agentName: 'me', enabled: true, log: new Logger(ME, { level: 'error', heartbeats: false }) }),
    log: new Logger(ME, { level: 'info', heartbeats: true, write: (_s, l) => lines.push(l) }),
  });
  return { wiring, lines };
}

const available = (agent_id: string, function_name: string, capability: string) => ({
  agent_id,
  capability,
  endpoint: agent_id === ME ? ENDPOINT : `http://127.0.0.1:1/${agent_id}`,
  function_name,
  status: 'available' as const,
});

test("local wiring: self proxies, logged as local; the registry's first answer replaces it even when identical", async (t) => {
  const specs = { plan: [{ capability: 'packing_list', as: 'packing' }, 'weather'] as const };
  const { wiring, lines } = wiringWith(specs, ['packing_list', 'plan']);
  const local = selfTopology(
    registration(tool('packing_list'), tool('plan', { dependencies: [{ capability: 'packing_list', as: 'packing' }, { capability: 'weather' }] })),
    ENDPOINT,
  )!;
  t.true(wiring.applyLocal(local, 'standalone'));
  t.false(wiring.applyLocal(local, 'standalone'));
  t.regex(lines[0]!, /^\[mesh\] me-00000000 topology [0-9a-f]{8} plan\.packing→self\/packing_list, plan\.weather→unresolved \(local: standalone\)$/);
  const deps = wiring.depsFor('plan');
  t.true(deps.packing!.local);
  t.is(deps.weather, undefined);
  t.is(await deps.packing!({ conditions: 'rain' }), 'packing_list:{"conditions":"rain"}');
  t.deepEqual(wiring.counts(), { resolved: 1, total: 2 });

  // Same answer from the registry: still one line, now the registry's (and its hash).
  t.true(wiring.apply(local));
  t.is(lines.length, 2);
  t.notRegex(lines[1]!, /local/);
  t.false(wiring.apply(local));
  // Once the registry has answered, a local resolution never comes back.
  t.false(wiring.applyLocal(local, 'standalone'));
  t.is(lines.length, 2);
});

test('the registry replaces a local wiring entirely, even while recovering (no local providers kept)', (t) => {
  const { wiring, lines } = wiringWith({ plan: ['packing_list', 'weather'] }, ['packing_list', 'plan']);
  const local: Topology = {
    resolved: { plan: [available(ME, 'packing_list', 'packing_list'), unresolvedEntry('weather')] },
    alternatives: { plan: [[available(ME, 'packing_list', 'packing_list')], []] },
  };
  t.true(wiring.applyLocal(local, 'until the registry answers'));
  const fromRegistry: Topology = {
    resolved: {
      plan: [unresolvedEntry('packing_list'), available('weather-1', 'forecast', 'weather')],
    },
    alternatives: { plan: [[], [available('weather-1', 'forecast', 'weather')]] },
  };
  t.true(wiring.apply(fromRegistry, true));
  t.regex(lines[1]!, /topology [0-9a-f]{8} plan\.packing_list→unresolved, plan\.weather→weather-1\/forecast$/);
  t.is(wiring.depsFor('plan').packing_list, undefined);
});

test('a local topology naming another agent wires nothing of it', (t) => {
  const { wiring } = wiringWith({ plan: ['weather'] }, ['plan']);
  const foreign: Topology = {
    resolved: { plan: [available('weather-1', 'forecast', 'weather')] },
    alternatives: { plan: [[available('weather-1', 'forecast', 'weather')]] },
  };
  wiring.applyLocal(foreign, 'standalone');
  t.is(wiring.depsFor('plan').weather, undefined);
});
