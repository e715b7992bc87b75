// GET /events/stream: the event log, live, as Server-Sent Events. Resumes after `Last-Event-ID` (or ?since=),
// pings every 15 s so proxies keep the connection, drops a client that stops reading (it resumes by id).
import { PassThrough } from 'node:stream';
import type { Context } from 'koa';
import type { RegistryStore } from './store/index.js';
import type { RegistryEvent } from '../core/wire.js';

export const SSE_PING_MS = 15_000;
/** A client this far behind is cut off: it reconnects with Last-Event-ID and misses nothing. */
const MAX_BUFFERED_BYTES = 8 * 1024 * 1024;

export class EventStreams {
  private readonly open = new Set<() => void>();

  constructor(private readonly store: RegistryStore) {}

  get clientCount(): number {
    return this.open.size;
  }

  /** Answers the request with a stream that lives until the client leaves or closeAll() is called. */
  serve(ctx: Context, resumeAfter: number | null): void {
    ctx.status = 200;
    ctx.set('Content-Type', 'text/event-stream');
    ctx.set('Cache-Control', 'no-cache');
    ctx.set('Connection', 'keep-alive');
    ctx.set('X-Accel-Buffering', 'no');
    if (ctx.method === 'HEAD') return; // the headers only
    const stream = new PassThrough();
    ctx.req.socket.setTimeout(0);
    ctx.req.socket.setNoDelay(true);
    // Piped here rather than handed to Koa as ctx.body: Koa's respond() asks whether a stream body is a web
    // `Response`, which loads Node's fetch (undici, +8 MB RSS) in a registry that never fetches (see answer.ts).
    ctx.respond = false;
    ctx.res.writeHead(200);
    stream.pipe(ctx.res);

    const send = (event: RegistryEvent) => {
      stream.write(`id: ${event.id}\nevent: ${event.event_type}\ndata: ${JSON.stringify(event)}\n\n`);
      if (stream.writableLength > MAX_BUFFERED_BYTES) close();
    };
    stream.write('retry: 2000\n\n');
    // Backlog and subscription happen in the same tick, so no event falls between them.
    if (resumeAfter !== null) for (const event of this.store.eventsAfter(resumeAfter)) send(event);
    const unsubscribe = this.store.subscribe(send);
    const ping = setInterval(() => stream.write(': ping\n\n'), SSE_PING_MS);
    let closed = false;
    const close = () => {
      if (closed) return;
      closed = true;
      unsubscribe();
      clearInterval(ping);
      this.open.delete(close);
      stream.end();
    };
    this.open.add(close);
    ctx.req.on('close', close);
    stream.on('error', close);
  }

  closeAll(): void {
    for (const close of [...this.open]) close();
  }
}
