// MCP client sessions to other agents: one kept-alive SDK Client per provider endpoint, shared by every proxy
// that points there, re-initialized when the provider restarted (its answer to our old session id is 404).
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport, StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { Logger } from './log.js';
import { describeError } from './log.js';

/**
 * Header a mesh agent sends when it opens a session to another agent. The provider then answers that session
 * with plain JSON instead of SSE: cheaper, and a provider dying mid-call fails the call at once (so it can fail
 * over) instead of leaving it to the timeout.
 */
export const MESH_CONSUMER_HEADER = 'mcp-mesh-consumer';

/** Path of the MCP endpoint on every agent. */
export const MCP_PATH = '/mcp';

export interface CallToolOptions {
  signal?: AbortSignal;
  timeoutMs: number;
}

/** The request never reached a working provider: safe and useful to try another one. */
export class ProviderUnreachableError extends Error {
  override readonly name = 'ProviderUnreachableError';
}

const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT',
  'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_CLOSED',
]);

/** Connection-level failures (refused, reset, socket closed mid-answer) and a draining provider (503). */
export function isUnreachable(error: unknown): boolean {
  if (error instanceof ProviderUnreachableError) return true;
  if (error instanceof StreamableHTTPError) return error.code === 503 || error.code === 502;
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && UNREACHABLE_CODES.has(code)) return true;
    if (e.message === 'fetch failed' || e.message === 'terminated') return true;
  }
  return false;
}

function isSessionGone(error: unknown): boolean {
  return error instanceof StreamableHTTPError && error.code === 404;
}

export class McpClientPool {
  private readonly sessions = new Map<string, { pending: Promise<Client>; client?: Client }>();

  constructor(
    private readonly consumerId: string,
    private readonly version: string,
    private readonly log: Logger,
  ) {}

  /** tools/call on the agent at `endpoint`; one retry on a fresh session if the provider forgot ours. */
  async callTool(endpoint: string, name: string, args: Record<string, unknown>, options: CallToolOptions): Promise<CallToolResult> {
    for (let attempt = 0; ; attempt++) {
      const client = await this.session(endpoint);
      try {
        const result = await client.callTool({ name, arguments: args }, undefined, {
          signal: options.signal,
          timeout: options.timeoutMs,
        });
        return result as CallToolResult;
      } catch (error) {
        if (isSessionGone(error) && attempt === 0) {
          this.log.debug(`session to ${endpoint} expired, re-initializing`);
          this.drop(endpoint, client);
          continue;
        }
        if (isUnreachable(error)) this.drop(endpoint, client);
        throw error;
      }
    }
  }

  /** Close sessions to endpoints no longer wired. */
  retain(endpoints: Set<string>): void {
    for (const endpoint of [...this.sessions.keys()]) if (!endpoints.has(endpoint)) void this.close(endpoint);
  }

  async close(endpoint: string): Promise<void> {
    const entry = this.sessions.get(endpoint);
    this.sessions.delete(endpoint);
    const client = await entry?.pending.catch(() => undefined);
    await client?.close().catch(() => undefined);
  }

  async closeAll(): Promise<void> {
    await Promise.all([...this.sessions.keys()].map((e) => this.close(e)));
  }

  private session(endpoint: string): Promise<Client> {
    const existing = this.sessions.get(endpoint);
    if (existing) return existing.pending;
    const entry: { pending: Promise<Client>; client?: Client } = { pending: this.connect(endpoint) };
    this.sessions.set(endpoint, entry);
    entry.pending.then(
      (client) => (entry.client = client),
      // A failed connect must not stay cached: the next call tries again.
      () => this.sessions.get(endpoint) === entry && this.sessions.delete(endpoint),
    );
    return entry.pending;
  }

  private async connect(endpoint: string): Promise<Client> {
    const client = new Client({ name: `mesh:${this.consumerId}`, version: this.version });
    const transport = new StreamableHTTPClientTransport(new URL(MCP_PATH, endpoint), {
      requestInit: { headers: { [MESH_CONSUMER_HEADER]: this.consumerId } },
      reconnectionOptions: { initialReconnectionDelay: 1000, maxReconnectionDelay: 1000, reconnectionDelayGrowFactor: 1, maxRetries: 0 },
    });
    client.onerror = (error) => this.log.debug(`session to ${endpoint}: ${describeError(error)}`);
    try {
      await client.connect(transport);
    } catch (error) {
      await client.close().catch(() => undefined);
      if (isUnreachable(error)) throw new ProviderUnreachableError(`connect ${endpoint}: ${describeError(error)}`, { cause: error });
      throw error;
    }
    this.log.debug(`session to ${endpoint} open (${transport.sessionId})`);
    return client;
  }

  private drop(endpoint: string, client: Client): void {
    if (this.sessions.get(endpoint)?.client === client) this.sessions.delete(endpoint);
    void client.close().catch(() => undefined);
  }
}
