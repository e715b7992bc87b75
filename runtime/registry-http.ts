// The agent's HTTP client for the registry: small JSON requests over node:http, each on its own connection.
// Not fetch: loading undici is ~20 ms on the way to the first heartbeat, and an agent that calls no other agent
// never needs it. No keep-alive: a heartbeat every few seconds racing the server's idle timeout would fail now and
// then on a socket closed under it; a loopback or LAN connect costs far less than that risk.
import { request as httpRequest, type IncomingMessage } from 'node:http';

export interface RegistryAnswer {
  status: number;
  ok: boolean;
  /** The body as JSON; undefined when empty or not JSON. */
  json<T>(): T | undefined;
}

export interface RegistryRequest {
  method: string;
  headers?: Record<string, string>;
  body?: string;
  signal: AbortSignal;
}

/** One request; the whole answer is read before it resolves. Rejects with the signal's reason when aborted. */
export async function registryRequest(url: string, init: RegistryRequest): Promise<RegistryAnswer> {
  const target = new URL(url);
  const request = target.protocol === 'https:' ? (await import('node:https')).request : httpRequest;
  const { signal } = init;
  signal.throwIfAborted();
  return new Promise<RegistryAnswer>((resolve, reject) => {
    const fail = (error: unknown) => reject(signal.aborted ? signal.reason : error);
    const headers: Record<string, string | number> = { ...init.headers, connection: 'close' };
    if (init.body !== undefined) headers['content-length'] = Buffer.byteLength(init.body);
    const req = request(target, { method: init.method, headers, agent: false, signal }, (res) => {
      readBody(res).then((text) => resolve(answer(res.statusCode ?? 0, text)), fail);
    });
    req.on('error', fail);
    req.end(init.body);
  });
}

async function readBody(res: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of res) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function answer(status: number, text: string): RegistryAnswer {
  return {
    status,
    ok: status >= 200 && status < 300,
    json<T>() {
      try {
        return text ? (JSON.parse(text) as T) : undefined;
      } catch {
        return undefined;
      }
    },
  };
}
