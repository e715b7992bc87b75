// A `fetch` for https peers of a private CA (the CLI and other one-off clients calling an agent of a TLS mesh):
// node:https with the mesh's CA and client certificate, since the global fetch cannot take either. The agents'
// own hot path has its kept-alive pool in runtime/mesh-fetch.ts; this one is for a few calls.
import { request } from 'node:https';
import { Readable } from 'node:stream';
import type { ClientTls } from './tls.js';

export function tlsFetch(tls: ClientTls): typeof fetch {
  return async (input, init = {}) => {
    const url = input instanceof URL ? input : new URL(typeof input === 'string' ? input : input.url);
    if (url.protocol !== 'https:') return fetch(input, init);
    const headers = Object.fromEntries(new Headers(init.headers).entries());
    const body = typeof init.body === 'string' ? Buffer.from(init.body) : init.body instanceof Uint8Array ? Buffer.from(init.body) : undefined;
    if (body) headers['content-length'] = String(body.length);
    init.signal?.throwIfAborted();
    return new Promise<Response>((resolve, reject) => {
      const req = request(url, { method: init.method ?? 'GET', headers, ...tls, ...(init.signal ? { signal: init.signal } : {}) }, (res) => {
        const answer = new Headers();
        for (let i = 0; i < res.rawHeaders.length; i += 2) answer.append(res.rawHeaders[i]!, res.rawHeaders[i + 1]!);
        const empty = res.statusCode === 204 || res.statusCode === 304 || init.method === 'HEAD';
        if (empty) res.resume();
        resolve(new Response(empty ? null : (Readable.toWeb(res) as ReadableStream), { status: res.statusCode ?? 0, headers: answer }));
      });
      req.once('error', (error) => reject(init.signal?.aborted ? init.signal.reason : error));
      req.end(body);
    });
  };
}
