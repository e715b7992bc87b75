// The CLI's view of the registry HTTP API: typed reads, one-line errors, and the SSE event stream.
import { CliError, UsageError } from './errors.js';
import { SseParser, type SseMessage } from '../core/sse-parser.js';
import type {
  AgentsResponse,
  AgentView,
  CapabilitiesResponse,
  EventsResponse,
  HealthResponse,
  RegistryEvent,
} from '../core/wire.js';

export type { AgentsResponse, AgentView, CapabilitiesResponse, CapabilityView, EventsResponse, HealthResponse } from '../core/wire.js';

type Query = Record<string, string | number | undefined>;

export class RegistryClient {
  readonly baseUrl: string;

  constructor(
    baseUrl: string,
    readonly token?: string,
    private readonly timeoutMs = 10_000,
  ) {
    let url: URL;
    try {
      url = new URL(baseUrl);
    } catch {
      throw new UsageError(`--registry must be an http(s) URL such as http://127.0.0.1:8000 (got "${baseUrl}")`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new UsageError(`--registry must be an http(s) URL such as http://127.0.0.1:8000 (got "${baseUrl}")`);
    }
    this.baseUrl = url.href.replace(/\/+$/, '');
  }

  health(): Promise<HealthResponse> {
    return this.get<HealthResponse>('/health');
  }

  agents(): Promise<AgentsResponse> {
    return this.get<AgentsResponse>('/agents');
  }

  async agent(id: string): Promise<AgentView | undefined> {
    return this.get<AgentView>(`/agents/${encodeURIComponent(id)}`, {}, { notFound: true });
  }

  async capabilities(query: { name?: string; tags?: string[] } = {}): Promise<CapabilitiesResponse> {
    return this.get<CapabilitiesResponse>('/capabilities', {
      name: query.name,
      tags: query.tags?.length ? query.tags.join(',') : undefined,
    });
  }

  events(query: { since?: number; limit?: number; agent_id?: string; type?: string } = {}): Promise<EventsResponse> {
    return this.get<EventsResponse>('/events', query);
  }

  /**
   * An agent by id, else by name (a healthy one first). Names are not unique: several instances of one
   * agent share it, so an ambiguous name among healthy agents is an error that lists the ids.
   */
  async findAgent(ref: string): Promise<AgentView> {
    const byId = await this.agent(ref).catch((error: unknown) => {
      if (error instanceof CliError && /answered (400|410)/.test(error.message)) return undefined;
      throw error;
    });
    if (byId) return byId;
    const { agents } = await this.agents();
    const named = agents.filter((agent) => agent.name === ref);
    const healthy = named.filter((agent) => agent.status === 'healthy');
    const candidates = healthy.length ? healthy : named;
    if (candidates.length === 1) return candidates[0]!;
    if (candidates.length > 1) {
      throw new UsageError(`"${ref}" names ${candidates.length} agents: ${candidates.map((agent) => agent.id).join(', ')} (pass an id)`);
    }
    throw new UsageError(`no agent "${ref}" at ${this.baseUrl} (see pm2-mesh list)`);
  }

  async get<T>(path: string, query: Query = {}, { notFound = false } = {}): Promise<T> {
    const response = await this.request(path, query, { Accept: 'application/json' });
    if (notFound && response.status === 404) return undefined as T;
    if (!response.ok) throw await this.failure(path, response);
    return (await response.json()) as T;
  }

  /**
   * The live event stream (SSE). Yields events until the stream ends; the caller reconnects with the
   * last id it saw, so no event is missed across a registry restart.
   */
  async *stream(lastEventId: number | undefined, signal: AbortSignal): AsyncGenerator<RegistryEvent> {
    const headers: Record<string, string> = { Accept: 'text/event-stream' };
    if (lastEventId !== undefined) headers['Last-Event-ID'] = String(lastEventId);
    const response = await this.request('/events/stream', {}, headers, signal, false);
    if (!response.ok || !response.body) throw await this.failure('/events/stream', response);
    const decoder = new TextDecoder();
    const parser = new SseParser();
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      for (const message of parser.feed(decoder.decode(chunk, { stream: true }))) {
        const event = toEvent(message);
        if (event) yield event;
      }
    }
  }

  private async request(
    path: string,
    query: Query,
    headers: Record<string, string>,
    signal?: AbortSignal,
    timeout = true,
  ): Promise<Response> {
    const url = new URL(this.baseUrl + path);
    for (const [key, value] of Object.entries(query)) {
      if (value !== undefined && value !== '') url.searchParams.set(key, String(value));
    }
    if (this.token) headers.Authorization = `Bearer ${this.token}`;
    const signals = [signal, timeout ? AbortSignal.timeout(this.timeoutMs) : undefined].filter((s): s is AbortSignal => !!s);
    try {
      return await fetch(url, { headers, signal: signals.length ? AbortSignal.any(signals) : undefined });
    } catch (error) {
      if (signal?.aborted) throw error;
      throw this.unreachable(error);
    }
  }

  unreachable(error: unknown): CliError {
    const err = error as Error & { cause?: { code?: string; message?: string } };
    const reason =
      err.name === 'TimeoutError'
        ? `no answer within ${this.timeoutMs / 1000} s`
        : (err.cause?.code ?? err.cause?.message ?? err.message ?? 'unknown error');
    return new CliError(
      `registry unreachable at ${this.baseUrl} (${reason}); start it with \`pm2-mesh up\` or point --registry at it`,
    );
  }

  private async failure(path: string, response: Response): Promise<CliError> {
    let detail = '';
    try {
      const body = (await response.json()) as { error?: string };
      detail = body.error ? `: ${body.error}` : '';
    } catch {
      // a body that is not JSON adds nothing to the status
    }
    if (response.status === 401) {
      return new CliError(`registry at ${this.baseUrl} answered 401${detail}; pass --token or set MCP_MESH_REGISTRY_TOKEN`);
    }
    return new CliError(`registry at ${this.baseUrl} answered ${response.status} for ${path}${detail}`);
  }
}

function toEvent(message: SseMessage): RegistryEvent | undefined {
  if (!message.data) return undefined;
  try {
    const event = JSON.parse(message.data) as RegistryEvent;
    return typeof event === 'object' && event !== null ? event : undefined;
  } catch {
    return undefined;
  }
}
