// Which registry the CLI talks to: --registry/--token, else MCP_MESH_REGISTRY_URL/TOKEN, else the PM2
// module's own `pm2 set mesh:*` values (so `pm2 set mesh:port 8123` needs no flag), else the default.
import { DEFAULT_REGISTRY_HOST, DEFAULT_REGISTRY_PORT } from '../core/defaults.js';
import { RegistryClient, RegistryError } from '../core/registry-client.js';
import { clientTlsOptions, loadTls, tlsFilesFromEnv, type ClientTls, type TlsFiles } from '../core/tls.js';
import type { AgentView } from '../core/wire.js';
import type { Options, Values } from './args.js';
import { UsageError } from './errors.js';
import { moduleName } from './package-info.js';
import { readModuleSettings, resolvePm2Home } from './pm2-home.js';

export const registryOptions: Options = {
  registry: {
    type: 'string',
    valueName: 'url',
    description:
      "registry URL, or several replicas comma-separated (env MCP_MESH_REGISTRY_URL; default: the PM2 module's host:port, else http://127.0.0.1:8000)",
  },
  token: { type: 'string', description: 'registry bearer token (env MCP_MESH_REGISTRY_TOKEN; default: mesh:token)' },
};

export const jsonOption: Options = { json: { type: 'boolean', description: 'print JSON instead of a table' } };

export interface Connection {
  url: string;
  token?: string;
}

/** A listening address as a client should dial it: a wildcard bind is reached on loopback. */
export function dialHost(host: string): string {
  if (host === '0.0.0.0' || host === '' || host === '::') return DEFAULT_REGISTRY_HOST;
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

export function moduleRegistryUrl(settings: Record<string, string>): string {
  const host = dialHost(settings.host ?? DEFAULT_REGISTRY_HOST);
  const port = settings.port || String(DEFAULT_REGISTRY_PORT);
  const https = Boolean(settings.tls_cert) && settings.tls_mode !== 'off';
  return `${https ? 'https' : 'http'}://${host}:${port}`;
}

/**
 * The CLI's TLS: MCP_MESH_TLS_CA (and CERT/KEY for a strict registry) from the environment, else the module's
 * `pm2 set mesh:tls_*` files (its CA verifies it; its certificate is a client certificate of the mesh too).
 */
export function cliTls(settings: Record<string, string>, env: NodeJS.ProcessEnv = process.env): ClientTls | undefined {
  const fromEnv = tlsFilesFromEnv(env);
  const files: TlsFiles =
    fromEnv.ca || fromEnv.cert
      ? fromEnv
      : {
          mode: settings.tls_mode || undefined,
          ca: settings.tls_ca || undefined,
          cert: settings.tls_cert || undefined,
          key: settings.tls_key || undefined,
        };
  return clientTlsOptions(loadTls(files, false));
}

export function resolveConnection(values: Values, env: NodeJS.ProcessEnv = process.env): Connection {
  const settings = readModuleSettings(resolvePm2Home(values, env).dir, moduleName());
  const url = (typeof values.registry === 'string' && values.registry) || env.MCP_MESH_REGISTRY_URL || moduleRegistryUrl(settings);
  const token = (typeof values.token === 'string' && values.token) || env.MCP_MESH_REGISTRY_TOKEN || settings.token || undefined;
  return { url, token };
}

export function registryClient(values: Values, timeoutMs?: number): RegistryClient {
  const { url, token } = resolveConnection(values);
  const tls = cliTls(readModuleSettings(resolvePm2Home(values).dir, moduleName()));
  return new RegistryClient({ url, token, timeoutMs, ...(tls ? { tls } : {}) });
}

/**
 * An agent by id, else by name (a healthy one first). Names are not unique: several instances of one
 * agent share it, so an ambiguous name among healthy agents is an error that lists the ids.
 */
export async function findAgent(client: RegistryClient, ref: string): Promise<AgentView> {
  const byId = await client.agent(ref).catch((error: unknown) => {
    if (error instanceof RegistryError && (error.status === 400 || error.status === 410)) return undefined;
    throw error;
  });
  if (byId) return byId;
  const { agents } = await client.agents();
  const named = agents.filter((agent) => agent.name === ref);
  const healthy = named.filter((agent) => agent.status === 'healthy');
  const candidates = healthy.length ? healthy : named;
  if (candidates.length === 1) return candidates[0]!;
  if (candidates.length > 1) {
    throw new UsageError(`"${ref}" names ${candidates.length} agents: ${candidates.map((agent) => agent.id).join(', ')} (pass an id)`);
  }
  throw new UsageError(`no agent "${ref}" at ${client.baseUrl} (see pm2-mesh list)`);
}
