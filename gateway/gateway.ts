// The gateway: one MCP server that offers every healthy capability of the mesh as a tool. It follows the registry
// (mesh-view), reads each provider's own tool definitions (tool-definitions), keeps the catalog, tells connected
// sessions when the list changes, and forwards calls (forward-call). Serving (HTTP or stdio) is separate.
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { ListToolsResultSchema, type Tool } from '@modelcontextprotocol/sdk/types.js';
import { DEFAULT_CALL_TIMEOUT_S } from '../core/defaults.js';
import { RegistryClient } from '../core/registry-client.js';
import type { CapabilityView } from '../core/wire.js';
import type { ClientTls } from '../core/tls.js';
import { CircuitBreaker, McpClientPool, startTracingSinks, Tracer, useMeshTls, type Logger } from '../runtime/index.js';
import { providerKey } from './choose-provider.js';
import { buildCatalog, EMPTY_CATALOG, type Catalog } from './catalog.js';
import { NO_FILTER, type GatewayFilter } from './filter.js';
import { forwardCall, type CallExtra, type CallRoute } from './forward-call.js';
import { MeshView, type RegistryState } from './mesh-view.js';
import { createSessionServer } from './session-server.js';
import { ToolDefinitions } from './tool-definitions.js';

/** How long a change waits for new providers' tools/list before the list is published without them. */
const DEFINITIONS_WAIT_MS = 500;
const FIRST_DEFINITIONS_WAIT_MS = 5_000;
/**
 * After the registry comes back, providers it does not list (yet) are kept this long: a registry that restarted
 * empty learns of them again as they re-register (agents retry with backoff up to 30 s), as agents' wiring does.
 */
const RECOVERY_MS = 40_000;
/** The agent id the gateway shows providers in its sessions (their logs say "session opened by …"). */
const CONSUMER_ID = 'pm2-mesh-gateway';

export interface GatewayOptions {
  registryUrl: string;
  registryToken?: string;
  /** A mesh on TLS: the CA that verifies the registry and the agents, and the certificate the gateway presents. */
  tls?: ClientTls;
  filter?: GatewayFilter;
  /** Longest a call may go without an answer (or progress) before it is cancelled. */
  callTimeoutMs?: number;
  version: string;
  log: Logger;
}

export interface GatewayStatus {
  registry: RegistryState;
  registry_url: string;
  tools: number;
  sessions: number;
  calls_in_flight: number;
}

export class Gateway {
  private catalog: Catalog = EMPTY_CATALOG;
  private readonly servers = new Set<Server>();
  private readonly view: MeshView;
  private readonly definitions: ToolDefinitions;
  private readonly route: CallRoute;
  private readonly filter: GatewayFilter;
  private providers: CapabilityView[] = [];
  private recoveringUntil = 0;
  /** Agents that left while recovering: not kept. */
  private readonly gone = new Set<string>();
  private rebuilding: Promise<void> = Promise.resolve();
  private inFlight = 0;
  private started: Promise<void> | undefined;

  constructor(private readonly options: GatewayOptions) {
    const { log, version } = options;
    this.filter = options.filter ?? NO_FILTER;
    if (options.tls) useMeshTls(options.tls);
    const sessions = new McpClientPool(CONSUMER_ID, version, log);
    const streamingSessions = new McpClientPool(CONSUMER_ID, version, log, false);
    const tracing = !/^(0|false|no|off)$/i.test(process.env.MCP_MESH_TRACING ?? '');
    const tracer = new Tracer({ agentId: CONSUMER_ID, agentName: 'gateway', enabled: tracing, log });
    if (tracing) {
      const sink = {
        standalone: false,
        registryUrl: options.registryUrl,
        registryToken: options.registryToken,
        name: 'gateway',
        agentId: CONSUMER_ID,
        version,
      };
      startTracingSinks(tracer, options.tls ? { ...sink, tls: options.tls } : sink, process.env, log);
    }
    this.route = {
      sessions,
      streamingSessions,
      breaker: new CircuitBreaker(),
      timeoutMs: options.callTimeoutMs ?? DEFAULT_CALL_TIMEOUT_S * 1000,
      tracer,
      log,
    };
    this.definitions = new ToolDefinitions(async (endpoint, timeout) => {
      const tools: Tool[] = [];
      let cursor: string | undefined;
      do {
        const page = await sessions.request(endpoint, { method: 'tools/list', params: cursor ? { cursor } : {} }, ListToolsResultSchema, { timeout });
        tools.push(...page.tools);
        cursor = page.nextCursor;
      } while (cursor);
      return tools;
    }, log);
    this.view = new MeshView({
      client: new RegistryClient({ url: options.registryUrl, token: options.registryToken, ...(options.tls ? { tls: options.tls } : {}) }),
      log,
      onProviders: (providers) => {
        this.providers = this.keepDuringRecovery(providers);
        this.rebuild();
      },
      onAgentChanged: (agentId) => {
        this.definitions.forget(agentId);
        this.gone.delete(agentId);
      },
      onAgentGone: (agentId) => this.gone.add(agentId),
      onRecovered: () => {
        this.recoveringUntil = Date.now() + RECOVERY_MS;
        this.gone.clear();
        setTimeout(() => this.view.refreshNow(), RECOVERY_MS + 10).unref();
      },
    });
  }

  /** Follows the registry; resolves once the first tool list is built (or the registry is found unreachable). */
  start(): Promise<void> {
    this.started ??= this.view.start().then(() => this.rebuilding);
    return this.started;
  }

  async close(): Promise<void> {
    this.view.stop();
    await Promise.all([...this.servers].map((s) => s.close().catch(() => undefined)));
    await Promise.all([this.route.sessions.closeAll(), this.route.streamingSessions.closeAll(), this.route.tracer.close(1000)]);
  }

  status(sessions: number): GatewayStatus {
    return {
      registry: this.view.state,
      registry_url: this.options.registryUrl,
      tools: this.catalog.tools.size,
      sessions,
      calls_in_flight: this.inFlight,
    };
  }

  /** A new MCP server for one client session; it is told of every change of the tool list until it closes. */
  createServer(): Server {
    const server = createSessionServer(this, this.options.version);
    this.servers.add(server);
    const closed = server.onclose;
    server.onclose = () => {
      this.servers.delete(server);
      closed?.();
    };
    return server;
  }

  /** What tools/list answers; a session opened while the first list is being read waits for it. */
  async listTools(): Promise<Tool[]> {
    await this.started;
    return [...this.catalog.tools.values()].map((t) => t.definition);
  }

  toolNames(): string[] {
    return [...this.catalog.tools.keys()];
  }

  async call(name: string, params: Parameters<typeof forwardCall>[1], extra: CallExtra) {
    const tool = this.catalog.tools.get(name);
    if (!tool) return undefined;
    this.inFlight++;
    try {
      return await forwardCall(tool, params, extra, this.route);
    } finally {
      this.inFlight--;
    }
  }

  /** While recovering, what the registry lists plus the providers it does not list again yet. */
  private keepDuringRecovery(fresh: CapabilityView[]): CapabilityView[] {
    if (Date.now() >= this.recoveringUntil) return fresh;
    const listed = new Set(fresh.map((p) => p.agent_id));
    const kept = this.providers.filter((p) => p.available && !listed.has(p.agent_id) && !this.gone.has(p.agent_id));
    return kept.length ? [...fresh, ...kept] : fresh;
  }

  /** One rebuild at a time, each from the latest providers. */
  private rebuild(): void {
    this.rebuilding = this.rebuilding.then(() => this.build()).catch((error) => this.options.log.error(`tool list: ${String(error)}`));
  }

  private async build(): Promise<void> {
    const providers = this.providers;
    // The first list waits for every provider (a host may list only once); later changes must be quick.
    const waitMs = this.catalog === EMPTY_CATALOG ? FIRST_DEFINITIONS_WAIT_MS : DEFINITIONS_WAIT_MS;
    await this.definitions.load(providers, waitMs, () => this.rebuild());
    // The registry lists these providers as healthy now: their circuits start afresh; sessions to others close.
    this.route.breaker.reset(providers.filter((p) => p.available).map(providerKey));
    const endpoints = new Set(providers.map((p) => p.endpoint));
    this.route.sessions.retain(endpoints);
    this.route.streamingSessions.retain(endpoints);
    const next = buildCatalog(providers, this.filter, (agentId) => this.definitions.get(agentId));
    if (next.signature === this.catalog.signature) {
      this.catalog = next; // same list, maybe other providers or another order
      return;
    }
    const before = new Set(this.catalog.tools.keys());
    this.catalog = next;
    const added = [...next.tools.keys()].filter((n) => !before.has(n));
    const removed = [...before].filter((n) => !next.tools.has(n));
    const change = [...added.map((n) => `+${n}`), ...removed.map((n) => `-${n}`)].join(' ');
    this.options.log.info(`tools ${next.tools.size}${change ? ` (${change})` : ' (definitions changed)'}`);
    for (const server of this.servers) void server.sendToolListChanged().catch(() => undefined);
  }
}
