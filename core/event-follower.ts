// Follows the registry's live event stream (GET /events/stream, Server-Sent Events) and keeps following it:
// after any loss it reconnects with Last-Event-ID, backing off, so no event is missed or seen twice across a
// registry restart. Used by `pm2-mesh events -f` and the dashboard.
import { RegistryError, type RegistryClient } from './registry-client.js';
import { SseParser, type SseMessage } from './sse-parser.js';
import { WakeableSleep } from './wakeable-sleep.js';
import type { RegistryEvent } from './wire.js';

/** connecting → live → down (retrying) …; unsupported: the registry has no stream (MCP Mesh's own), the loop ends. */
export type EventStreamStatus = 'connecting' | 'live' | 'down' | 'unsupported';

export interface EventFollowerOptions {
  client: RegistryClient;
  /** The id to resume after, read at each (re)connect; null/undefined = from now on. */
  lastEventId: () => number | null | undefined;
  onEvent: (event: RegistryEvent) => void;
  onStatus?: (status: EventStreamStatus, error?: Error) => void;
  /** Turns a message's JSON data into an event (default: any JSON object); the SSE id fills in a missing `id`. */
  decode?: (data: unknown) => RegistryEvent | null;
  /** No byte (not even the registry's 15 s ping) for this long → the connection is presumed dead. */
  idleTimeoutMs?: number;
  /** First reconnect delay; doubles up to maxBackoffMs. */
  backoffMs?: number;
  maxBackoffMs?: number;
}

export class EventFollower {
  private stopped = true;
  private controller: AbortController | null = null;
  private readonly pause = new WakeableSleep();
  private running: Promise<void> = Promise.resolve();

  constructor(private readonly options: EventFollowerOptions) {}

  /** Starts following; the promise settles when stopped or when the registry has no stream. */
  start(): Promise<void> {
    if (this.stopped) {
      this.stopped = false;
      this.running = this.loop();
    }
    return this.running;
  }

  stop(): void {
    this.stopped = true;
    this.controller?.abort();
    this.pause.wake();
  }

  /** Drops the current connection and connects again at once (e.g. after the event ids were reset). */
  reconnect(): void {
    this.controller?.abort();
    this.pause.wake();
  }

  private async loop(): Promise<void> {
    const { backoffMs = 250, maxBackoffMs = 2000, onStatus = () => {} } = this.options;
    let delay = backoffMs;
    while (!this.stopped) {
      onStatus('connecting');
      try {
        await this.follow(() => {
          delay = backoffMs;
          onStatus('live');
        });
        if (!this.stopped) onStatus('down', new Error('stream closed by the registry'));
      } catch (error) {
        if (this.stopped) return;
        // A registry without the stream: the caller polls GET /events instead.
        if (error instanceof RegistryError && (error.status === 404 || error.status === 405)) {
          onStatus('unsupported', error);
          this.stopped = true;
          return;
        }
        onStatus('down', error instanceof Error ? error : new Error(String(error)));
      }
      if (this.stopped) return;
      await this.pause.sleep(delay);
      delay = Math.min(delay * 2, maxBackoffMs);
    }
  }

  /** One connection, until it ends; `onOpen` runs once the registry accepted it. */
  private async follow(onOpen: () => void): Promise<void> {
    const controller = new AbortController();
    this.controller = controller;
    const idleMs = this.options.idleTimeoutMs ?? 40_000;
    let idle = setTimeout(() => controller.abort(), idleMs);
    const touch = () => {
      clearTimeout(idle);
      idle = setTimeout(() => controller.abort(), idleMs);
    };
    const last = this.options.lastEventId();
    const decode = this.options.decode ?? ((data: unknown) => (typeof data === 'object' && data !== null ? (data as RegistryEvent) : null));
    try {
      const stream = await this.options.client.stream('/events/stream', {
        headers: { accept: 'text/event-stream', ...(last != null ? { 'last-event-id': String(last) } : {}) },
        signal: controller.signal,
      });
      try {
        onOpen();
        const parser = new SseParser();
        const decoder = new TextDecoder();
        for await (const chunk of stream.body) {
          touch();
          for (const message of parser.feed(decoder.decode(chunk, { stream: true }))) {
            const event = toEvent(message, decode);
            if (event) this.options.onEvent(event);
          }
        }
      } finally {
        stream.close();
      }
    } catch (error) {
      // Aborted by the idle timer or reconnect(): a lost connection like any other.
      if (controller.signal.aborted && !this.stopped) throw new Error('no data from the event stream, reconnecting');
      throw error;
    } finally {
      clearTimeout(idle);
      controller.abort();
      if (this.controller === controller) this.controller = null;
    }
  }
}

/** An SSE message as an event: its data as JSON, decoded; the message id stands in for a missing `id`. */
function toEvent(message: SseMessage, decode: (data: unknown) => RegistryEvent | null): RegistryEvent | null {
  if (!message.data) return null;
  let data: unknown;
  try {
    data = JSON.parse(message.data);
  } catch {
    return null; // not JSON: not an event of ours
  }
  const event = decode(data);
  if (event && !Number.isFinite(event.id) && message.id !== undefined) event.id = Number(message.id);
  return event;
}
