// A registry reached at one of several base URLs: replicas on one PostgreSQL database serve the same mesh, so any
// of them will do. Requests go to the one that answered last; when it cannot be reached (or answers 503: shutting
// down, or unable to commit) the same request goes at once to the next, each URL tried once per request. When all
// fail, the caller's own backoff applies (agents: 1 s doubling to 30 s; the dashboard: its reconnect loop).

/** HTTP statuses that mean "this replica cannot serve now, another may": the request moves on. */
const MOVE_ON_STATUSES = new Set([502, 503, 504]);

/**
 * Splits a comma-separated list of registry base URLs (MCP_MESH_REGISTRY_URL, --registry), without trailing
 * slashes. Throws naming `source` and the entry that is not an http(s) URL.
 */
export function parseRegistryUrls(text: string, source = 'MCP_MESH_REGISTRY_URL'): string[] {
  const parts = text
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean);
  if (parts.length === 0) throw new Error(`${source} is empty: give a registry URL such as http://127.0.0.1:8000 (several: comma-separated)`);
  const urls = parts.map((part) => {
    let parsed: URL | undefined;
    try {
      parsed = new URL(part);
    } catch {
      // reported below
    }
    if (!parsed || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')) {
      throw new Error(`${source}: "${part}" is not an http(s) URL (e.g. http://127.0.0.1:8000; several: comma-separated)`);
    }
    return parsed.href.replace(/\/+$/, '');
  });
  return [...new Set(urls)];
}

export interface FailoverOptions<T> {
  /** The status of an answer, when it has one: 502/503/504 move on to the next URL. */
  statusOf?: (answer: T) => number;
  /** True when the caller gave up (stopping): no other URL is tried. */
  stopped?: () => boolean;
}

export class RegistryEndpoints {
  private index = 0;

  constructor(
    readonly urls: readonly string[],
    /** Told when requests move to another URL (for one log line per switch). */
    private readonly onSwitch?: (from: string, to: string, reason: string) => void,
  ) {
    if (urls.length === 0) throw new Error('no registry URL');
  }

  /** The base URL requests go to now. */
  get current(): string {
    return this.urls[this.index]!;
  }

  /** All of them, comma-separated (as given). */
  toString(): string {
    return this.urls.join(',');
  }

  /**
   * Runs `attempt` on the current base URL, then on each next one while it throws or answers 502/503/504.
   * Answers the first usable result; when every URL failed, the last answer (or throws the last error).
   */
  async request<T>(attempt: (baseUrl: string) => Promise<T>, options: FailoverOptions<T> = {}): Promise<T> {
    let lastError: unknown;
    let lastAnswer: { value: T } | undefined;
    for (let tried = 0; tried < this.urls.length; tried++) {
      const base = this.current;
      let reason: string;
      try {
        const answer = await attempt(base);
        const status = options.statusOf?.(answer);
        if (status === undefined || !MOVE_ON_STATUSES.has(status)) return answer;
        lastAnswer = { value: answer };
        lastError = undefined;
        reason = `answered ${status}`;
      } catch (error) {
        lastError = error;
        lastAnswer = undefined;
        reason = describe(error);
      }
      if (options.stopped?.() || tried === this.urls.length - 1) break;
      this.advance(base, reason);
    }
    if (lastAnswer) return lastAnswer.value;
    throw lastError;
  }

  private advance(from: string, reason: string): void {
    if (this.current !== from) return; // a concurrent request moved on already
    this.index = (this.index + 1) % this.urls.length;
    this.onSwitch?.(from, this.current, reason);
  }
}

function describe(error: unknown): string {
  // A RegistryError carries the system code (`reason`, e.g. ECONNREFUSED) or the time limit.
  const err = error as { reason?: string; failure?: string; code?: string; message?: string };
  if (err?.failure === 'timeout') return `no answer within ${err.reason}`;
  return err?.reason ?? err?.code ?? err?.message ?? String(error);
}
