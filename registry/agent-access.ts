// Who may change the mesh. With a secret, each agent proves its name with its own credential (core/credentials.ts)
// and registers only that name and the capabilities its token and policy allow; an operator credential (or the
// shared --token) reads and unregisters. Without a secret or a token the registry is open, as MCP Mesh's is, to
// whoever passes the Host/Origin/Content-Type checks. Refused registrations leave a `refused` event, never a token.
import { timingSafeEqual } from 'node:crypto';
import type Koa from 'koa';
import { describeCredential, verifyCredential, type CredentialClaims } from '../core/credentials.js';
import type { HeartbeatRequest } from '../core/wire.js';
import { HttpError } from './body.js';
import { forbiddenCapabilities, type Policies } from './policies.js';
import { changesState } from './request-guard.js';

export interface AccessOptions {
  /** Signs agent credentials; without it agents need none. */
  secret?: Buffer;
  /** The shared token: with a secret an operator credential, alone a key to everything (the old model). */
  token?: string;
  /** Reads need no credential from anywhere (else: none from loopback when only a secret is set). */
  publicRead: boolean;
  policies: Policies;
  /** How an agent named `name` gets a credential here (said in every 401). */
  credentialHelp: (name: string) => string;
}

/** What the registry needs to know of its agents to check a credential, and where a refusal is recorded. */
export interface AccessStore {
  nameOf(agentId: string): string | undefined;
  recordRefusal(agentId: string, agentName: string, data: Record<string, unknown>): void;
}

type Caller = { kind: 'anyone' } | { kind: 'operator' } | { kind: 'agent'; claims: CredentialClaims } | { kind: 'nobody' };

const CACHE_LIMIT = 1024;
/** One `refused` event per agent name and reason in this window: a retry loop must not flush the event log. */
const REFUSAL_EVENT_WINDOW_MS = 10_000;
const LOOPBACK = /^(127\.|::1$|::ffff:127\.)/;

export class AgentAccess {
  /** Verified tokens (HEADs arrive every few seconds with the same one): token → claims, or null when invalid. */
  private readonly verified = new Map<string, CredentialClaims | null>();
  private readonly lastRefusalEvent = new Map<string, number>();

  constructor(
    private readonly options: AccessOptions,
    private readonly store: AccessStore,
  ) {}

  get enforced(): boolean {
    return this.options.secret !== undefined || this.options.token !== undefined;
  }

  /** Koa middleware: names the caller (ctx.state.caller) and refuses reads that need a credential. */
  middleware(): Koa.Middleware {
    return async (ctx, next) => {
      const caller = this.identify(ctx.get('Authorization'));
      ctx.state.caller = caller;
      if (caller.kind === 'nobody') {
        const write = changesState(ctx.method, ctx.path);
        if (!write && !this.mayReadWithout(ctx.request.ip)) {
          throw unauthorized(
            `missing credential: reads ${this.options.token ? '' : 'from another host '}need Authorization: Bearer <token> (an operator or agent credential)`,
          );
        }
        // With one shared token there is no agent to name: refused before the body is read, as always.
        if (write && !this.options.secret) throw unauthorized('missing or wrong token: send Authorization: Bearer <token>');
      }
      await next();
    };
  }

  /** Throws (and records a `refused` event) unless the caller may register this agent as described. */
  checkRegistration(ctx: Koa.Context, request: HeartbeatRequest): void {
    const caller = ctx.state.caller as Caller;
    const agentId = request.agent_id;
    const name = request.name ?? agentId; // the store's rule: an agent without a name goes by its id
    const refuse = (status: 401 | 403, reason: string, missing: string[] = []) => {
      this.recordRefusal(agentId, name, { reason, ...(missing.length ? { missing } : {}), source: ctx.request.ip });
      throw status === 401 ? unauthorized(reason) : new HttpError(403, reason);
    };
    if (caller.kind === 'anyone') return;
    if (caller.kind === 'nobody') refuse(401, `agent ${JSON.stringify(name)} has no credential: ${this.options.credentialHelp(name)}`);
    if (caller.kind === 'operator')
      refuse(403, `an operator credential registers no agent: give agent ${JSON.stringify(name)} its own (${this.options.credentialHelp(name)})`);
    const claims = (caller as { claims: CredentialClaims }).claims;
    if (claims.agent !== name)
      refuse(403, `${describeCredential(claims)} cannot register agent ${JSON.stringify(name)}`, [`a credential for agent ${JSON.stringify(name)}`]);
    const owner = this.store.nameOf(agentId);
    if (owner !== undefined && owner !== name) refuse(403, `agent id ${JSON.stringify(agentId)} belongs to agent ${JSON.stringify(owner)}`);
    const capabilities = new Set((request.tools ?? []).flatMap((tool) => (tool.capability === undefined ? [] : [tool.capability])));
    const forbidden = forbiddenCapabilities(capabilities, claims.capabilities, this.options.policies.get(name));
    if (forbidden.length) {
      refuse(
        403,
        `agent ${JSON.stringify(name)} may not provide capabilit${forbidden.length > 1 ? 'ies' : 'y'} ${forbidden.join(', ')}: ` +
          'not in its credential or policy (pm2-mesh token create --agent NAME --capability C…, or the policies)',
        forbidden,
      );
    }
  }

  /** Throws unless the caller may heartbeat or unregister this agent id. */
  checkAgent(ctx: Koa.Context, agentId: string): void {
    const caller = ctx.state.caller as Caller;
    if (caller.kind === 'anyone' || caller.kind === 'operator') return;
    const owner = this.store.nameOf(agentId);
    if (caller.kind === 'nobody')
      throw unauthorized(`missing credential for agent ${JSON.stringify(owner ?? agentId)}: ${this.options.credentialHelp(owner ?? 'NAME')}`);
    if (owner !== undefined && owner !== caller.claims.agent) {
      throw new HttpError(
        403,
        `${describeCredential(caller.claims)} cannot act for agent id ${JSON.stringify(agentId)} (agent ${JSON.stringify(owner)})`,
      );
    }
  }

  private identify(authorization: string): Caller {
    if (!this.enforced) return { kind: 'anyone' };
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    if (!match) {
      if (authorization) throw unauthorized('Authorization must be "Bearer <token>"');
      return { kind: 'nobody' };
    }
    const token = match[1]!;
    const { secret } = this.options;
    if (this.options.token !== undefined && sameText(token, this.options.token)) return secret ? { kind: 'operator' } : { kind: 'anyone' };
    const claims = secret ? this.verify(secret, token) : undefined;
    if (!claims) throw unauthorized('credential not accepted: it was not issued by this registry (or was altered); ask for a new one');
    if (claims.role === 'operator') return { kind: 'operator' };
    return typeof claims.agent === 'string' ? { kind: 'agent', claims } : { kind: 'nobody' };
  }

  private verify(secret: Buffer, token: string): CredentialClaims | undefined {
    let claims = this.verified.get(token);
    if (claims === undefined) {
      if (this.verified.size >= CACHE_LIMIT) this.verified.clear();
      claims = verifyCredential(secret, token) ?? null;
      this.verified.set(token, claims);
    }
    return claims ?? undefined;
  }

  private mayReadWithout(ip: string): boolean {
    if (this.options.publicRead) return true;
    return this.options.token === undefined && LOOPBACK.test(ip);
  }

  private recordRefusal(agentId: string, name: string, data: Record<string, unknown>): void {
    const key = `${name}\u0000${data.reason}`;
    const now = Date.now();
    if (now - (this.lastRefusalEvent.get(key) ?? 0) < REFUSAL_EVENT_WINDOW_MS) return;
    if (this.lastRefusalEvent.size >= CACHE_LIMIT) this.lastRefusalEvent.clear();
    this.lastRefusalEvent.set(key, now);
    this.store.recordRefusal(agentId, name, data);
  }
}

function unauthorized(message: string): HttpError {
  return Object.assign(new HttpError(401, message), { headers: { 'WWW-Authenticate': 'Bearer realm="mcp-mesh-registry"' } });
}

function sameText(a: string, b: string): boolean {
  // Compared in constant time for equal lengths; a length mismatch says only that it is wrong.
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}
