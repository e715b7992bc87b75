// The example mesh as a user runs it: a registry process and the example agents (examples/), started together and
// waited for until every agent is healthy and wired as the examples intend; and a client calling a tool in a loop.
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { callTool, startAgent, type AgentProc } from './agents.js';
import { spawnRegistry, waitHealthy, type RegistryProc } from './registry.js';
import { sleep } from './wait.js';

export const EXAMPLE_AGENTS = ['time-service', 'weather-fast', 'weather-precise', 'planner', 'greeter'] as const;
export type ExampleAgent = (typeof EXAMPLE_AGENTS)[number];

export interface ExampleMesh {
  registry: RegistryProc;
  agents: Partial<Record<ExampleAgent, AgentProc>>;
  /** The environment the agents were started with (to start another one on the same registry). */
  env: Record<string, string>;
}

/** The topology line an example agent prints once wired as intended among `agents`, if it has one to wait for. */
function settledTopology(name: ExampleAgent, agents: ExampleMesh['agents']): RegExp | undefined {
  const time = agents['time-service']?.agentId;
  const fast = agents['weather-fast']?.agentId;
  switch (name) {
    case 'planner': // weather-fast first (+fast), weather-precise its alternative
      return fast && agents['weather-precise'] ? new RegExp(`topology \\w+ plan_trip\\.weather→${fast}/forecast\\(\\+1\\)`) : undefined;
    case 'weather-fast':
    case 'weather-precise':
      return time ? new RegExp(`topology \\w+ forecast\\.time_service→${time}/now`) : undefined;
    case 'greeter':
      return time ? new RegExp(`topology \\w+ hello\\.time_service→${time}/now`) : undefined;
    default:
      return undefined;
  }
}

/**
 * Starts a registry (with `registryArgs`) and the named example agents (default: all five) with `env`, then waits until
 * they are healthy in the registry and each has printed the wiring it settles on.
 */
export async function startExampleMesh(
  options: { agents?: readonly ExampleAgent[]; registryArgs?: string[]; env?: Record<string, string> } = {},
): Promise<ExampleMesh> {
  const registry = await spawnRegistry({ args: options.registryArgs });
  const env = { MCP_MESH_REGISTRY_URL: registry.url, ...options.env };
  const names = options.agents ?? EXAMPLE_AGENTS;
  const started = await Promise.all(names.map((name) => startAgent(name, env)));
  const agents: ExampleMesh['agents'] = Object.fromEntries(names.map((name, i) => [name, started[i]!]));
  await waitHealthy(
    registry.url,
    started.map((a) => a.agentId),
  );
  await Promise.all(
    names.map((name) => {
      const settled = settledTopology(name, agents);
      return settled && agents[name]!.waitForLine(settled);
    }),
  );
  return { registry, agents, env };
}

export interface CallOutcome<T> {
  at: number;
  /** What `read` made of the answer. */
  value?: T;
  /** Why the call failed: a thrown call, or what `read` threw. */
  error?: string;
}

/**
 * Calls `tool` back to back (with `pauseMs` between calls) until `stop()`; each answer goes through `read`, which throws
 * for an answer that counts as a failure.
 */
export function callInLoop<T>(client: Client, tool: string, args: Record<string, unknown>, read: (result: CallToolResult) => T, pauseMs = 20) {
  const outcomes: CallOutcome<T>[] = [];
  let running = true;
  const done = (async () => {
    while (running) {
      const at = Date.now();
      try {
        outcomes.push({ at, value: read(await callTool(client, tool, args)) });
      } catch (error) {
        outcomes.push({ at, error: error instanceof Error ? error.message : String(error) });
      }
      await sleep(pauseMs);
    }
  })();
  return {
    outcomes,
    async stop(): Promise<CallOutcome<T>[]> {
      running = false;
      await done;
      return outcomes;
    },
  };
}
