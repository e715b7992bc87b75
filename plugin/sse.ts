// Server-Sent Events framing (the subset the registry sends): pure, so it is unit-tested on its own.

export interface SseMessage {
  id?: string;
  event?: string;
  data?: string;
}

/**
 * Splits a buffer into complete messages (each ends with a blank line) and the incomplete rest.
 * Comment lines (`: ping`) are keep-alives and carry nothing.
 */
export function parseSseChunk(buffer: string): { messages: SseMessage[]; rest: string } {
  const normalized = buffer.replace(/\r\n?/g, '\n');
  const blocks = normalized.split('\n\n');
  const rest = blocks.pop() ?? '';
  const messages: SseMessage[] = [];
  for (const block of blocks) {
    const message: SseMessage = {};
    const data: string[] = [];
    for (const line of block.split('\n')) {
      if (line === '' || line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon === -1 ? line : line.slice(0, colon);
      const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'data') data.push(value);
      else if (field === 'id') message.id = value;
      else if (field === 'event') message.event = value;
    }
    if (data.length) message.data = data.join('\n');
    if (message.data !== undefined || message.id !== undefined || message.event !== undefined) messages.push(message);
  }
  return { messages, rest };
}
