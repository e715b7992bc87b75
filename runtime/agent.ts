// The public API: `agent({ name }).tool(name, config, handler)` then `.start()`. Ties together serving (http),
// the registry link (heartbeat) and dependency injection (inject).
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
// SDK internals, deep-imported through its wildcard export (so package.json pins the SDK exactly): McpServer's own
// argument and result checks (server/zod-compat.js), so that a self-proxy call validates exactly as a remote one.
import {
  getParseErrorMessage,
  normalizeObjectSchema,
  safeParse,
  safeParseAsync,
  type AnyObjectSchema,
  type AnySchema,
  type ZodRawShapeCompat,
} from '@modelcontextprotocol/sdk/server/zod-compat.js';
import type { CallToolResult, McpError } from '@modelcontextprotocol/sdk/types.js';
import { MCP_PATH, MESH_CONSUMER_HEADER } from '../core/mesh-session.js';
import { isSelectionStrategy, MAX_WEIGHT, SELECTION_STRATEGIES } from '../core/selection.js';
import type { HeartbeatRequest, ToolRegistration } from '../core/wire.js';
import { CircuitBreaker } from './breaker.js';
import { clientTlsOptions, servesTls } from '../core/tls.js';
import { drainTimeoutMs, loadConfig, processMetadata, SESSION_IDLE_S, UNREGISTER_TIMEOUT_MS, type AgentConfig, type AgentOptions } from './config.js';
import { HeartbeatLoop } from './heartbeat.js';
import { AgentHttpServer, type HttpStatus } from './http.js';
import { Wiring } from './inject.js';
import { describeError, Logger } from './log.js';
import { MeshCallClient } from './mesh-call.js';
import type { LocalTool } from './proxy-call.js';
import { errorResult, isCallToolResult, isPlainObject, resultText, toCallToolResult } from './result.js';
import { loadMcpServer, loadSdkTypes } from './sdk-server.js';
import { toolJsonSchema } from './json-schema.js';
import { underPm2 } from '../core/pm2-io.js';
import { renderAgentMetrics } from './agent-metrics.js';
import { incomingParent, setCurrentSpan } from './tracing/context.js';
import { startTracingSinks } from './tracing/sinks.js';
import { Tracer } from './tracing/tracer.js';
import type { DependencySpec, MeshToolConfig, MeshToolHandler, ToolExtra } from './types.js';

type InputSchema = ZodRawShapeCompat | AnySchema | undefined;

interface ToolDefinition {
  name: string;
  config: MeshToolConfig<InputSchema, InputSchema, readonly DependencySpec[]>;
  handler: (args: Record<string, unknown>, deps: Record<string, unknown>, extra: ToolExtra) => unknown;
  input?: AnyObjectSchema;
  /** What the SDK validates arguments with: the object schema, or the schema as given (a union …). */
  validator?: AnySchema;
  /** The output schema as the SDK checks results against it. */
  output?: AnyObjectSchema;
  /** The validator needs an async parse (async refinements): found out on the first call. */
  asyncInput?: boolean;
  /** JSON Schemas sent to the registry, computed once at start. */
  jsonInput?: Record<string, unknown>;
  jsonOutput?: Record<string, unknown>;
}

export interface StartedAgent {
  agentId: string;
  /** Base URL other agents reach this one at. */
  endpoint: string;
  /** `${endpoint}/mcp`: what an MCP client connects to. */
  mcpUrl: string;
}

export function agent(options: AgentOptions): MeshAgent {
  return new MeshAgent(options);
}

export class MeshAgent {
  readonly config: AgentConfig;
  readonly log: Logger;
  private readonly tools = new Map<string, ToolDefinition>();
  /** Declared dependencies per tool, and the tools as self proxies see them: shared with the wiring. */
  private readonly specs = new Map<string, readonly DependencySpec[]>();
  private readonly localTools = new Map<string, LocalTool>();
  private readonly serverSetups: ((server: McpServer) => void)[] = [];
  private readonly clients: MeshCallClient;
  private readonly wiring: Wiring;
  /** Spans and call counts of this agent (tracing/). */
  readonly tracer: Tracer;
  private http?: AgentHttpServer;
  private heartbeat?: HeartbeatLoop;
  private started?: StartedAgent;
  private starting?: Promise<StartedAgent>;
  private stopping?: Promise<void>;
  private stopPm2Metrics?: () => void;
  private readonly startedAt = Date.now();

  constructor(private readonly options: AgentOptions) {
    this.config = loadConfig(options);
    this.log = new Logger(this.config.agentId, { level: this.config.logLevel, heartbeats: this.config.logHeartbeats, format: this.config.logFormat });
    this.clients = new MeshCallClient(this.config.agentId, this.config.version, this.log);
    this.tracer = new Tracer({ agentId: this.config.agentId, agentName: this.config.name, enabled: this.config.tracing, log: this.log });
    this.wiring = new Wiring({
      agentId: this.config.agentId,
      specs: this.specs,
      localTools: this.localTools,
      clients: this.clients,
      breaker: new CircuitBreaker({ cooldownMs: Math.max(2 * this.config.healthIntervalMs, 5_000) }),
      callTimeoutMs: this.config.callTimeoutMs,
      tracer: this.tracer,
      log: this.log,
      strategy: this.config.strategy,
    });
  }

  get id(): string {
    return this.config.agentId;
  }

  /**
   * Registers a tool: `McpServer.registerTool`'s config plus `capability`, `tags`, `version`, `dependencies`.
   * The handler gets `(args, deps, extra)`; it may return a CallToolResult or a plain value.
   */
  tool<
    const D extends readonly DependencySpec[] = [],
    I extends ZodRawShapeCompat | AnySchema | undefined = undefined,
    O extends ZodRawShapeCompat | AnySchema | undefined = undefined,
  >(name: string, config: MeshToolConfig<I, O, D>, handler: MeshToolHandler<I, O, D>): this {
    if (this.starting) throw new Error(`tool "${name}": register tools before start()`);
    if (this.tools.has(name)) throw new Error(`tool "${name}" is already registered on agent ${this.config.name}`);
    checkSpreading(name, config);
    const definition: ToolDefinition = {
      name,
      config: config as ToolDefinition['config'],
      handler: handler as unknown as ToolDefinition['handler'],
      input: normalizeObjectSchema(config.inputSchema as InputSchema),
    };
    if (config.inputSchema !== undefined) definition.validator = definition.input ?? (config.inputSchema as AnySchema);
    if (config.outputSchema !== undefined) definition.output = normalizeObjectSchema(config.outputSchema as InputSchema);
    this.tools.set(name, definition);
    this.specs.set(name, config.dependencies ?? []);
    this.localTools.set(name, { invoke: (args, extra) => this.invokeLocal(definition, args, extra) });
    return this;
  }

  /** Reach the plain SDK McpServer (prompts, resources …). Runs once per MCP session: keep it to registrations. */
  server(setup: (server: McpServer) => void): this {
    if (this.starting) throw new Error('server(): call it before start()');
    this.serverSetups.push(setup);
    return this;
  }

  /** Serves MCP over HTTP, then heartbeats in the background (unless standalone). Resolves once serving. */
  start(): Promise<StartedAgent> {
    this.starting ??= this.serve();
    return this.starting;
  }

  private async serve(): Promise<StartedAgent> {
    const { config, log } = this;
    if (config.tls) (await import('./mesh-fetch.js')).useMeshTls(clientTlsOptions(config.tls));
    this.http = new AgentHttpServer({
      host: config.httpHost,
      port: config.httpPort,
      createMcpServer: () => this.createMcpServer(),
      status: () => this.status(),
      calls: () => this.wiring.callReport(),
      ...(config.metrics ? { metrics: () => this.metricsText() } : {}),
      allowedHosts: config.allowedHosts,
      allowedOrigins: config.allowedOrigins,
      tls: config.tls,
      sessionIdleMs: SESSION_IDLE_S * 1000,
      log,
    });
    const [{ port }] = await Promise.all([this.http.listen(), this.computeJsonSchemas()]);
    const host = config.advertisedHost.includes(':') ? `[${config.advertisedHost}]` : config.advertisedHost;
    const endpoint = `${servesTls(config.tls) ? 'https' : 'http'}://${host}:${port}`;
    this.started = { agentId: config.agentId, endpoint, mcpUrl: endpoint + MCP_PATH };
    log.info(`serving ${endpoint}${MCP_PATH} (${this.tools.size} tools; ${config.standalone ? 'standalone' : `registry ${config.registryUrl}`})`);
    if (config.tracing) startTracingSinks(this.tracer, { ...config, tls: clientTlsOptions(config.tls) }, process.env, log);
    if (underPm2()) {
      this.stopPm2Metrics = (await import('./pm2-metrics.js')).reportToPm2({
        stats: this.tracer.stats,
        dependencies: () => this.wiring.counts(),
        registry: () => this.heartbeat?.state ?? 'standalone',
      });
    }
    if (!config.standalone) {
      this.heartbeat = new HeartbeatLoop({
        registryUrl: config.registryUrl,
        token: config.registryToken,
        tls: clientTlsOptions(config.tls),
        agentId: config.agentId,
        intervalMs: config.healthIntervalMs,
        payload: () => this.registration(port),
        processQuery: processQuery(processMetadata()),
        onRegistered: tellPm2Ready,
        healthCheck: this.options.healthCheck,
        onTopology: (topology, recovering) => this.wiring.apply(topology, recovering),
        log,
      });
      this.heartbeat.start();
    } else {
      tellPm2Ready();
    }
    // Self-dependencies work without a registry; the registry's first answer replaces this wiring (whenever it comes).
    if (this.hasSelfDependency()) {
      const { selfTopology } = await import('./self-resolve.js');
      const local = selfTopology(this.registration(port), endpoint);
      if (local) this.wiring.applyLocal(local, config.standalone ? 'standalone' : 'until the registry answers');
    }
    if (config.handleSignals) this.handleSignals();
    return this.started;
  }

  /** Does a tool depend on a capability this agent provides? (Only then is the resolver loaded at start.) */
  private hasSelfDependency(): boolean {
    const own = new Set([...this.tools.values()].map((t) => t.config.capability ?? t.name));
    for (const specs of this.specs.values()) {
      if (specs.some((spec) => own.has(typeof spec === 'string' ? spec : spec.capability))) return true;
    }
    return false;
  }

  private async computeJsonSchemas(): Promise<void> {
    for (const t of this.tools.values()) {
      if (t.input) t.jsonInput = await toolJsonSchema(t.input, 'input');
      if (t.output) t.jsonOutput = await toolJsonSchema(t.output, 'output');
    }
  }

  /** Stop accepting, unregister (bounded), close sessions and client connections. Does not exit. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.http?.stopAccepting();
      this.heartbeat?.stop();
      this.stopPm2Metrics?.();
      // Both bounded and side by side, so that shutdown fits in PM2's kill_timeout (1.6 s by default).
      await Promise.all([this.heartbeat?.unregister(UNREGISTER_TIMEOUT_MS), this.http?.drain(drainTimeoutMs())]);
      await Promise.all([this.http?.close(), this.tracer.close(UNREGISTER_TIMEOUT_MS)]);
      await this.clients.closeAll();
      this.log.info('stopped');
    })();
    return this.stopping;
  }

  private handleSignals(): void {
    const shutdown = (reason: string) => {
      this.log.info(`${reason}: shutting down`);
      // Never outlive PM2's patience if something hangs.
      setTimeout(() => process.exit(0), drainTimeoutMs() + 3_000).unref();
      this.stop().then(
        () => process.exit(0),
        (error) => {
          this.log.error(`shutdown: ${describeError(error)}`);
          process.exit(0);
        },
      );
    };
    process.once('SIGINT', () => shutdown('SIGINT'));
    process.once('SIGTERM', () => shutdown('SIGTERM'));
    // PM2 on Windows (and with shutdown_with_message) asks politely instead of signalling.
    process.on('message', (message) => message === 'shutdown' && shutdown('shutdown message'));
  }

  private async createMcpServer(): Promise<McpServer> {
    const McpServer = await loadMcpServer();
    const server = new McpServer({ name: this.config.name, version: this.config.version });
    for (const t of this.tools.values()) {
      const { title, description, inputSchema, outputSchema, annotations, _meta } = t.config;
      const run = (args: Record<string, unknown>, extra: ToolExtra): Promise<CallToolResult> => this.serveTraced(t, args, extra);
      const sdkConfig = { title, description, inputSchema, outputSchema, annotations, _meta } as Parameters<McpServer['registerTool']>[1];
      if (inputSchema !== undefined) server.registerTool(t.name, sdkConfig, run as never);
      else server.registerTool(t.name, sdkConfig, ((extra: ToolExtra) => run({}, extra)) as never);
    }
    for (const setup of this.serverSetups) setup(server);
    return server;
  }

  /** A tool call from an MCP client (a mesh agent or any other): its span, continuing the caller's trace if it sent one. */
  private async serveTraced(t: ToolDefinition, args: Record<string, unknown>, extra: ToolExtra): Promise<CallToolResult> {
    const span = this.tracer.serve(t.name, t.config.capability ?? t.name, incomingParent(extra));
    if (span.context) setCurrentSpan(extra, span.context);
    const consumer = extra.requestInfo?.headers[MESH_CONSUMER_HEADER];
    if (typeof consumer === 'string') span.peerAgentId = consumer;
    try {
      const result = toCallToolResult(await t.handler(args, this.wiring.depsFor(t.name, extra), extra));
      if (result.isError) span.end('tool_error', resultText(result));
      else span.end('ok');
      return result;
    } catch (error) {
      // The SDK answers it as an isError result.
      span.end('tool_error', error);
      throw error;
    }
  }

  /**
   * A self-proxy call: arguments validated as the SDK does; the handler's own value is returned (the caller turns it
   * into a result only if it needs one); invalid arguments and thrown errors become the SDK's isError result.
   */
  private async invokeLocal(t: ToolDefinition, args: Record<string, unknown>, extra: ToolExtra): Promise<unknown> {
    const span = this.tracer.serve(t.name, t.config.capability ?? t.name, incomingParent(extra));
    if (span.context) setCurrentSpan(extra, span.context);
    const value = await this.invokeValidated(t, args, extra);
    if (isCallToolResult(value) && value.isError) span.end('tool_error', resultText(value));
    else span.end('ok');
    return value;
  }

  private async invokeValidated(t: ToolDefinition, args: Record<string, unknown>, extra: ToolExtra): Promise<unknown> {
    let input: Record<string, unknown> = {};
    if (t.validator) {
      const parsed = t.asyncInput ? await safeParseAsync(t.validator, args) : await parseFirstSync(t, args);
      if (!parsed.success) {
        const message = `Input validation error: Invalid arguments for tool ${t.name}: ${getParseErrorMessage(parsed.error)}`;
        return errorResult(await invalidParams(message));
      }
      input = parsed.data as Record<string, unknown>;
    }
    try {
      const value = await t.handler(input, this.wiring.depsFor(t.name, extra), extra);
      const invalid = t.output ? await checkOutput(t, value) : undefined;
      return invalid ? errorResult(invalid) : value;
    } catch (error) {
      return errorResult(error);
    }
  }

  /** The POST /heartbeat body. */
  private registration(port: number): HeartbeatRequest {
    const { config } = this;
    const tools: ToolRegistration[] = [...this.tools.values()].map((t) => ({
      function_name: t.name,
      capability: t.config.capability ?? t.name,
      version: t.config.version ?? config.version,
      tags: [...(t.config.tags ?? [])],
      description: t.config.description ?? '',
      input_schema: t.jsonInput ?? { type: 'object', properties: {} },
      ...(t.jsonOutput ? { output_schema: t.jsonOutput } : {}),
      // Always objects: MCP Mesh's registry refuses a bare capability string here.
      dependencies: (t.config.dependencies ?? []).map(wireDependency),
      ...weightKwargs(t.config.weight ?? config.weight),
    }));
    return {
      agent_id: config.agentId,
      name: config.name,
      version: config.version,
      agent_type: 'mcp_agent',
      runtime: 'typescript',
      description: config.description ?? '',
      http_host: config.advertisedHost,
      http_port: port,
      namespace: config.namespace,
      tools,
      metadata: { ...processMetadata(), ...(servesTls(this.config.tls) ? { tls: true } : {}) },
    };
  }

  private metricsText(): string {
    return renderAgentMetrics({ stats: this.tracer.stats, dependencies: () => this.wiring.counts(), spans: () => this.tracer.counts() });
  }

  private async status(): Promise<HttpStatus> {
    const health = this.heartbeat?.lastHealth ?? (this.options.healthCheck ? undefined : { status: 'healthy' as const });
    const deps = this.wiring.counts();
    return {
      healthy: health?.status !== 'unhealthy',
      body: {
        status: health?.status ?? 'healthy',
        ...(health?.error ? { error: health.error } : {}),
        agent_id: this.config.agentId,
        name: this.config.name,
        version: this.config.version,
        uptime_seconds: Math.round((Date.now() - this.startedAt) / 1000),
        registry: this.heartbeat?.state ?? 'standalone',
        topology_hash: this.wiring.hash || null,
        dependencies: deps,
        sessions: this.http?.sessionCount ?? 0,
        mcp_requests: this.http?.mcpRequests ?? 0,
        tracing: this.config.tracing ? { enabled: true, ...this.tracer.counts() } : { enabled: false },
      },
    };
  }
}

/** A wrong strategy or weight is a programming error: say so at registration, not on the first call. */
function checkSpreading(tool: string, config: { weight?: number; dependencies?: readonly DependencySpec[] }): void {
  if (config.weight !== undefined && !(Number.isFinite(config.weight) && config.weight > 0 && config.weight <= MAX_WEIGHT)) {
    throw new Error(`tool "${tool}": weight must be a positive number up to ${MAX_WEIGHT} (got ${config.weight})`);
  }
  for (const d of config.dependencies ?? []) {
    if (typeof d === 'string') continue;
    if (d.strategy !== undefined && !isSelectionStrategy(d.strategy)) {
      throw new Error(
        `tool "${tool}": dependency ${d.capability}: strategy must be one of ${SELECTION_STRATEGIES.join(', ')} (got ${String(d.strategy)})`,
      );
    }
    for (const field of ['select', 'filter'] as const) {
      if (d[field] !== undefined && typeof d[field] !== 'function')
        throw new Error(`tool "${tool}": dependency ${d.capability}: ${field} must be a function`);
    }
  }
}

/** A dependency as the registry gets it: always an object (MCP Mesh's registry refuses a bare string), no local fields. */
function wireDependency(d: DependencySpec): NonNullable<ToolRegistration['dependencies']>[number] {
  if (typeof d === 'string') return { capability: d };
  const { strategy: _strategy, select: _select, filter: _filter, ...wire } = d;
  return wire as NonNullable<ToolRegistration['dependencies']>[number];
}

/** A provider's weight travels as its tool's `kwargs.weight` (where MCP Mesh keeps a tool's options); 1 is not sent. */
function weightKwargs(weight: number | undefined): Pick<ToolRegistration, 'kwargs'> {
  return weight !== undefined && weight !== 1 ? { kwargs: { weight } } : {};
}

/**
 * The SDK parses tool arguments asynchronously; a synchronous parse gives the same answer without the promise
 * chain, and zod throws when a schema needs async work: that tool then parses asynchronously from now on.
 */
function parseFirstSync(t: ToolDefinition, args: Record<string, unknown>): ReturnType<typeof safeParse> | Promise<ReturnType<typeof safeParse>> {
  try {
    return safeParse(t.validator!, args);
  } catch {
    t.asyncInput = true;
    return safeParseAsync(t.validator!, args);
  }
}

/** The SDK's check of a tool's result against its outputSchema (McpServer makes it for remote calls). */
async function checkOutput(t: ToolDefinition, value: unknown): Promise<McpError | undefined> {
  let structured: unknown;
  if (isCallToolResult(value)) {
    if (!('content' in value) || value.isError) return undefined;
    structured = value.structuredContent;
  } else {
    // What toCallToolResult would make of the value: only a plain object becomes structured content.
    structured = isPlainObject(value) ? value : undefined;
  }
  if (!structured) {
    return invalidParams(`Output validation error: Tool ${t.name} has an output schema but no structured content was provided`);
  }
  const parsed = await safeParseAsync(t.output!, structured);
  if (parsed.success) return undefined;
  return invalidParams(`Output validation error: Invalid structured content for tool ${t.name}: ${getParseErrorMessage(parsed.error)}`);
}

/** The SDK's error for arguments or a result its checks refuse (loaded with the first one: sdk-server.ts). */
async function invalidParams(message: string): Promise<McpError> {
  const { McpError, ErrorCode } = await loadSdkTypes();
  return new McpError(ErrorCode.InvalidParams, message);
}

/**
 * Under PM2, `ready` once the agent is in the mesh (registered, or serving when standalone): with `wait_ready: true`
 * a reload replaces a process only when its successor can take calls.
 */
function tellPm2Ready(): void {
  if (process.env.pm_id !== undefined) process.send?.('ready');
}

/** `?pid=&pm_id=` for HEAD and DELETE under PM2 (see HeartbeatOptions.processQuery); empty otherwise. */
function processQuery(metadata: { pid: number; pm_id?: number }): string {
  return metadata.pm_id === undefined ? '' : `?pid=${metadata.pid}&pm_id=${metadata.pm_id}`;
}
