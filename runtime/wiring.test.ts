import test from 'ava';
import { unresolvedEntry } from '../core/resolver.js';
import { topologyHash } from '../core/topology-hash.js';
import type { ResolvedDependency, Topology } from '../core/wire.js';
import { describeSlots, wireOwnTopology, wireTopology, type DependencySpecs } from './wiring.js';

const entry = (agent_id: string, function_name = 'forecast', capability = 'weather'): ResolvedDependency => ({
  agent_id,
  capability,
  endpoint: `http://127.0.0.1:1/${agent_id}`,
  function_name,
  status: 'available',
});
const specs: DependencySpecs = new Map([
  [
    'plan',
    [
      { capability: 'weather', tags: ['+fast'] },
      { capability: 'packing_list', as: 'packing' },
    ],
  ],
  ['hello', []],
]);
const ids = (topology: Topology) => [...wireTopology(specs, topology).slots.get('plan')!].map((s) => s.candidates.map((c) => c.agent_id));

test('one slot per declared dependency, keyed by capability or alias; the chosen provider first, then the other ranked ones', (t) => {
  const topology: Topology = {
    resolved: { plan: [entry('fast-1'), unresolvedEntry('packing_list')] },
    alternatives: { plan: [[entry('precise-1'), entry('fast-1'), entry('other-1')], []] },
  };
  const { slots, hash, merged } = wireTopology(specs, topology);
  t.deepEqual([...slots.keys()], ['plan'], 'a tool with no dependencies has no slots');
  t.deepEqual(
    slots.get('plan')!.map((s) => [s.key, s.capability]),
    [
      ['weather', 'weather'],
      ['packing', 'packing_list'],
    ],
  );
  t.deepEqual(ids(topology), [['fast-1', 'precise-1', 'other-1'], []]);
  t.false(merged);
  t.is(hash, topologyHash(topology.resolved, topology.alternatives!), 'the registry’s own answer hashes as the registry hashes it');
});

test('entries that are not available providers are left out; no alternatives (MCP Mesh) is the chosen one alone', (t) => {
  const noName = { ...entry('x-1'), function_name: '' };
  t.deepEqual(ids({ resolved: { plan: [noName, entry('pack-1', 'pack', 'packing_list')] } }), [[], ['pack-1']]);
  t.deepEqual(ids({ resolved: {}, alternatives: { plan: [[unresolvedEntry('weather'), entry('b-1')]] } }), [['b-1'], []]);
});

test('kept providers (the registry is filling up again) stay first, in their order; news go behind', (t) => {
  const before = wireTopology(specs, { resolved: { plan: [entry('fast-1')] }, alternatives: { plan: [[entry('fast-1'), entry('precise-1')]] } });
  const news: Topology = { resolved: { plan: [entry('other-1')] }, alternatives: { plan: [[entry('other-1'), entry('precise-1')]] } };
  const kept = wireTopology(specs, news, before.slots);
  t.true(kept.merged);
  t.deepEqual(
    kept.slots.get('plan')![0]!.candidates.map((c) => c.agent_id),
    ['fast-1', 'precise-1', 'other-1'],
  );
  t.not(kept.hash, topologyHash(news.resolved, news.alternatives!));
  const allBack = wireTopology(
    specs,
    { resolved: { plan: [entry('precise-1')] }, alternatives: { plan: [[entry('precise-1'), entry('fast-1')]] } },
    before.slots,
  );
  t.false(allBack.merged, 'nothing missing: the registry decides the order');
  t.deepEqual(
    allBack.slots.get('plan')![0]!.candidates.map((c) => c.agent_id),
    ['precise-1', 'fast-1'],
  );
});

test('own wiring keeps only the providers the agent accepts, and hashes what it kept', (t) => {
  const topology: Topology = {
    resolved: { plan: [entry('me-1', 'forecast'), entry('me-1', 'pack', 'packing_list')] },
    alternatives: { plan: [[entry('me-1', 'forecast'), entry('other-1')], [entry('me-1', 'pack', 'packing_list')]] },
  };
  const own = wireOwnTopology(specs, topology, (c) => c.agent_id === 'me-1' && c.function_name === 'pack');
  t.deepEqual(
    own.slots.get('plan')!.map((s) => s.candidates.map((c) => c.function_name)),
    [[], ['pack']],
  );
  t.is(own.hash, wireOwnTopology(specs, topology, (c) => c.function_name === 'pack').hash, 'same wiring, same hash');
  t.not(own.hash, topologyHash(topology.resolved, topology.alternatives!));
});

test('one line names every dependency and where it goes', (t) => {
  const { slots } = wireTopology(specs, {
    resolved: { plan: [entry('fast-1'), entry('me-1', 'pack', 'packing_list')] },
    alternatives: { plan: [[entry('fast-1'), entry('precise-1')], []] },
  });
  t.is(describeSlots(slots, 'me-1'), 'plan.weather→fast-1/forecast(+1), plan.packing→self/pack');
  t.is(describeSlots(new Map(), 'me-1'), 'no dependencies');
  t.is(describeSlots(wireTopology(specs, { resolved: {} }).slots, 'me-1'), 'plan.weather→unresolved, plan.packing→unresolved');
});
