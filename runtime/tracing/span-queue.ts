// Spans on their way to one sink: a bounded queue sent in batches from a timer, never on a call's path. When the sink
// lags and the queue is full, new spans are dropped and counted (a call never waits for its telemetry).
import type { Span } from '../../core/span-wire.js';
import type { Logger } from '../log.js';

export interface SpanSink {
  /** Named in log lines. */
  readonly name: string;
  /** Sends a batch; 'stop' means the sink cannot take spans at all (then nothing more is queued for it). */
  send(spans: Span[]): Promise<'sent' | 'stop'>;
  close?(): Promise<void>;
}

export interface SpanQueueOptions {
  /** Spans waiting at most (default 4096). */
  capacity?: number;
  /** Spans per send at most (default 512). */
  batch?: number;
  /** Milliseconds a span may wait for its batch (default 1000). */
  intervalMs?: number;
  log: Logger;
}

export class SpanQueue {
  private queued: Span[] = [];
  private timer?: NodeJS.Timeout;
  private sending?: Promise<void>;
  private stopped = false;
  private warnedDrop = false;
  /** Spans dropped since start: the queue was full while the sink lagged. */
  dropped = 0;
  /** Spans the sink took. */
  sent = 0;
  private readonly capacity: number;
  private readonly batch: number;
  private readonly intervalMs: number;

  constructor(
    readonly sink: SpanSink,
    private readonly options: SpanQueueOptions,
  ) {
    this.capacity = options.capacity ?? 4096;
    this.batch = options.batch ?? 512;
    this.intervalMs = options.intervalMs ?? 1000;
  }

  push(span: Span): void {
    if (this.stopped) return;
    if (this.queued.length >= this.capacity) {
      this.dropped += 1;
      if (!this.warnedDrop) {
        this.warnedDrop = true;
        this.options.log.warn(`tracing: ${this.sink.name} lags, spans dropped (counted in /health and /metrics)`);
      }
      return;
    }
    this.queued.push(span);
    if (!this.timer && !this.sending) this.schedule(this.queued.length >= this.batch ? 0 : this.intervalMs);
  }

  /** Sends what is queued now (bounded by `timeoutMs`), e.g. at shutdown. */
  async flush(timeoutMs: number): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const deadline = new Promise<void>((resolve) => setTimeout(resolve, timeoutMs).unref());
    await Promise.race([
      (async () => {
        await this.sending;
        while (this.queued.length && !this.stopped) await this.sendBatch();
      })(),
      deadline,
    ]);
  }

  async close(timeoutMs: number): Promise<void> {
    await this.flush(timeoutMs);
    this.stopped = true;
    await this.sink.close?.().catch(() => undefined);
  }

  private schedule(ms: number): void {
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.sendBatch();
    }, ms);
    this.timer.unref();
  }

  private sendBatch(): Promise<void> {
    this.sending ??= (async () => {
      const batch = this.queued.splice(0, this.batch);
      if (batch.length === 0) return;
      try {
        const outcome = await this.sink.send(batch);
        if (outcome === 'stop') {
          this.stopped = true;
          this.queued = [];
          return;
        }
        this.sent += batch.length;
        if (this.warnedDrop && this.queued.length < this.capacity / 2) this.warnedDrop = false;
      } catch (error) {
        // The sink says why itself (once per outage); the batch is lost, not retried: telemetry must not pile up.
        this.dropped += batch.length;
        this.options.log.debug(`tracing: ${this.sink.name}: ${(error as Error).message}`);
      }
    })().finally(() => {
      this.sending = undefined;
      // At most four full batches per interval: under a flood the sink (the registry) gets a bounded share of the
      // machine, and what does not fit in the queue meanwhile is dropped and counted.
      if (this.queued.length && !this.stopped && !this.timer) this.schedule(this.queued.length >= this.batch ? this.intervalMs / 4 : this.intervalMs);
    });
    return this.sending;
  }
}
