// Agent credentials: a bearer token that names the agent it belongs to and, optionally, the capabilities that
// agent may provide, signed with the registry's secret (HMAC-SHA256). The registry keeps no list of tokens: it
// checks the signature, so a token survives restarts and none is ever stored. Under PM2 the same secret (a 0600
// file in PM2_HOME) lets ecosystem.config.js derive each app's token with no step by the user.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The first part of every token: the format's version. */
const PREFIX = 'mesh1';
const SECRET_BYTES = 32;

export interface CredentialClaims {
  /** The agent name this token may register; absent on an operator token. */
  agent?: string;
  /** Capabilities the agent may provide; absent = whatever the registry's policy for the name allows. */
  capabilities?: string[];
  /** `operator`: reads and unregisters any agent, registers none (for the CLI on another host, dashboards). */
  role?: 'operator';
}

/** Where the PM2 module keeps its secret: beside the registry's data file, in PM2_HOME. */
export const secretFileIn = (pm2Home: string): string => join(pm2Home, 'mesh', 'secret');

export function signCredential(secret: Buffer, claims: CredentialClaims): string {
  const payload = Buffer.from(JSON.stringify(claims)).toString('base64url');
  return `${PREFIX}.${payload}.${mac(secret, payload)}`;
}

/** The claims of a token signed with `secret`, or undefined for anything else (never throws). */
export function verifyCredential(secret: Buffer, token: string): CredentialClaims | undefined {
  const parts = token.split('.');
  if (parts.length !== 3 || parts[0] !== PREFIX) return undefined;
  const expected = Buffer.from(mac(secret, parts[1]!));
  const given = Buffer.from(parts[2]!);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
  try {
    const claims = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')) as CredentialClaims;
    return claims && typeof claims === 'object' ? claims : undefined;
  } catch {
    return undefined;
  }
}

/** A token as the user may see it in a message: its kind, never its signature. */
export function describeCredential(claims: CredentialClaims): string {
  if (claims.role === 'operator') return 'an operator credential';
  const caps = claims.capabilities ? ` (capabilities ${claims.capabilities.join(', ') || 'none'})` : '';
  return `the credential of agent ${JSON.stringify(claims.agent)}${caps}`;
}

/** The secret in `file`, created (32 random bytes, mode 0600, folder 0700) when there is none yet. */
export function readOrCreateSecret(file: string): Buffer {
  try {
    return readSecret(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  try {
    // `wx`: whoever comes second (the module and ecosystem.config.js may race) reads the first one's secret.
    writeFileSync(file, `${randomBytes(SECRET_BYTES).toString('base64url')}\n`, { flag: 'wx', mode: 0o600 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  return readSecret(file);
}

export function readSecret(file: string): Buffer {
  const text = readFileSync(file, 'utf8').trim();
  if (text.length < 32) throw new Error(`${file} holds no usable secret (expected at least 32 characters); delete it to have a new one made`);
  // A secret another process made readable to others is tightened, not trusted as is.
  try {
    chmodSync(file, 0o600);
  } catch {
    // read-only file system or not ours: it was readable, which is all we need
  }
  return Buffer.from(text);
}

function mac(secret: Buffer, payload: string): string {
  return createHmac('sha256', secret).update(`${PREFIX}.${payload}`).digest('base64url');
}

/** The credential PM2 gives the app running agent `agent`: signed with the module's secret in `pm2Home`. */
export function appCredential(pm2Home: string, agent: string, capabilities?: string[]): string {
  return signCredential(readOrCreateSecret(secretFileIn(pm2Home)), { agent, ...(capabilities ? { capabilities } : {}) });
}
