// The registry as a function: createRegistry(options) wires the store, its storage, the health monitor
// and the HTTP server, and hands back { url, close, markProcessExited }. Used by main.js, the CLI and the PM2 module.
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { answerMalformedRequests, createHttpApp } from './http.js';
import { RegistryMetrics } from './metrics.js';
import { resolveOptions, type RegistryOptions } from './options.js';
import { openMemoryStorage } from './storage/memory.js';
import { openSqliteStorage } from './storage/sqlite/storage.js';
import { HealthMonitor } from './health-monitor.js';
import { EventStreams } from './sse.js';
import { RegistryStore } from './store/index.js';

export type { RegistryOptions } from './options.js';
export { parseRegistryArgs, REGISTRY_USAGE, UsageError } from './options.js';
export { runRegistryForeground } from './foreground.js';

export interface Registry {
  /** http://host:port (the bound port when options.port was 0). */
  url: string;
  host: string;
  port: number;
  /** Stops serving, ends streams and long-polls, saves the data file. */
  close(): Promise<void>;
  /** Marks the agents that registered with metadata.pm_id === pmId unhealthy now; returns their ids. */
  markProcessExited(pmId: number, reason?: string): string[];
}

export const REGISTRY_VERSION = readPackageVersion();

export async function createRegistry(options: RegistryOptions = {}): Promise<Registry> {
  const config = resolveOptions(options);
  const metrics = new RegistryMetrics();
  let monitor: HealthMonitor | null = null;
  const storage = config.dataFile ? await openSqliteStorage(config.dataFile, { metrics, log: config.log }) : openMemoryStorage();
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
  const app = createHttpApp({
    store,
    storage,
    metrics,
    streams,
    bodyLimit: config.bodyLimit,
    version: REGISTRY_VERSION,
    closing: closing.signal,
    token: config.token,
    publicRead: config.publicRead,
    log: config.log,
  });
  const server = createServer(app.callback());
  answerMalformedRequests(server);
  try {
    await listen(server, config.port, config.host);
  } catch (error) {
    await storage.close();
    throw error;
  }
  monitor = new HealthMonitor(() => store.sweep(), config.healthInterval * 1000);
  monitor.start();

  const port = (server.address() as AddressInfo).port;
  const urlHost = config.host.includes(':') ? `[${config.host}]` : config.host;
  let closed: Promise<void> | null = null;
  return {
    url: `http://${urlHost}:${port}`,
    host: config.host,
    port,
    markProcessExited: (pmId, reason) => (closing.signal.aborted ? [] : store.markProcessExited(pmId, reason)),
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
