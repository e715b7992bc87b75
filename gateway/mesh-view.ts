// What the gateway knows of the mesh: every provider the registry lists, kept current by the registry's change
// stream (GET /events/stream). Each event, and each (re)connection, leads to one GET /capabilities; calls never
// ask the registry anything. While the registry is away the last list stays, and it says so once.
import { EventFollower, type EventStreamStatus } from '../core/event-follower.js';
import type { RegistryClient } from '../core/registry-client.js';
import type { CapabilityView, RegistryEvent } from '../core/wire.js';
import { describeError, type Logger } from '../runtime/index.js';

/** Poll period when the registry has no event stream (MCP Mesh's own). */
const POLL_MS = 1_000;
/** Retry period when the stream is up but a GET /capabilities failed. */
const RETRY_MS = 500;

export type RegistryState = 'connecting' | 'live' | 'down';

export interface MeshViewOptions {
  client: RegistryClient;
  log: Logger;
  /** The providers as the registry lists them, after each change (also when nothing visible changed). */
  onProviders: (providers: CapabilityView[]) => void;
  /** An agent registered or re-registered: what it serves may have changed. */
  onAgentChanged: (agentId: string) => void;
  /** An agent left (unregistered, unhealthy, expired). */
  onAgentGone: (agentId: string) => void;
  /** The registry answers again after being unreachable (it may have restarted with less than it knew). */
  onRecovered: () => void;
}

export class MeshView {
  state: RegistryState = 'connecting';
  private providers: CapabilityView[] | undefined;
  private readonly follower: EventFollower;
  private refreshing: Promise<void> | undefined;
  private again = false;
  private stopped = false;
  private retry: NodeJS.Timeout | undefined;
  private pollTimer: NodeJS.Timeout | undefined;
  private wasDown = false;
  private settleFirst: () => void = () => undefined;

  constructor(private readonly options: MeshViewOptions) {
    this.follower = new EventFollower({
      client: options.client,
      // Each connection starts with a full read: events from before it are not needed.
      lastEventId: () => null,
      onEvent: (event) => this.onEvent(event),
      onStatus: (status, error) => this.onStatus(status, error),
    });
  }

  /** Starts following; resolves once the first list is known or the registry was found unreachable. */
  start(): Promise<void> {
    const first = new Promise<void>((resolve) => (this.settleFirst = resolve));
    void this.follower.start();
    return first;
  }

  stop(): void {
    this.stopped = true;
    this.follower.stop();
    clearTimeout(this.retry);
    clearTimeout(this.pollTimer);
    this.settleFirst();
  }

  /** Reads the registry's list again now (the gateway's recovery window ended). */
  refreshNow(): void {
    if (!this.stopped && this.state === 'live') this.refresh();
  }

  private onEvent(event: RegistryEvent): void {
    if (event.event_type === 'register' || event.event_type === 'update') this.options.onAgentChanged(event.agent_id);
    else if (event.event_type !== 'healthy') this.options.onAgentGone(event.agent_id);
    this.refresh();
  }

  private onStatus(status: EventStreamStatus, error?: Error): void {
    if (this.stopped) return;
    if (status === 'live') {
      this.refresh();
    } else if (status === 'down') {
      this.markDown(error);
    } else if (status === 'unsupported') {
      this.options.log.warn(`registry at ${this.options.client.baseUrl} has no event stream: reading it every ${POLL_MS / 1000} s`);
      this.poll();
    }
  }

  private markDown(error: unknown): void {
    this.state = 'down';
    this.settleFirst();
    if (this.wasDown) return;
    this.wasDown = true;
    const known = this.providers === undefined ? 'no tool list yet' : 'serving the last tool list and calling known providers';
    this.options.log.warn(`registry unreachable at ${this.options.client.baseUrl} (${describeError(error)}): ${known}`);
  }

  private poll(): void {
    this.refresh();
    this.pollTimer = setTimeout(() => this.poll(), POLL_MS);
  }

  /** One GET /capabilities at a time; changes during one lead to exactly one more. */
  private refresh(): void {
    if (this.refreshing) {
      this.again = true;
      return;
    }
    this.refreshing = this.read().finally(() => {
      this.refreshing = undefined;
      if (this.again && !this.stopped) {
        this.again = false;
        this.refresh();
      }
    });
  }

  private async read(): Promise<void> {
    try {
      const { capabilities } = await this.options.client.capabilities();
      if (this.stopped) return;
      this.providers = capabilities;
      this.state = 'live';
      if (this.wasDown) {
        this.wasDown = false;
        this.options.log.info(`registry back at ${this.options.client.baseUrl}: tool list caught up`);
        this.options.onRecovered();
      }
      this.options.onProviders(capabilities);
      this.settleFirst();
    } catch (error) {
      if (this.stopped) return;
      this.markDown(error);
      clearTimeout(this.retry);
      this.retry = setTimeout(() => this.refresh(), RETRY_MS);
    }
  }
}
