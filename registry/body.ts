// Reads a JSON request body with a size limit, strict UTF-8 and a nesting limit: every failure is a client error.
import type { IncomingMessage } from 'node:http';
import { jsonDepth, MAX_JSON_DEPTH } from './validate.js';

/** An error answered as `{error}` with its status (4xx for what the client sent, 503 when we cannot serve). */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

export async function readJsonBody(req: IncomingMessage, limit: number): Promise<unknown> {
  const raw = await readBodyBytes(req, limit);
  if (raw.length === 0) throw new HttpError(400, 'Invalid JSON payload: empty body');
  let text: string;
  try {
    text = utf8.decode(raw);
  } catch {
    throw new HttpError(400, 'Invalid JSON payload: body is not valid UTF-8');
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new HttpError(400, `Invalid JSON payload: ${(error as Error).message}`);
  }
  if (jsonDepth(value) > MAX_JSON_DEPTH) throw new HttpError(400, `Invalid JSON payload: nested deeper than ${MAX_JSON_DEPTH} levels`);
  return value;
}

/** The whole body as bytes; 413 over `limit` (before reading when Content-Length says so). */
export function readBodyBytes(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > limit) {
    req.resume(); // drain so the connection can answer
    return Promise.reject(new HttpError(413, `request body too large: ${declared} bytes, limit ${limit}`));
  }
  return readRaw(req, limit);
}

function readRaw(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (error: Error | null, body?: Buffer) => {
      if (done) return;
      done = true;
      req.off('data', onData).off('end', onEnd).off('error', onError).off('aborted', onAborted);
      if (error) {
        req.resume();
        reject(error);
      } else resolve(body!);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) finish(new HttpError(413, `request body too large: over ${limit} bytes`));
      else chunks.push(chunk);
    };
    const onEnd = () => finish(null, Buffer.concat(chunks, size));
    const onError = () => finish(new HttpError(400, 'Invalid JSON payload: request body was cut off'));
    const onAborted = onError;
    req.on('data', onData).on('end', onEnd).on('error', onError).on('aborted', onAborted);
  });
}
