// What a web page can make a browser send to a server on this machine, refused: a request addressed to a
// name we do not answer to (DNS rebinding), a state change from another site's page (Origin), and a body a
// page can POST without a CORS preflight (text/plain, forms). Shared by the registry, the agents and the gateway.
import { hostname, networkInterfaces } from 'node:os';

export interface RequestGuardOptions {
  /** The address the server listens on (`0.0.0.0`/`::` = every interface). */
  bindHost: string;
  /** The port it listens on (an Origin must name it). */
  port: number;
  /** More names the server is reached by (`name` or `name:port`); `*` turns the Host check off. */
  allowedHosts?: readonly string[];
  /** More origins allowed to change state (`https://app.example`); `*` allows any. */
  allowedOrigins?: readonly string[];
}

export interface Refusal {
  status: 403 | 415 | 421;
  error: string;
}

/** What the guard reads of a request. */
export interface GuardedRequest {
  method: string;
  host?: string;
  origin?: string;
  contentType?: string;
  /** true when the request carries a body (Content-Length > 0 or chunked). */
  hasBody: boolean;
}

const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '::1'];
const WILDCARDS = new Set(['0.0.0.0', '::', '[::]', '']);

/** Methods that never change state (HEAD /heartbeat does, so callers say which routes change state). */
export const isReadMethod = (method: string): boolean => method === 'GET' || method === 'HEAD' || method === 'OPTIONS';

export class RequestGuard {
  /** Host names accepted (lowercase, no port, IPv6 without brackets); undefined = any. */
  readonly hosts: ReadonlySet<string> | undefined;
  private readonly origins: ReadonlySet<string>;
  private readonly anyOrigin: boolean;

  constructor(private readonly options: RequestGuardOptions) {
    const configured = (options.allowedHosts ?? []).map((h) => h.trim()).filter(Boolean);
    this.hosts = configured.includes('*') ? undefined : new Set([...namesOf(options.bindHost), ...configured.map(hostPart)]);
    const origins = (options.allowedOrigins ?? []).map((o) => o.trim().toLowerCase().replace(/\/+$/, '')).filter(Boolean);
    this.anyOrigin = origins.includes('*');
    this.origins = new Set(origins);
  }

  /** A line for the start-up log: which names the Host check accepts. */
  describe(): string {
    return this.hosts ? `Host accepted: ${[...this.hosts].join(', ')}` : 'Host not checked (allowed hosts: *)';
  }

  /** The refusal for a request, or undefined when it may go on. `changesState`: the route changes state. */
  check(request: GuardedRequest, changesState: boolean): Refusal | undefined {
    return this.checkHost(request.host) ?? (changesState ? (this.checkOrigin(request.origin) ?? checkJsonBody(request)) : undefined);
  }

  checkHost(host: string | undefined): Refusal | undefined {
    // No Host at all is no browser (HTTP/1.1 browsers always send it), so no rebinding.
    if (!this.hosts || host === undefined || host === '') return undefined;
    if (this.hosts.has(hostPart(host))) return undefined;
    return {
      status: 421,
      error: `Host ${JSON.stringify(host)} is not a name this server answers to; if it is, add it to the allowed hosts (--allowed-hosts or MCP_MESH_ALLOWED_HOSTS)`,
    };
  }

  checkOrigin(origin: string | undefined): Refusal | undefined {
    if (origin === undefined || this.anyOrigin) return undefined;
    const normalised = origin.trim().toLowerCase().replace(/\/+$/, '');
    if (this.origins.has(normalised)) return undefined;
    let url: URL | undefined;
    try {
      url = new URL(normalised);
    } catch {
      url = undefined;
    }
    const port = url ? Number(url.port || (url.protocol === 'https:' ? 443 : 80)) : -1;
    // Our own origin (a page served by us) is same-site; any other page is not.
    if (url && port === this.options.port && (!this.hosts || this.hosts.has(hostPart(url.host)))) return undefined;
    return {
      status: 403,
      error: `Origin ${JSON.stringify(origin)} may not change this server's state; if that page is yours, add it to the allowed origins (--allowed-origins or MCP_MESH_ALLOWED_ORIGINS)`,
    };
  }
}

/** A body on a state-changing route must be JSON: a browser sends JSON cross-site only after a CORS preflight. */
export function checkJsonBody(request: GuardedRequest): Refusal | undefined {
  const needsJson = request.hasBody || request.method === 'POST';
  if (!needsJson) return undefined;
  const type = (request.contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (type === 'application/json') return undefined;
  return {
    status: 415,
    error: `Content-Type ${type ? JSON.stringify(type) : 'missing'}: this route accepts only application/json`,
  };
}

/** `Name:Port`, `[::1]:80`, `::1` → `name`, `::1`, `::1`. */
export function hostPart(host: string): string {
  const value = host.trim().toLowerCase();
  if (value.startsWith('[')) return value.slice(1, value.indexOf(']') > 0 ? value.indexOf(']') : undefined);
  const colons = value.split(':').length - 1;
  return colons === 1 ? value.slice(0, value.indexOf(':')) : value;
}

/**
 * The names a server bound to `bindHost` is reached by without configuration: loopback always; for a wildcard
 * bind, every address of this machine and its host name (a rebinding page comes with a name of its own, never these).
 */
function namesOf(bindHost: string): string[] {
  const bind = hostPart(bindHost);
  const names = new Set(LOOPBACK_NAMES);
  if (!WILDCARDS.has(bind)) names.add(bind);
  else {
    for (const list of Object.values(networkInterfaces())) for (const address of list ?? []) names.add(address.address.toLowerCase().split('%')[0]!);
    const host = hostname().toLowerCase();
    names.add(host);
    names.add(host.split('.')[0]!);
  }
  return [...names];
}

/** The Host, Origin and body facts of a node:http request, for `check`. */
export function guardedRequest(req: { method?: string; headers: Record<string, string | string[] | undefined> }): GuardedRequest {
  const first = (name: string) => {
    const value = req.headers[name];
    return Array.isArray(value) ? value[0] : value;
  };
  const length = first('content-length');
  return {
    method: req.method ?? 'GET',
    host: first('host'),
    origin: first('origin'),
    contentType: first('content-type'),
    hasBody: (length !== undefined && length !== '0') || first('transfer-encoding') !== undefined,
  };
}
