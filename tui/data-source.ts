// The dashboard's one data source: polls the registry, follows its event stream, and publishes a DashboardState.
// Every change of the registry that produces an event triggers an immediate re-read of the agents.
import type { ClientTls } from '../core/tls.js';
import { tlsFetch } from '../core/tls-fetch.js';
import { fetchAgentCalls } from '../core/agent-calls.js';
import { EventFollower, type EventStreamStatus } from '../core/event-follower.js';
import { RegistryClient, RegistryError } from '../core/registry-client.js';
import { decodeEdges, decodeTrace, type EdgeReadings } from './calls-model.js';
import { heartbeatCounter, parsePrometheusText } from './prometheus.js';
import { decodeAgents, decodeEvent, decodeEvents, decodeHealth } from './registry-model.js';
import {
  addReading,
  initialState,
  lastEventId,
  lastSeenRate,
  mergeEvents,
  pushRate,
  windowRate,
  type CounterReading,
  type ConnectionStatus,
  type DashboardState,
} from './state.js';

export interface DataSourceOptions {
  registryUrl: string;
  token?: string;
  /** An https registry: the mesh's CA, and a certificate for a strict (mutual TLS) one. */
  tls?: ClientTls;
  /** Milliseconds between polls (agents, health, metrics); also the retry period while unreachable. */
  pollIntervalMs?: number;
  requestTimeoutMs?: number;
  /** Events read at start and after each reconnect. */
  backfill?: number;
}

/** An agent's figures are extra: never hold a poll up for long. */
const CALLS_TIMEOUT_MS = 1_000;

export class DashboardDataSource {
  private current: DashboardState;
  private readonly client: RegistryClient;
  private readonly stream: EventFollower;
  private readonly listeners = new Set<(state: DashboardState) => void>();
  private readonly pollIntervalMs: number;
  private readonly backfill: number;
  private timer: NodeJS.Timeout | null = null;
  private running = false;
  private agentsInFlight: Promise<void> | null = null;
  private agentsAgain = false;
  private readings: CounterReading[] = [];
  /** Agents at the previous rate sample, for registries without a heartbeat counter. */
  private rateBase: { agents: DashboardState['agents']; at: number } | null = null;
  private pollEvents = false;
  private needBackfill = true;
  /** The agent whose GET /calls is read on each poll (the selected one): one small request, never the whole fleet. */
  private callsOf: string | null = null;
  /** How to reach https agents of the mesh's CA (the registry's TLS settings), else the global fetch. */
  private readonly agentFetch?: typeof fetch;
  private readonly edgeReadings: EdgeReadings = new Map();
  /** The trace the drill-down shows: re-read every poll while shown (late spans arrive). */
  private traceWanted: string | null = null;

  constructor(options: DataSourceOptions) {
    this.client = new RegistryClient({
      url: options.registryUrl,
      token: options.token,
      timeoutMs: options.requestTimeoutMs ?? 2000,
      ...(options.tls ? { tls: options.tls } : {}),
    });
    if (options.tls) this.agentFetch = tlsFetch(options.tls);
    this.current = initialState(this.client.baseUrl, Date.now());
    this.pollIntervalMs = options.pollIntervalMs ?? 1000;
    this.backfill = options.backfill ?? 100;
    this.stream = new EventFollower({
      client: this.client,
      lastEventId: () => lastEventId(this.current.events),
      decode: decodeEvent,
      onEvent: (event) => {
        this.update({ events: mergeEvents(this.current.events, [event]) });
        void this.refreshAgents();
      },
      onStatus: (status) => this.onStreamStatus(status),
    });
  }

  get state(): DashboardState {
    return this.current;
  }

  onChange(listener: (state: DashboardState) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    void this.stream.start();
    void this.tick();
  }

  stop(): void {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.stream.stop();
    this.listeners.clear();
  }

  /** Re-reads agents and health now; calls made while one is in flight are folded into one more read. */
  refreshAgents(): Promise<void> {
    if (this.agentsInFlight) {
      this.agentsAgain = true;
      return this.agentsInFlight;
    }
    this.agentsInFlight = (async () => {
      do {
        this.agentsAgain = false;
        await this.readAgents();
      } while (this.agentsAgain && this.running);
    })().finally(() => (this.agentsInFlight = null));
    return this.agentsInFlight;
  }

  private async tick(): Promise<void> {
    if (!this.running) return;
    // Events are read alongside the agents (not after), so the log fills in with the first screen.
    const events = this.needBackfill || this.pollEvents ? this.readEvents() : undefined;
    await this.refreshAgents();
    if (this.running && this.current.connection === 'online') await Promise.all([this.readRate(), events, this.readCalls(), this.readEdges()]);
    else await events;
    if (this.running) this.timer = setTimeout(() => void this.tick(), this.pollIntervalMs);
  }

  private async readAgents(): Promise<void> {
    try {
      const [agentsBody, healthBody] = await Promise.all([
        this.client.getJson('/agents'),
        this.client.getJson('/health').catch((err: unknown) => {
          if (err instanceof RegistryError && err.failure === 'status' && err.status !== 401) return null; // optional
          throw err;
        }),
      ]);
      const agents = decodeAgents(agentsBody);
      const wasOnline = this.current.connection === 'online';
      this.update({
        ...this.connection('online', ''),
        agents,
        health: healthBody === null ? null : decodeHealth(healthBody),
        lastUpdate: Date.now(),
      });
      if (!wasOnline) {
        // Back after an outage: catch up on the events missed, and end the stream's backoff wait.
        this.needBackfill = true;
        if (this.current.stream === 'down') this.stream.reconnect();
      }
    } catch (err) {
      const refused = err instanceof RegistryError && (err.status === 401 || err.status === 403);
      this.update(this.connection(refused ? 'refused' : 'unreachable', describe(err)));
      this.readings = [];
      this.rateBase = null;
    }
  }

  /** Reads the calls of this agent from now on (null: none); at once when it changed. */
  watchCalls(agentId: string | null): void {
    if (agentId === this.callsOf) return;
    this.callsOf = agentId;
    this.update({ calls: null });
    void this.readCalls();
  }

  private async readCalls(): Promise<void> {
    const agentId = this.callsOf;
    const agent = this.current.agents.find((a) => a.id === agentId);
    if (!agent || agent.wiring.length === 0 || agent.status === 'unhealthy' || !agent.endpoint.startsWith('http')) return;
    const calls = await fetchAgentCalls(agent.endpoint, {
      timeoutMs: CALLS_TIMEOUT_MS,
      ...(this.agentFetch ? { fetchImpl: this.agentFetch } : {}),
    }).then(
      (report) => ({ agentId: agent.id, report, error: '' }),
      (error: Error) => ({ agentId: agent.id, report: null, error: error.message }),
    );
    if (this.running && this.callsOf === agent.id) this.update({ calls });
  }

  private async readRate(): Promise<void> {
    const now = Date.now();
    let value: number | null = null;
    try {
      value = heartbeatCounter(parsePrometheusText(await this.client.getText('/metrics')));
    } catch {
      value = null; // no /metrics (MCP Mesh's registry): estimate from last_seen below
    }
    if (value !== null) {
      this.readings = addReading(this.readings, { value, at: now });
      const rate = windowRate(this.readings);
      if (rate !== null) this.update({ heartbeatRates: pushRate(this.current.heartbeatRates, rate), rateSource: 'metrics' });
      return;
    }
    const agents = this.current.agents;
    if (this.rateBase && now > this.rateBase.at) {
      const rate = lastSeenRate(this.rateBase.agents, agents, (now - this.rateBase.at) / 1000);
      this.update({ heartbeatRates: pushRate(this.current.heartbeatRates, rate), rateSource: 'last_seen' });
    }
    this.rateBase = { agents, at: now };
  }

  /** Which trace the drill-down shows (null: none); read at once, then with every poll. */
  showTrace(traceId: string | null): void {
    if (traceId === this.traceWanted) return;
    this.traceWanted = traceId;
    if (this.current.trace && this.current.trace.trace_id !== traceId) this.update({ trace: null });
    if (traceId) void this.readTrace();
  }

  /** The registry's dependency edges (the calls view), and the drill-down's trace while one is shown. */
  private async readEdges(): Promise<void> {
    if (this.current.callsSupported === false) return;
    try {
      const body = await this.client.getJson('/traces/edges');
      this.update({ edges: decodeEdges(body, this.edgeReadings, Date.now()), callsSupported: true });
    } catch (err) {
      // MCP Mesh's registry keeps no traces: say so in the view, and stop asking.
      if (err instanceof RegistryError && (err.status === 404 || err.status === 405)) this.update({ callsSupported: false, edges: [] });
    }
    if (this.traceWanted) await this.readTrace();
  }

  private async readTrace(): Promise<void> {
    const wanted = this.traceWanted;
    if (!wanted) return;
    try {
      const trace = decodeTrace(await this.client.getJson(`/traces/${wanted}`));
      if (trace && this.traceWanted === wanted) this.update({ trace });
    } catch {
      // Gone from the registry's recent traces, or a poll lost: the view says it is not loaded.
    }
  }

  private async readEvents(): Promise<void> {
    const newest = lastEventId(this.current.events);
    const backfilling = this.needBackfill;
    try {
      const path = backfilling || newest === null ? `/events?limit=${this.backfill}` : `/events?since=${newest}&limit=${this.backfill}`;
      const events = decodeEvents(await this.client.getJson(path));
      this.needBackfill = false;
      const newestThere = lastEventId(events);
      if (backfilling && newest !== null && newestThere !== null && newestThere < newest) {
        // The registry lost its log (restarted without a data file): its ids start over, so ours must too.
        this.update({ events });
        this.stream.reconnect();
        return;
      }
      this.update({ events: mergeEvents(this.current.events, events) });
    } catch {
      // Events are best effort; the next tick tries again.
    }
  }

  private onStreamStatus(status: EventStreamStatus): void {
    if (status === 'unsupported') {
      this.pollEvents = true;
      this.update({ stream: 'polling' });
      return;
    }
    this.update({ stream: status });
  }

  private connection(status: ConnectionStatus, error: string): Partial<DashboardState> {
    if (status === this.current.connection) return { lastError: error };
    return { connection: status, connectionSince: Date.now(), lastError: error };
  }

  private update(patch: Partial<DashboardState>): void {
    this.current = { ...this.current, ...patch };
    for (const listener of this.listeners) listener(this.current);
  }
}

function describe(err: unknown): string {
  if (err instanceof RegistryError) {
    if (err.failure === 'status')
      return err.status === 401 ? `registry refused the token (401) on ${err.path}` : `registry answered ${err.status} on ${err.path}`;
    if (err.failure === 'timeout') return 'no answer within the timeout';
    if (err.failure === 'unreachable') return err.reason ?? err.message;
    return err.message;
  }
  return err instanceof Error ? err.message : String(err);
}
