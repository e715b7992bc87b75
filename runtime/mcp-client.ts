// MCP client sessions to other agents: one kept-alive SDK Client per provider endpoint, shared by every proxy
// that points there, re-initialized when the provider restarted (its answer to our old session id is 404).
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { RequestOptions } from '@modelcontextprotocol/sdk/shared/protocol.js';
import type { AnySchema, SchemaOutput } from '@modelcontextprotocol/sdk/server/zod-compat.js';
import type { CallToolResult, ClientRequest } from '@modelcontextprotocol/sdk/types.js';
import { MCP_PATH, MESH_CONSUMER_HEADER } from '../core/mesh-session.js';
import { propagationFields, type TraceContext } from '../core/trace-context.js';
import type { Logger } from './log.js';
import { describeError } from './log.js';
import { meshFetch } from './mesh-fetch.js';
import {
  classifyFailure,
  failsOver,
  NEW_SESSION_RETRIES,
  ProviderUnreachableError,
  recognizeHttpErrors,
  retriesOnNewSession,
} from './retry-policy.js';

export interface CallToolOptions {
  signal?: AbortSignal;
  timeoutMs: number;
  /** The call's span: sent as W3C trace context in `_meta` (and as headers, by mesh-fetch.ts). */
  trace?: TraceContext;
}

interface ClientSide {
  Client: typeof Client;
  StreamableHTTPClientTransport: typeof StreamableHTTPClientTransport;
}

/** The SDK's client side, loaded with the first session to another agent: an agent that calls no one never needs it. */
let clientSide: Promise<ClientSide> | undefined;

function loadClientSide(): Promise<ClientSide> {
  clientSide ??= Promise.all([
    import('@modelcontextprotocol/sdk/client/index.js'),
    import('@modelcontextprotocol/sdk/client/streamableHttp.js'),
  ]).then(([client, http]) => {
    recognizeHttpErrors(http.StreamableHTTPError);
    return { Client: client.Client, StreamableHTTPClientTransport: http.StreamableHTTPClientTransport };
  });
  return clientSide;
}

interface Session {
  pending: Promise<Client>;
  client?: Client;
  /** Calls under way: a session dropped from the pool closes only once they are done. */
  inFlight: number;
  retired?: boolean;
}

export class McpClientPool {
  private readonly sessions = new Map<string, Session>();

  constructor(
    private readonly consumerId: string,
    private readonly version: string,
    private readonly log: Logger,
    /** false: plain MCP sessions (the provider answers with SSE, so progress notifications reach us). */
    private readonly meshSessions = true,
  ) {}

  /** tools/call on the agent at `endpoint`, again on a new session if retry-policy.ts says so. */
  async callTool(endpoint: string, name: string, args: Record<string, unknown>, options: CallToolOptions): Promise<CallToolResult> {
    // _meta first: mesh-fetch.ts finds the trace context at the start of the body to send it as headers too.
    const params = options.trace ? { _meta: propagationFields(options.trace), name, arguments: args } : { name, arguments: args };
    return this.withSession(
      endpoint,
      async (client) => (await client.callTool(params, undefined, { signal: options.signal, timeout: options.timeoutMs })) as CallToolResult,
    );
  }

  /** Any request on the agent's session (the gateway forwards tools/call with progress, and lists tools), same retries. */
  request<T extends AnySchema>(endpoint: string, request: ClientRequest, resultSchema: T, options: RequestOptions): Promise<SchemaOutput<T>> {
    return this.withSession(endpoint, (client) => client.request(request, resultSchema, options));
  }

  private async withSession<R>(endpoint: string, run: (client: Client) => Promise<R>): Promise<R> {
    for (let attempt = 0; ; attempt++) {
      const session = this.session(endpoint);
      const reused = session.client !== undefined;
      session.inFlight += 1;
      let client: Client | undefined;
      try {
        client = await session.pending;
        return await run(client);
      } catch (error) {
        const failure = classifyFailure(error);
        if (client && attempt < NEW_SESSION_RETRIES && retriesOnNewSession(failure, reused)) {
          this.log.debug(`session to ${endpoint} lost (${describeError(error)}), re-initializing`);
          this.retire(endpoint, session);
          continue;
        }
        if (failsOver(failure)) this.retire(endpoint, session);
        throw error;
      } finally {
        session.inFlight -= 1;
        if (session.retired && session.inFlight === 0) void closeSession(session);
      }
    }
  }

  /** Stop using sessions to endpoints no longer wired (each closes once its calls under way are done). */
  retain(endpoints: Set<string>): void {
    for (const [endpoint, session] of [...this.sessions]) if (!endpoints.has(endpoint)) this.retire(endpoint, session);
  }

  async closeAll(): Promise<void> {
    const sessions = [...this.sessions.values()];
    this.sessions.clear();
    await Promise.all(sessions.map(closeSession));
  }

  private session(endpoint: string): Session {
    const existing = this.sessions.get(endpoint);
    if (existing) return existing;
    const session: Session = { pending: this.connect(endpoint), inFlight: 0 };
    this.sessions.set(endpoint, session);
    session.pending.then(
      (client) => (session.client = client),
      // A failed connect must not stay cached: the next call tries again.
      () => this.sessions.get(endpoint) === session && this.sessions.delete(endpoint),
    );
    return session;
  }

  private async connect(endpoint: string): Promise<Client> {
    const { Client, StreamableHTTPClientTransport } = await loadClientSide();
    const client = new Client({ name: `mesh:${this.consumerId}`, version: this.version });
    const transport = new StreamableHTTPClientTransport(new URL(MCP_PATH, endpoint), {
      requestInit: { headers: this.meshSessions ? { [MESH_CONSUMER_HEADER]: this.consumerId } : {} },
      fetch: meshFetch,
      reconnectionOptions: { initialReconnectionDelay: 1000, maxReconnectionDelay: 1000, reconnectionDelayGrowFactor: 1, maxRetries: 0 },
    });
    client.onerror = (error) => this.log.debug(`session to ${endpoint}: ${describeError(error)}`);
    try {
      await client.connect(transport);
    } catch (error) {
      await client.close().catch(() => undefined);
      if (failsOver(classifyFailure(error))) throw new ProviderUnreachableError(`connect ${endpoint}: ${describeError(error)}`, { cause: error });
      throw error;
    }
    this.log.debug(`session to ${endpoint} open (${transport.sessionId})`);
    return client;
  }

  /** New calls get a new session; this one closes when its last call is done. */
  private retire(endpoint: string, session: Session): void {
    if (this.sessions.get(endpoint) === session) this.sessions.delete(endpoint);
    session.retired = true;
    if (session.inFlight === 0) void closeSession(session);
  }
}

async function closeSession(session: Session): Promise<void> {
  const client = await session.pending.catch(() => undefined);
  await client?.close().catch(() => undefined);
}
