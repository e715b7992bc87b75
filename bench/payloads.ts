// The synthetic fleet both registries are loaded with: N agents of M tools each, the same bytes for both.

export interface Fleet {
  agents: number;
  toolsPerAgent: number;
  /** Distinct capability names; agents × tools / pool = providers per capability. */
  capabilityPool: number;
}

/** `{name}-{8 hex}`, the runtime's id format; 100 distinct names as if 100 services had replicas. */
export function agentId(index: number): string {
  return `svc${index % 100}-${index.toString(16).padStart(8, '0')}`;
}

export function capabilityName(n: number): string {
  return `cap-${n}`;
}

/**
 * A full registration as the runtime sends it: M tools with tags, versions and a schema; the first tool
 * depends on one capability with a preferred tag and a version range, the second on a plain one.
 * About 2.5 KB at 10 tools, the seed's "POST heartbeat ~2KB".
 */
export function registration(index: number, fleet: Fleet): Record<string, unknown> {
  const tools = [];
  for (let t = 0; t < fleet.toolsPerAgent; t++) {
    const dependencies = [];
    if (t === 0) dependencies.push({ capability: capabilityName((index * 7 + 1) % fleet.capabilityPool), tags: ['+fast'], version: '>=1.0.0' });
    if (t === 1) dependencies.push({ capability: capabilityName((index * 3 + 2) % fleet.capabilityPool) });
    tools.push({
      function_name: `tool_${t}`,
      capability: capabilityName((index * fleet.toolsPerAgent + t) % fleet.capabilityPool),
      version: `1.${index % 10}.${t}`,
      tags: [`zone-${index % 4}`, t % 2 ? 'fast' : 'slow'],
      description: `Benchmark tool ${t} of agent ${index}`,
      input_schema: { type: 'object', properties: { q: { type: 'string' } }, required: ['q'] },
      dependencies,
    });
  }
  return {
    agent_id: agentId(index),
    name: `svc${index % 100}`,
    version: '1.0.0',
    agent_type: 'mcp_agent',
    runtime: 'typescript',
    http_host: '127.0.0.1',
    http_port: 20_000 + (index % 40_000),
    namespace: 'default',
    tools,
    metadata: { pid: 100_000 + index },
  };
}

/** The registrations of agents [from, to) as ready-to-send bodies. */
export function registrationBodies(from: number, to: number, fleet: Fleet): Buffer[] {
  const bodies: Buffer[] = [];
  for (let i = from; i < to; i++) bodies.push(Buffer.from(JSON.stringify(registration(i, fleet))));
  return bodies;
}
