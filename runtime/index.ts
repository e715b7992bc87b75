// mesh/runtime: write an MCP agent that registers with the mesh and gets its dependencies injected.
export { agent, MeshAgent, type StartedAgent } from './agent.js';
export type { AgentOptions, AgentConfig, HealthStatus } from './config.js';
export { MeshToolError, MeshUnavailableError, MeshCallError, toCallToolResult, unwrapResult, type ProviderRef } from './result.js';
export type {
  CallOptions,
  Dependencies,
  DependencySpec,
  MeshProxy,
  MeshToolConfig,
  MeshToolHandler,
  RankingFilter,
  SelectFunction,
  SelectionCandidate,
  SelectionContext,
  SelectionStrategy,
  TagFilter,
  ToolArgs,
  ToolExtra,
} from './types.js';
