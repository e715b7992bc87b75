// Dependency cycles (A needs B needs A): found to be reported (`pm2-mesh deps`), never followed by resolution.
// Works on any directed graph of string nodes; agentCycles builds the graph of agents from GET /agents.
import type { AgentView } from './wire.js';

export interface DependencyCycle {
  /** Every node of the cycle's strongly connected component, sorted. */
  nodes: string[];
  /** One concrete shortest cycle through the smallest node, closed: ["a", "b", "a"]. */
  path: string[];
}

export interface CycleOptions {
  /** Report a node that depends on itself. Off by default: a self-dependency is legal (served in-process). */
  selfLoops?: boolean;
}

/**
 * The cycles of `edges` (node → nodes it depends on; targets missing from the map have no edges),
 * one per strongly connected component, sorted by their smallest node. Iterative Tarjan: O(V + E), no
 * recursion, so a 100 000-node chain neither loops nor overflows the stack.
 */
export function findDependencyCycles(edges: ReadonlyMap<string, readonly string[]>, options: CycleOptions = {}): DependencyCycle[] {
  const index = new Map<string, number>();
  const lowLink = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const components: string[][] = [];
  let counter = 0;

  const targetsOf = (node: string): readonly string[] => edges.get(node) ?? [];

  for (const root of [...edges.keys()].sort()) {
    if (index.has(root)) continue;
    // Each frame: a node and how many of its targets were visited so far.
    const frames: { node: string; next: number }[] = [{ node: root, next: 0 }];
    index.set(root, counter);
    lowLink.set(root, counter++);
    stack.push(root);
    onStack.add(root);
    while (frames.length > 0) {
      const frame = frames[frames.length - 1]!;
      const targets = targetsOf(frame.node);
      if (frame.next < targets.length) {
        const target = targets[frame.next++]!;
        if (!index.has(target)) {
          index.set(target, counter);
          lowLink.set(target, counter++);
          stack.push(target);
          onStack.add(target);
          frames.push({ node: target, next: 0 });
        } else if (onStack.has(target)) {
          lowLink.set(frame.node, Math.min(lowLink.get(frame.node)!, index.get(target)!));
        }
        continue;
      }
      frames.pop();
      const parent = frames[frames.length - 1];
      if (parent) lowLink.set(parent.node, Math.min(lowLink.get(parent.node)!, lowLink.get(frame.node)!));
      if (lowLink.get(frame.node) === index.get(frame.node)) {
        const component: string[] = [];
        let member: string;
        do {
          member = stack.pop()!;
          onStack.delete(member);
          component.push(member);
        } while (member !== frame.node);
        components.push(component);
      }
    }
  }

  const cycles: DependencyCycle[] = [];
  for (const component of components) {
    const nodes = component.sort();
    const start = nodes[0]!;
    if (nodes.length === 1 && !(options.selfLoops && targetsOf(start).includes(start))) continue;
    cycles.push({ nodes, path: shortestCycle(start, new Set(nodes), targetsOf) });
  }
  return cycles.sort((a, b) => (a.nodes[0]! < b.nodes[0]! ? -1 : 1));
}

/** Breadth-first inside the component from `start` back to `start`; neighbours visited in sorted order. */
function shortestCycle(start: string, members: ReadonlySet<string>, targetsOf: (node: string) => readonly string[]): string[] {
  const previous = new Map<string, string>();
  const queue = [start];
  for (let head = 0; head < queue.length; head++) {
    const node = queue[head]!;
    for (const target of [...targetsOf(node)].sort()) {
      if (!members.has(target)) continue;
      // A self-edge closes a cycle only for a one-node component (with selfLoops); otherwise take the way round.
      if (target === start && (node !== start || members.size === 1)) {
        const back: string[] = [];
        for (let at = node; at !== start; at = previous.get(at)!) back.push(at);
        return [start, ...back.reverse(), start];
      }
      if (!previous.has(target) && target !== start) {
        previous.set(target, node);
        queue.push(target);
      }
    }
  }
  return [start, start];
}

/**
 * The cycles in the wiring the registry answers: agent → the agents its dependencies resolved to (GET /agents'
 * dependency_resolutions). A self-dependency is served in-process, so it is no cycle.
 */
export function agentCycles(agents: readonly Pick<AgentView, 'id' | 'dependency_resolutions'>[]): DependencyCycle[] {
  const edges = new Map<string, string[]>();
  for (const agent of agents) {
    const providers = new Set<string>();
    for (const dependency of agent.dependency_resolutions ?? []) {
      if (dependency.status === 'available' && dependency.provider_agent_id) providers.add(dependency.provider_agent_id);
    }
    edges.set(agent.id, [...providers]);
  }
  return findDependencyCycles(edges);
}
