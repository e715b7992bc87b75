// TLS for every part (registry, agents, gateway, CLI), configured as MCP Mesh 3.x does: MCP_MESH_TLS_MODE
// (off | auto | strict), MCP_MESH_TLS_CERT and MCP_MESH_TLS_KEY (this side's certificate and key) and
// MCP_MESH_TLS_CA (the CA that signs the mesh's certificates). `auto`: HTTPS, and a client certificate, when one is
// presented, must come from the CA; `strict`: mutual TLS, no connection without one. Plain HTTP stays the default.
import { readFileSync } from 'node:fs';
import type { ServerOptions } from 'node:https';
import type { TLSSocket } from 'node:tls';

export type TlsMode = 'off' | 'auto' | 'strict';
export const TLS_MODES: readonly TlsMode[] = ['off', 'auto', 'strict'];

/** Where the PEM files are (paths), as options or MCP_MESH_TLS_* variables give them. */
export interface TlsFiles {
  mode?: string;
  cert?: string;
  key?: string;
  ca?: string;
}

/** Loaded and checked: what a server listens with and a client connects with. */
export interface TlsSettings {
  mode: TlsMode;
  cert?: Buffer;
  key?: Buffer;
  ca?: Buffer;
}

/** The TLS options for a client request (node:https): our CA to verify the server, our certificate to present. */
export interface ClientTls {
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
}

export class TlsConfigError extends Error {}

export function tlsFilesFromEnv(env: NodeJS.ProcessEnv): TlsFiles {
  const get = (name: string) => env[name]?.trim() || undefined;
  return { mode: get('MCP_MESH_TLS_MODE'), cert: get('MCP_MESH_TLS_CERT'), key: get('MCP_MESH_TLS_KEY'), ca: get('MCP_MESH_TLS_CA') };
}

/**
 * Reads the files. A server (`serving`) needs a certificate and key once TLS is on, and a CA for `strict`; a
 * certificate alone means `auto`. undefined: plain HTTP and nothing to verify peers with.
 */
export function loadTls(files: TlsFiles, serving = true): TlsSettings | undefined {
  const mode = (files.mode?.toLowerCase() ?? (files.cert || files.key ? 'auto' : 'off')) as TlsMode;
  if (!TLS_MODES.includes(mode)) throw new TlsConfigError(`MCP_MESH_TLS_MODE must be one of ${TLS_MODES.join(', ')}, not "${files.mode}"`);
  // Off: plain HTTP served; a CA still verifies https peers (a registry behind TLS, say).
  if (mode === 'off') return files.ca ? { mode, ca: readPem(files.ca, 'MCP_MESH_TLS_CA') } : undefined;
  if (serving && (!files.cert || !files.key)) {
    throw new TlsConfigError(`TLS mode ${mode} needs a certificate and its key (MCP_MESH_TLS_CERT and MCP_MESH_TLS_KEY; pm2-mesh certs makes them)`);
  }
  if (mode === 'strict' && !files.ca) throw new TlsConfigError("TLS mode strict needs the CA that signs the mesh's certificates (MCP_MESH_TLS_CA)");
  if (Boolean(files.cert) !== Boolean(files.key))
    throw new TlsConfigError('MCP_MESH_TLS_CERT and MCP_MESH_TLS_KEY go together: give both or neither');
  return {
    mode,
    ...(files.cert ? { cert: readPem(files.cert, 'MCP_MESH_TLS_CERT') } : {}),
    ...(files.key ? { key: readPem(files.key, 'MCP_MESH_TLS_KEY') } : {}),
    ...(files.ca ? { ca: readPem(files.ca, 'MCP_MESH_TLS_CA') } : {}),
  };
}

/** true when a server with these settings speaks HTTPS. */
export function servesTls(tls: TlsSettings | undefined): tls is TlsSettings {
  return tls !== undefined && tls.mode !== 'off';
}

/** node:https server options: our certificate; with a CA, clients' certificates are asked for (and required in strict). */
export function serverTlsOptions(tls: TlsSettings): ServerOptions {
  return {
    cert: tls.cert,
    key: tls.key,
    minVersion: 'TLSv1.2',
    ...(tls.ca ? { ca: tls.ca, requestCert: true, rejectUnauthorized: tls.mode === 'strict' } : {}),
  };
}

export function clientTlsOptions(tls: TlsSettings | undefined): ClientTls | undefined {
  if (!tls) return undefined;
  return { ...(tls.ca ? { ca: tls.ca } : {}), ...(tls.cert ? { cert: tls.cert, key: tls.key } : {}) };
}

/**
 * In `auto` a client may come without a certificate, but one it presents must be ours: a certificate from another
 * CA is refused (strict mode refuses it in the handshake already). undefined when the connection may go on.
 */
export function untrustedPeer(socket: unknown): string | undefined {
  const tls = socket as Partial<TLSSocket>;
  if (typeof tls.getPeerCertificate !== 'function' || tls.authorized) return undefined;
  const peer = tls.getPeerCertificate();
  if (!peer || Object.keys(peer).length === 0) return undefined;
  return `client certificate not trusted (${String(tls.authorizationError ?? 'unknown issuer')}): it must be signed by the mesh's CA (MCP_MESH_TLS_CA)`;
}

function readPem(file: string, variable: string): Buffer {
  try {
    return readFileSync(file);
  } catch (error) {
    throw new TlsConfigError(`${variable}: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
}
