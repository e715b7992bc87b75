// Incremental Server-Sent Events parser (the WHATWG event-stream format) for clients of GET /events/stream:
// the dashboard and the CLI's `events -f` both read the registry's stream through it.

export interface SseMessage {
  /** The `id:` field of this message, if it had one. */
  id?: string;
  event: string;
  data: string;
}

export class SseParser {
  private buffer = '';
  private data: string[] = [];
  private event = '';
  private id: string | undefined;
  private hasField = false;

  /** Feeds a chunk; returns the messages completed by it (comments such as pings yield none). */
  feed(chunk: string): SseMessage[] {
    this.buffer += chunk;
    const out: SseMessage[] = [];
    let nl: number;
    while ((nl = this.buffer.search(/\r\n|\r|\n/)) !== -1) {
      // A lone \r at the end may be the first half of \r\n: wait for the next chunk.
      if (this.buffer[nl] === '\r' && nl === this.buffer.length - 1) break;
      const line = this.buffer.slice(0, nl);
      this.buffer = this.buffer.slice(nl + (this.buffer.startsWith('\r\n', nl) ? 2 : 1));
      const message = this.line(line);
      if (message) out.push(message);
    }
    return out;
  }

  private line(line: string): SseMessage | null {
    if (line === '') return this.dispatch();
    if (line.startsWith(':')) return null;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') this.data.push(value);
    else if (field === 'event') this.event = value;
    else if (field === 'id' && !value.includes('\0')) this.id = value;
    else return null;
    this.hasField = true;
    return null;
  }

  private dispatch(): SseMessage | null {
    const message: SseMessage | null =
      this.hasField && this.data.length > 0
        ? { ...(this.id !== undefined ? { id: this.id } : {}), event: this.event || 'message', data: this.data.join('\n') }
        : null;
    this.data = [];
    this.event = '';
    this.id = undefined;
    this.hasField = false;
    return message;
  }
}
