// The registry as a function: createRegistry(options) wires the store, its storage, the health monitor
// and the HTTP server, and hands back { url, close, markProcessExited }. Used by main.js, the CLI and the PM2 module.
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readOrCreateSecret } from '../core/credentials.js';
import { RequestGuard } from '../core/request-guard.js';
import { loadTls, serverTlsOptions, servesTls } from '../core/tls.js';
import { AgentAccess } from './agent-access.js';
import { answerMalformedRequests, createHttpApp } from './http.js';
import { RegistryMetrics } from './metrics.js';
import { parseInlinePolicies, readPolicyFile } from './policies.js';
import { RegistrationLimits } from './registration-limits.js';
import { resolveOptions, type RegistryOptions } from './options.js';
import { openMemoryStorage } from './storage/memory.js';
import { openSqliteStorage } from './storage/sqlite/storage.js';
import { HealthMonitor } from './health-monitor.js';
import { EventStreams } from './sse.js';
import { RegistryStore } from './store/index.js';
import { TraceStore } from './trace-store.js';
import { AgentWorkers } from './workers.js';

export type { RegistryOptions } from './options.js';
export { parseRegistryArgs, REGISTRY_USAGE, UsageError } from './options.js';
export { describeUrl } from './storage/postgres/url.js';
export { runRegistryForeground } from './foreground.js';

export interface Registry {
  /** http(s)://host:port (the bound port when options.port was 0). */
  url: string;
  host: string;
  port: number;
  /** Stops serving, ends streams and long-polls, saves the data file. */
  close(): Promise<void>;
  /**
   * Marks the agents that registered with metadata.pm_id === pmId unhealthy now; returns their ids. With `host`,
   * only those whose metadata.pm2_host is that host (each host's PM2 module reports its own agents' exits).
   */
  markProcessExited(pmId: number, reason?: string, host?: string): string[];
  /** Purges every unhealthy agent now; returns their ids. */
  purgeUnhealthy(): Promise<string[]>;
  /** Saves a snapshot of the data file now (nothing to do in memory); returns where. */
  snapshot(): Promise<string>;
  /** What the PM2 module reports: agents by status, heartbeats and registrations since start. */
  stats(): { agents: { healthy: number; unhealthy: number; unknown: number; total: number }; heartbeats: number; registrations: number };
}

export const REGISTRY_VERSION = readPackageVersion();

export async function createRegistry(options: RegistryOptions = {}): Promise<Registry> {
  const config = resolveOptions(options);
  const tls = config.tls ? loadTls(config.tls, true) : undefined;
  const secret = config.secretFile ? readOrCreateSecret(config.secretFile) : undefined;
  refuseOpenNetworkBind(config.host, secret !== undefined || config.token !== undefined || tls?.mode === 'strict', config.insecure);
  const policies = new Map([
    ...(config.policyFile ? readPolicyFile(config.policyFile) : []),
    ...(config.policies ? parseInlinePolicies(config.policies, 'policies') : []),
  ]);
  const metrics = new RegistryMetrics();
  let monitor: HealthMonitor | null = null;
  const storage = config.databaseUrl
    ? // pg loads only for a registry on PostgreSQL: the default registry (sql.js) never pays its memory.
      await (await import('./storage/postgres/storage.js')).openPostgresStorage(config.databaseUrl, {
        metrics,
        log: config.log,
        maxEvents: config.maxEvents,
        timeoutS: config.timeout,
      })
    : config.dataFile
      ? await openSqliteStorage(config.dataFile, { metrics, log: config.log })
      : openMemoryStorage();
  const store = new RegistryStore({
    timeoutMs: config.timeout * 1000,
    retentionMs: config.retention * 1000,
    maxEvents: config.maxEvents,
    storage,
    metrics,
    log: config.log,
    onDeadline: (deadline) => monitor?.expect(deadline),
  });
  const restored = await storage.restore();
  store.restore(restored, storage.location);
  restored.agents.length = 0; // the registrations' text is garbage once restored

  const closing = new AbortController();
  const streams = new EventStreams(store);
  const workers = new AgentWorkers();
  const app = createHttpApp({
    store,
    workers,
    storage,
    metrics,
    streams,
    traces: new TraceStore(config.maxSpans),
    bodyLimit: config.bodyLimit,
    version: REGISTRY_VERSION,
    closing: closing.signal,
    access: new AgentAccess({ secret, token: config.token, publicRead: config.publicRead, policies, credentialHelp: config.credentialHelp }, store),
    limits: new RegistrationLimits({ maxAgents: config.maxAgents, registrationsPerMinute: config.registrationRate }),
    guard: () => guard,
    log: config.log,
  });
  let guard!: RequestGuard;
  // node:https (and node:tls under it, ~1 MB) loads only for a registry that serves TLS.
  const server = servesTls(tls) ? (await import('node:https')).createServer(serverTlsOptions(tls), app.callback()) : createServer(app.callback());
  answerMalformedRequests(server);
  try {
    // Replicas: in step with the others before serving.
    await storage.replica?.follow({
      apply: (change) => store.applyReplicated(change, storage.location),
      resync: (agents) => store.resync(agents, storage.location),
      leading: () => monitor?.expect(Date.now()),
    });
    await listen(server, config.port, config.host);
  } catch (error) {
    await storage.close();
    throw error;
  }
  const port = (server.address() as AddressInfo).port;
  guard = new RequestGuard({ bindHost: config.host, port, allowedHosts: config.allowedHosts, allowedOrigins: config.allowedOrigins });
  config.log(`registry: ${guard.describe()}; ${describeAccess(secret !== undefined, config.token !== undefined, policies.size)}`);
  monitor = new HealthMonitor(() => store.sweep(), config.healthInterval * 1000);
  monitor.start();

  const urlHost = config.host.includes(':') ? `[${config.host}]` : config.host;
  let closed: Promise<void> | null = null;
  return {
    url: `${servesTls(tls) ? 'https' : 'http'}://${urlHost}:${port}`,
    host: config.host,
    port,
    markProcessExited: (pmId, reason, host) => {
      if (closing.signal.aborted) return [];
      // A cluster app's agent goes unhealthy only with its last worker.
      const { emptied, stillServed } = workers.exited(pmId);
      return store.markProcessExited(pmId, reason, host, { also: emptied, except: stillServed });
    },
    purgeUnhealthy: async () => {
      const purged = store.purgeUnhealthy();
      await storage.durable();
      return purged;
    },
    snapshot: async () => {
      await storage.snapshot();
      return storage.location;
    },
    stats: () => ({
      agents: store.counts(),
      heartbeats: metrics.heartbeatPosts + metrics.heartbeatHeads,
      registrations: metrics.registrations,
    }),
    close: () =>
      (closed ??= (async () => {
        monitor!.stop();
        closing.abort();
        streams.closeAll();
        await new Promise<void>((resolve) => {
          // Connections go as soon as they are idle (ended streams and long-polls included); requests still
          // running get 2 s to answer, then their connections go too.
          const idle = setInterval(() => server.closeIdleConnections(), 20);
          const force = setTimeout(() => server.closeAllConnections(), 2000);
          server.close(() => {
            clearInterval(idle);
            clearTimeout(force);
            resolve();
          });
          server.closeIdleConnections();
        });
        await storage.close();
      })()),
  };
}

/** Beyond loopback, a registry anyone can change must be asked for by name. */
function refuseOpenNetworkBind(host: string, authenticated: boolean, insecure: boolean): void {
  const loopback = host === 'localhost' || host === '::1' || host.startsWith('127.');
  if (loopback || authenticated || insecure) return;
  throw new Error(
    `registry on ${host} with no credentials: anyone who reaches the port could register agents. Pass --secret-file F ` +
      '(each agent gets its own credential: pm2-mesh token create), or --token T, or --insecure to run open on purpose',
  );
}

function describeAccess(secret: boolean, token: boolean, policies: number): string {
  if (secret)
    return `agents need their own credential${policies ? ` (${policies} polic${policies > 1 ? 'ies' : 'y'})` : ''}${token ? ', the shared token is an operator credential' : ''}`;
  if (token) return 'one shared token for every agent (give agents their own credential with --secret-file)';
  return 'open to local agents (no credential needed)';
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      reject(
        error.code === 'EADDRINUSE'
          ? new Error(`cannot listen on ${host}:${port}: the port is in use (choose another with --port, or 0 for any free port)`)
          : error,
      );
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

function readPackageVersion(): string {
  try {
    // dist/registry/index.js → the package root
    return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string }).version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}
