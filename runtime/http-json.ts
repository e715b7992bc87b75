// JSON in and out of node:http for MCP endpoints (agents, the gateway): plain answers, JSON-RPC error answers, and
// request bodies read with a size limit.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { describeError } from './log.js';

/** Largest JSON-RPC body accepted on /mcp. */
export const MAX_BODY_BYTES = 4 * 1024 * 1024;

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(res.req.method === 'HEAD' ? undefined : text);
}

export function sendRpcError(res: ServerResponse, status: number, code: number, message: string): void {
  sendJson(res, status, { jsonrpc: '2.0', error: { code, message }, id: null });
}

/** The parsed JSON body, or undefined after answering 400/413 itself. */
export async function readJson(req: IncomingMessage, res: ServerResponse): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) {
      sendRpcError(res, 413, -32000, `request body larger than ${MAX_BODY_BYTES} bytes`);
      req.destroy();
      return undefined;
    }
    chunks.push(chunk as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch (error) {
    sendRpcError(res, 400, -32700, `Parse error: ${describeError(error)}`);
    return undefined;
  }
}
