// mesh/runtime: write an MCP agent that registers with the mesh and gets its dependencies injected.
export { agent, MeshAgent, type StartedAgent } from './agent.js';
export type { AgentOptions, AgentConfig, HealthStatus } from './config.js';
export { traceContext, type ToolTrace } from './tracing/context.js';
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

// The calling layer, for programs that call mesh providers themselves without being an agent (the gateway):
// sessions to providers, the one retry policy, the circuit breaker, the log line format, JSON over node:http.
export { McpClientPool } from './mcp-client.js';
export { classifyFailure, failsOver } from './retry-policy.js';
export { CircuitBreaker } from './breaker.js';
export { describeError, Logger, LOG_LEVELS, type LogLevel } from './log.js';
export { readJson, sendJson, sendRpcError } from './http-json.js';
export { useMeshTls } from './mesh-fetch.js';
// Tracing for such callers: continue the caller's trace, record the hop, send it where agents send theirs.
export { incomingParent } from './tracing/context.js';
export { startTracingSinks } from './tracing/sinks.js';
export { Tracer, type ActiveSpan } from './tracing/tracer.js';
