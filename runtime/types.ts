// Public types of the runtime API: tool config, typed handler arguments, injected dependency proxies.
// SDK internals, deep-imported through its wildcard export (so package.json pins the SDK exactly): the schema types
// registerTool infers arguments with (server/zod-compat.js) and the handler context type (shared/protocol.js).
import type { AnySchema, SchemaOutput, ShapeOutput, ZodRawShapeCompat } from '@modelcontextprotocol/sdk/server/zod-compat.js';
import type { RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js';
import type { CallToolResult, ServerNotification, ServerRequest, ToolAnnotations } from '@modelcontextprotocol/sdk/types.js';
import type * as z4 from 'zod/v4/core';
import type { SelectionStrategy } from '../core/selection.js';

export type { SelectionStrategy };

/** Tag filter of a dependency: `tag` required, `+tag` preferred, `-tag` excluded, a nested array = any of. */
export type TagFilter = readonly (string | readonly string[])[];

/** A dependency: a capability name, or a spec with tags, a semver range and the key it is injected under. */
export type DependencySpec =
  | string
  | {
      readonly capability: string;
      readonly tags?: TagFilter;
      /** semver range the provider's version must satisfy, e.g. `>=1.2 <3`. */
      readonly version?: string;
      /** Key of the proxy in `deps` (default: the capability). */
      readonly as?: string;
      /** How calls spread over equally good providers (default: the agent's `strategy`, else `least-inflight`). */
      readonly strategy?: SelectionStrategy;
      /** Your own choice among the sharing providers, per call; a throw or a foreign answer falls back to `strategy`. */
      readonly select?: SelectFunction;
      /** Your own ranking on top of the registry's: the providers it returns share the calls, the rest fail over. */
      readonly filter?: RankingFilter;
    };

/** One provider of a dependency, as selection functions and ranking filters see it (figures updated live). */
export interface SelectionCandidate {
  readonly agentId: string;
  readonly functionName: string;
  /** Provider's base URL. */
  readonly endpoint: string;
  readonly version: string;
  readonly tags: readonly string[];
  /** The weight it registered (its tool's `kwargs.weight`), default 1. */
  readonly weight: number;
  /** Its standing in the registry's ranking, 0 = best; equal ranks are equally good (same tag score and version). */
  readonly rank: number;
  /** Calls of this agent to it under way now. */
  readonly inFlight: number;
  /** Moving average of its answer time as this agent measured it (ms); undefined before its first answer. */
  readonly latencyMs: number | undefined;
  /** Calls it answered for this agent, and calls that failed to reach it. */
  readonly calls: number;
  readonly failures: number;
}

/** Which dependency a selection function chooses for. */
export interface SelectionContext {
  /** The calling tool. */
  readonly tool: string;
  /** The dependency's key in `deps`. */
  readonly key: string;
  readonly capability: string;
}

/** Picks the provider of one call among the sharing ones; runs on every call, so keep it quick. */
export type SelectFunction = (candidates: readonly SelectionCandidate[], context: SelectionContext) => SelectionCandidate | undefined;

/**
 * Given every provider the registry ranked (best first), returns the ones that share the calls, preferred first.
 * Runs on each rewire and again at most once a second (latency and load change).
 */
export type RankingFilter = (candidates: readonly SelectionCandidate[]) => readonly SelectionCandidate[];

/** The SDK's request context, passed to handlers as their third argument. */
export type ToolExtra = RequestHandlerExtra<ServerRequest, ServerNotification>;

export interface CallOptions {
  /** Cancels the call (and, remotely, the provider's handler). Default: the calling handler's own signal. */
  signal?: AbortSignal;
  /** Default: MCP_MESH_CALL_TIMEOUT. */
  timeoutMs?: number;
}

/**
 * An injected dependency. Call it to get the provider's value (structuredContent, text, or JSON value);
 * a tool error is thrown as MeshToolError, an unreachable provider as MeshUnavailableError.
 */
export interface MeshProxy<Args extends Record<string, unknown> = Record<string, unknown>, Value = any> {
  (args?: Args, options?: CallOptions): Promise<Value>;
  /** The raw CallToolResult (isError results are returned, not thrown). */
  call(args?: Args, options?: CallOptions): Promise<CallToolResult>;
  /** The registry's first choice (equally good providers share the calls, and failover may serve one from the next). */
  readonly agentId: string;
  readonly functionName: string;
  readonly capability: string;
  /** Provider's base URL (its MCP endpoint is `${endpoint}/mcp`). */
  readonly endpoint: string;
  /** True for a self proxy: a tool of this same agent, called in-process. */
  readonly local: boolean;
}

type DependencyKey<D> = D extends string
  ? D
  : D extends { readonly as: infer A extends string }
    ? A
    : D extends { readonly capability: infer C extends string }
      ? C
      : never;

/** `deps` of a handler: one entry per declared dependency, undefined while unresolved. */
export type Dependencies<D extends readonly DependencySpec[]> = {
  readonly [K in DependencyKey<D[number]>]: MeshProxy | undefined;
};

/** The object type of a raw shape: zod 4's own inference (optional keys stay optional), else the SDK's. */
type ShapeType<S extends ZodRawShapeCompat> = S extends Record<string, z4.$ZodType> ? z4.output<z4.$ZodObject<S, z4.$strip>> : ShapeOutput<S>;

/** Handler arguments, inferred from `inputSchema` (a zod raw shape or a zod object schema). */
export type ToolArgs<I> = I extends ZodRawShapeCompat ? ShapeType<I> : I extends AnySchema ? SchemaOutput<I> : Record<string, never>;

/** What a handler may return with an outputSchema: its shape (or a full result). Else any value. */
export type ToolReturn<O> = O extends ZodRawShapeCompat
  ? ShapeType<O> | CallToolResult
  : O extends AnySchema
    ? SchemaOutput<O> | CallToolResult
    : unknown;

export type MeshToolHandler<I, O, D extends readonly DependencySpec[]> = (
  args: ToolArgs<I>,
  deps: Dependencies<D>,
  extra: ToolExtra,
) => ToolReturn<O> | Promise<ToolReturn<O>>;

/** `McpServer.registerTool`'s config plus the mesh fields. */
export interface MeshToolConfig<I, O, D extends readonly DependencySpec[]> {
  title?: string;
  description?: string;
  inputSchema?: I;
  outputSchema?: O;
  annotations?: ToolAnnotations;
  _meta?: Record<string, unknown>;
  /** Capability this tool provides to other agents (default: the tool's name). */
  capability?: string;
  tags?: readonly string[];
  /** The capability's semver version (default: the agent's version). */
  version?: string;
  dependencies?: D;
  /** This tool's share of its equals' calls under the `weighted` strategy (default: the agent's `weight`, else 1). */
  weight?: number;
}
