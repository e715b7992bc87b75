// Follows GET /events/stream (SSE) and keeps following it: reconnects with Last-Event-ID after any loss.
import type { RegistryEvent } from '../core/wire.js';
import { RegistryHttpError, type RegistryClient } from './registry-client.js';
import { decodeEvent } from './registry-model.js';
import { SseParser } from '../core/sse-parser.js';

export type EventStreamStatus = 'connecting' | 'live' | 'down' | 'unsupported';

export interface EventStreamOptions {
  client: RegistryClient;
  /** The id to resume after, read at each (re)connect. */
  lastEventId: () => number | null;
  onEvent: (event: RegistryEvent) => void;
  onStatus: (status: EventStreamStatus, error?: string) => void;
  /** No byte (not even the registry's 15 s ping) for this long → the connection is presumed dead. */
  idleTimeoutMs?: number;
  /** First reconnect delay; doubles up to maxBackoffMs. */
  backoffMs?: number;
  maxBackoffMs?: number;
}

export class EventStream {
  private stopped = true;
  private controller: AbortController | null = null;
  private wake: (() => void) | null = null;

  constructor(private readonly options: EventStreamOptions) {}

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    void this.loop();
  }

  stop(): void {
    this.stopped = true;
    this.controller?.abort();
    this.wake?.();
  }

  /** Drops the current connection and connects again at once (e.g. after the event ids were reset). */
  reconnect(): void {
    this.controller?.abort();
    this.wake?.();
  }

  private async loop(): Promise<void> {
    const { backoffMs = 250, maxBackoffMs = 2000 } = this.options;
    let delay = backoffMs;
    while (!this.stopped) {
      this.options.onStatus('connecting');
      let outcome: 'ended' | 'unsupported';
      try {
        outcome = await this.follow(() => (delay = backoffMs));
      } catch (err) {
        if (this.stopped) return;
        this.options.onStatus('down', err instanceof Error ? err.message : String(err));
        outcome = 'ended';
      }
      if (this.stopped) return;
      if (outcome === 'unsupported') {
        this.options.onStatus('unsupported');
        return;
      }
      await this.sleep(delay);
      delay = Math.min(delay * 2, maxBackoffMs);
    }
  }

  /** One connection, until it ends; `onOpen` runs once the registry accepted it. */
  private async follow(onOpen: () => void): Promise<'ended' | 'unsupported'> {
    const controller = new AbortController();
    this.controller = controller;
    const idleMs = this.options.idleTimeoutMs ?? 40_000;
    let idle = setTimeout(() => controller.abort(), idleMs);
    const touch = () => {
      clearTimeout(idle);
      idle = setTimeout(() => controller.abort(), idleMs);
    };
    try {
      const last = this.options.lastEventId();
      const res = await fetch(this.options.client.url('/events/stream'), {
        headers: this.options.client.headers({
          accept: 'text/event-stream',
          ...(last !== null ? { 'last-event-id': String(last) } : {}),
        }),
        signal: controller.signal,
      });
      // A registry without the stream (MCP Mesh's own): the data source polls GET /events instead.
      if (res.status === 404 || res.status === 405) {
        await res.body?.cancel();
        return 'unsupported';
      }
      if (!res.ok || !res.body) {
        await res.body?.cancel();
        throw new RegistryHttpError('/events/stream', res.status);
      }
      onOpen();
      this.options.onStatus('live');
      const parser = new SseParser();
      const decoder = new TextDecoder();
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        touch();
        for (const message of parser.feed(decoder.decode(chunk, { stream: true }))) {
          let event: RegistryEvent | null = null;
          try {
            event = decodeEvent(JSON.parse(message.data));
          } catch {
            continue; // not JSON: not an event of ours
          }
          if (event && !Number.isFinite(event.id) && message.id !== undefined) event.id = Number(message.id);
          if (event) this.options.onEvent(event);
        }
      }
      if (!this.stopped) this.options.onStatus('down', 'stream closed by the registry');
      return 'ended';
    } finally {
      clearTimeout(idle);
      controller.abort();
      if (this.controller === controller) this.controller = null;
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = () => {
        this.wake = null;
        done();
      };
    });
  }
}
