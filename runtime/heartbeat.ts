// Talking to the registry (agents always call it, it never calls them): POST /heartbeat to register, HEAD every
// interval, POST again on 202/410, back off while it is unreachable, and hold one topology long-poll open so a
// change reaches this agent in well under a second.
import type { HeartbeatRequest, HeartbeatResponse, Topology, TopologyResponse } from '../core/wire.js';
import { BACKOFF_INITIAL_MS, BACKOFF_MAX_MS, TOPOLOGY_WAIT_S, type HealthStatus } from './config.js';
import { describeError, type Logger } from './log.js';
import type { ClientTls } from '../core/tls.js';
import { RegistryClient, RegistryError, type RegistryAnswer } from '../core/registry-client.js';
import { WakeableSleep } from '../core/wakeable-sleep.js';

/** Per request, besides the long-poll's own wait. */
const REQUEST_TIMEOUT_MS = 10_000;
/** A HEAD 200 is logged the first time, then once every this many. */
const ROUTINE_LOG_EVERY = 12;
/** Slowest a health check may be before it counts as failed. */
const HEALTH_CHECK_TIMEOUT_MS = 5_000;

export type RegistryState = 'connecting' | 'connected' | 'unreachable' | 'standalone';

export interface HeartbeatOptions {
  registryUrl: string;
  token?: string;
  /** Our CA (to verify an https registry) and our certificate (mutual TLS). */
  tls?: ClientTls;
  agentId: string;
  intervalMs: number;
  /**
   * `?pid=&pm_id=` under PM2, sent with HEAD and DELETE: the workers of a cluster app share one agent id, and the
   * registry keeps the agent while any of them runs (MCP Mesh's registry ignores it). Empty otherwise.
   */
  processQuery: string;
  /** Called once, when the registry first acknowledged this agent. */
  onRegistered?: () => void;
  /** The full registration; `health` is filled in by the loop. */
  payload: () => HeartbeatRequest;
  healthCheck?: () => HealthStatus | boolean | Promise<HealthStatus | boolean>;
  /** A topology from the registry; `recovering`: the registry lost this agent (410), others may not be back yet. */
  onTopology: (topology: Topology, recovering: boolean) => void;
  log: Logger;
}

export class HeartbeatLoop {
  state: RegistryState = 'connecting';
  /** ms since the epoch of the first successful registration. */
  firstRegisteredAt?: number;
  lastHealth?: HealthStatus;
  private stopped = false;
  private readonly abort = new AbortController();
  private readonly pause = new WakeableSleep();
  private needPost = true;
  /** Set by a 410: the next topologies come from a registry that is still filling up again. */
  private recovering = false;
  private lastTopology?: Topology;
  private reportedHealth?: string;
  private routineCount = 0;
  private registryHash?: string;
  private watching = false;
  /** false after the registry answered 404 to the long-poll (MCP Mesh's has none); probed again after a 410. */
  private watchSupported = true;
  private connectedWaiters: (() => void)[] = [];
  private firstBeatDone!: () => void;
  /** Settles once the first heartbeat has been answered or has failed (or the loop stopped before). */
  readonly firstBeat = new Promise<void>((resolve) => (this.firstBeatDone = resolve));

  private readonly client: RegistryClient;

  constructor(private readonly options: HeartbeatOptions) {
    this.client = new RegistryClient({
      url: options.registryUrl,
      token: options.token,
      ...(options.tls ? { tls: options.tls } : {}),
      onFailover: (from, to, reason) => this.options.log.heartbeat(`registry ${from} failed (${reason}); moving to ${to}`, 'change'),
    });
  }

  start(): void {
    void this.run();
  }

  /** Stops the loop and the long-poll; then `unregister` may be sent. */
  stop(): void {
    this.stopped = true;
    this.firstBeatDone();
    this.abort.abort();
    this.pause.wake();
    for (const w of this.connectedWaiters.splice(0)) w();
  }

  /** Graceful DELETE /agents/:id, bounded: shutdown never hangs on a dead registry. */
  async unregister(timeoutMs: number): Promise<boolean> {
    if (this.firstRegisteredAt === undefined) return false;
    try {
      const res = await this.request(
        'DELETE',
        `/agents/${encodeURIComponent(this.options.agentId)}${this.options.processQuery}`,
        undefined,
        AbortSignal.timeout(timeoutMs),
      );
      this.options.log.info(`unregistered (DELETE ${res.status})`);
      return res.ok;
    } catch (error) {
      this.options.log.warn(`unregister failed: ${describeError(error)}`);
      return false;
    }
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (!this.stopped) {
      let delay = this.options.intervalMs;
      try {
        await this.beat();
        if (failures > 0) this.options.log.heartbeat('restored: registry reachable again', 'change');
        failures = 0;
        this.setConnected();
      } catch (error) {
        if (this.stopped) break;
        failures += 1;
        delay = Math.min(BACKOFF_INITIAL_MS * 2 ** (failures - 1), BACKOFF_MAX_MS);
        this.state = 'unreachable';
        this.options.log.heartbeat(`failed: ${describeError(error)}; retry in ${delay / 1000}s`, 'problem');
      }
      this.firstBeatDone();
      await this.pause.sleep(delay);
    }
  }

  /** One heartbeat: POST when needed (first time, 202, 410, health changed), else HEAD. */
  private async beat(): Promise<void> {
    const health = await this.checkHealth();
    if (health && JSON.stringify(health) !== this.reportedHealth) this.needPost = true;
    if (!this.needPost) {
      const res = await this.request('HEAD', `/heartbeat/${encodeURIComponent(this.options.agentId)}${this.options.processQuery}`);
      if (res.status === 200) {
        this.routineCount += 1;
        this.options.log.heartbeat('ok (HEAD 200)', 'routine', this.routineCount === 1 || this.routineCount % ROUTINE_LOG_EVERY === 0);
        return;
      }
      if (res.status === 202) {
        this.options.log.heartbeat('topology changed (HEAD 202), refreshing', 'change');
      } else if (res.status === 410) {
        this.options.log.heartbeat('unknown to the registry (HEAD 410), registering again', 'change');
        this.startRecovery();
        this.watchSupported = true;
      } else {
        throw this.answerError('HEAD', '/heartbeat', res);
      }
      this.needPost = true;
    }
    await this.post(health);
  }

  private async post(health: HealthStatus | undefined): Promise<void> {
    const payload = { ...this.options.payload(), ...(health ? { health } : {}) };
    const res = await this.request('POST', '/heartbeat', payload);
    const body = res.json<HeartbeatResponse & { error?: string }>();
    if (!res.ok || !body) throw this.answerError('POST', '/heartbeat', res);
    this.needPost = false;
    this.reportedHealth = health ? JSON.stringify(health) : undefined;
    const first = this.firstRegisteredAt === undefined;
    if (first) {
      this.firstRegisteredAt = Date.now();
      this.options.onRegistered?.();
    }
    const resolved = Object.values(body.dependencies_resolved ?? {}).flat();
    const available = resolved.filter((d) => d.status === 'available').length;
    this.options.log.heartbeat(
      `registered (POST ${res.status}, ${available}/${resolved.length} dependencies resolved${health && health.status !== 'healthy' ? `, ${health.status}` : ''})`,
      first ? 'change' : 'routine',
      true,
    );
    this.receive(body.dependencies_resolved, body.dependency_alternatives, body.topology_hash);
  }

  private receive(resolved: Topology['resolved'] | undefined, alternatives: Topology['alternatives'], hash: string | undefined): void {
    this.registryHash = hash;
    this.lastTopology = { resolved: resolved ?? {}, alternatives: alternatives ?? {} };
    this.options.onTopology(this.lastTopology, this.recovering);
  }

  /**
   * After a 410 the registry restarted empty: providers re-register over the next backoff period (up to
   * BACKOFF_MAX_MS). Until then the wiring keeps providers the registry does not know again yet.
   */
  private startRecovery(): void {
    if (this.recovering) return;
    this.recovering = true;
    setTimeout(
      () => {
        this.recovering = false;
        if (this.lastTopology && !this.stopped) this.options.onTopology(this.lastTopology, false);
      },
      BACKOFF_MAX_MS + 2 * this.options.intervalMs,
    ).unref();
  }

  private setConnected(): void {
    this.state = 'connected';
    for (const w of this.connectedWaiters.splice(0)) w();
    if (!this.watching && this.watchSupported && !this.stopped) {
      this.watching = true;
      void this.watch().finally(() => (this.watching = false));
    }
  }

  private connected(): Promise<void> {
    if (this.state === 'connected' || this.stopped) return Promise.resolve();
    return new Promise((resolve) => this.connectedWaiters.push(resolve));
  }

  /** The long-poll: one request open at a time; it answers as soon as this agent's resolution changes. */
  private async watch(): Promise<void> {
    const path = `/agents/${encodeURIComponent(this.options.agentId)}/topology`;
    while (!this.stopped) {
      await this.connected();
      if (this.stopped) return;
      const sent = this.registryHash ?? '';
      let res: RegistryAnswer;
      try {
        res = await this.request(
          'GET',
          `${path}?hash=${encodeURIComponent(sent)}&wait=${TOPOLOGY_WAIT_S}`,
          undefined,
          undefined,
          TOPOLOGY_WAIT_S * 1000 + REQUEST_TIMEOUT_MS,
        );
      } catch (error) {
        if (this.stopped) return;
        this.options.log.debug(`topology watch: ${describeError(error)}`);
        // The heartbeat loop notices the registry is gone and backs off; wait for it to reconnect.
        this.state = this.state === 'connected' ? 'unreachable' : this.state;
        this.pause.wake();
        await this.sleepQuietly(BACKOFF_INITIAL_MS);
        continue;
      }
      if (res.status === 200) {
        const body = res.json<TopologyResponse>();
        if (!body) continue;
        if (body.topology_hash === sent) await this.sleepQuietly(BACKOFF_INITIAL_MS); // a registry answering 200 for no change: do not spin
        this.receive(body.dependencies_resolved, body.dependency_alternatives, body.topology_hash);
      } else if (res.status === 304) {
        // Unchanged: ask again.
      } else if (res.status === 410) {
        this.startRecovery();
        this.needPost = true;
        this.pause.wake();
        this.state = 'connecting';
      } else if (res.status === 404 || res.status === 405 || res.status === 501) {
        this.options.log.debug(`registry has no topology watch (${res.status}): relying on heartbeats`);
        this.watchSupported = false;
        return;
      } else {
        await this.sleepQuietly(BACKOFF_INITIAL_MS);
      }
    }
  }

  private async checkHealth(): Promise<HealthStatus | undefined> {
    const check = this.options.healthCheck;
    if (!check) return undefined;
    let health: HealthStatus;
    try {
      const outcome = await Promise.race([
        Promise.resolve(check()),
        new Promise<never>((_, reject) =>
          setTimeout(() => reject(new Error(`health check took over ${HEALTH_CHECK_TIMEOUT_MS} ms`)), HEALTH_CHECK_TIMEOUT_MS).unref(),
        ),
      ]);
      health = typeof outcome === 'boolean' ? { status: outcome ? 'healthy' : 'unhealthy' } : outcome;
    } catch (error) {
      health = { status: 'unhealthy', error: describeError(error) };
    }
    if (this.lastHealth && this.lastHealth.status !== health.status) {
      this.options.log.info(`health ${this.lastHealth.status} → ${health.status}${health.error ? `: ${health.error}` : ''}`);
    }
    this.lastHealth = health;
    return health;
  }

  private async request(method: string, path: string, body?: unknown, signal?: AbortSignal, timeoutMs = REQUEST_TIMEOUT_MS): Promise<RegistryAnswer> {
    // The client times out each replica on its own and then tries the next; the signal ends the whole request
    // (the loop stopping, or the caller's own bound).
    return this.client.send(method, path, { body, signal: signal ?? this.abort.signal, timeoutMs });
  }

  /** A heartbeat answer that is neither news nor success, in the log's words: `HEAD answered 503`. */
  private answerError(method: string, path: string, res: RegistryAnswer): RegistryError {
    const { url, detail } = this.client.statusError(path, res);
    return new RegistryError(
      { failure: 'status', url, path, status: res.status, detail },
      `${method} answered ${res.status}${detail ? `: ${detail}` : ''}`,
    );
  }

  private sleepQuietly(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const stop = () => (clearTimeout(timer), resolve());
      // The listener goes with the timer: the watch sleeps once a second while the registry is away.
      const timer = setTimeout(() => (this.abort.signal.removeEventListener('abort', stop), resolve()), ms);
      this.abort.signal.addEventListener('abort', stop, { once: true });
    });
  }
}
