import test from 'ava';
import { agentCycles, findDependencyCycles } from './cycles.js';

const graph = (edges: Record<string, string[]>) => new Map(Object.entries(edges));

test('no edges, no cycles', (t) => {
  t.deepEqual(findDependencyCycles(new Map()), []);
  t.deepEqual(findDependencyCycles(graph({ a: ['b'], b: ['c'], c: [] })), []);
});

test('a two-node cycle', (t) => {
  t.deepEqual(findDependencyCycles(graph({ b: ['a'], a: ['b'] })), [{ nodes: ['a', 'b'], path: ['a', 'b', 'a'] }]);
});

test('a longer cycle is reported once, from its smallest node, with a shortest path', (t) => {
  const cycles = findDependencyCycles(graph({ c: ['d'], d: ['a'], a: ['b'], b: ['c', 'x'], x: [] }));
  t.deepEqual(cycles, [{ nodes: ['a', 'b', 'c', 'd'], path: ['a', 'b', 'c', 'd', 'a'] }]);
});

test('shortest path inside a component with a chord', (t) => {
  const cycles = findDependencyCycles(graph({ a: ['b'], b: ['c', 'a'], c: ['a'] }));
  t.deepEqual(cycles, [{ nodes: ['a', 'b', 'c'], path: ['a', 'b', 'a'] }]);
});

test('separate cycles are separate entries, sorted', (t) => {
  const cycles = findDependencyCycles(graph({ z: ['y'], y: ['z'], a: ['b'], b: ['a'], m: ['a', 'z'] }));
  t.deepEqual(
    cycles.map((c) => c.nodes),
    [
      ['a', 'b'],
      ['y', 'z'],
    ],
  );
});

test('self-dependencies are legal and ignored unless asked for', (t) => {
  const edges = graph({ a: ['a', 'b'], b: [] });
  t.deepEqual(findDependencyCycles(edges), []);
  t.deepEqual(findDependencyCycles(edges, { selfLoops: true }), [{ nodes: ['a'], path: ['a', 'a'] }]);
});

test('targets missing from the map are leaves; duplicate edges are harmless', (t) => {
  t.deepEqual(findDependencyCycles(graph({ a: ['ghost', 'b', 'b'], b: ['a', 'a'] })), [{ nodes: ['a', 'b'], path: ['a', 'b', 'a'] }]);
});

test('the answer does not depend on insertion order', (t) => {
  const edges: [string, string[]][] = [
    ['a', ['b']],
    ['b', ['c']],
    ['c', ['a', 'd']],
    ['d', ['e']],
    ['e', ['d']],
  ];
  const forward = findDependencyCycles(new Map(edges));
  const backward = findDependencyCycles(new Map([...edges].reverse().map(([k, v]) => [k, [...v].reverse()])));
  t.deepEqual(forward, backward);
  t.is(forward.length, 2);
});

test('a 100 000-node chain and ring finish without recursion limits', (t) => {
  const chain = new Map<string, string[]>();
  for (let i = 0; i < 100_000; i++) chain.set(`n${i}`, i + 1 < 100_000 ? [`n${i + 1}`] : []);
  const start = process.hrtime.bigint();
  t.deepEqual(findDependencyCycles(chain), []);
  chain.set('n99999', ['n0']);
  const [ring] = findDependencyCycles(chain);
  t.is(ring!.nodes.length, 100_000);
  t.is(ring!.path.length, 100_001);
  t.log(`two passes over 100 000 nodes: ${(Number(process.hrtime.bigint() - start) / 1e6).toFixed(1)} ms`);
});

test('agentCycles: the wiring of GET /agents, available resolutions only, self-dependencies ignored', (t) => {
  const wired = (id: string, ...providers: (string | null)[]) => ({
    id,
    dependency_resolutions: providers.map((provider) => ({
      function_name: 'f',
      capability: 'c',
      status: provider ? ('available' as const) : ('unresolved' as const),
      ...(provider ? { provider_agent_id: provider } : {}),
    })),
  });
  const agents = [wired('planner', 'weather', 'planner'), wired('weather', 'time'), wired('time', 'planner', null), wired('greeter', null)];
  t.deepEqual(agentCycles(agents), [{ nodes: ['planner', 'time', 'weather'], path: ['planner', 'weather', 'time', 'planner'] }]);
  t.deepEqual(agentCycles([wired('a', 'a'), { id: 'b', dependency_resolutions: null }]), []);
});
