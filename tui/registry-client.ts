// The dashboard's only door to the registry: GETs with a timeout and the bearer token.

export interface RegistryClientOptions {
  registryUrl: string;
  token?: string;
  /** Milliseconds before a request counts as failed (the dashboard never waits longer). */
  timeoutMs?: number;
}

/** The registry answered, but not with 2xx. */
export class RegistryHttpError extends Error {
  constructor(
    readonly path: string,
    readonly status: number,
  ) {
    super(status === 401 ? `registry refused the token (401) on ${path}` : `registry answered ${status} on ${path}`);
  }
}

export class RegistryClient {
  readonly baseUrl: string;
  private readonly token: string | undefined;
  private readonly timeoutMs: number;

  constructor(options: RegistryClientOptions) {
    this.baseUrl = options.registryUrl.replace(/\/+$/, '');
    this.token = options.token || undefined;
    this.timeoutMs = options.timeoutMs ?? 2000;
  }

  headers(extra: Record<string, string> = {}): Record<string, string> {
    return this.token ? { ...extra, authorization: `Bearer ${this.token}` } : extra;
  }

  url(path: string): string {
    return this.baseUrl + path;
  }

  async getJson(path: string): Promise<unknown> {
    const res = await this.get(path, 'application/json');
    return res.json();
  }

  async getText(path: string): Promise<string> {
    const res = await this.get(path, 'text/plain');
    return res.text();
  }

  private async get(path: string, accept: string): Promise<Response> {
    const res = await fetch(this.url(path), {
      headers: this.headers({ accept }),
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    if (!res.ok) {
      await res.body?.cancel();
      throw new RegistryHttpError(path, res.status);
    }
    return res;
  }
}
