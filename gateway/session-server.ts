// The MCP server one client session talks to: tools/list answers the gateway's catalog, tools/call forwards.
// The SDK's low-level Server, because the tools are not ours to declare with zod: their JSON Schemas come from
// the providers as they are.
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { CallToolRequestSchema, ErrorCode, ListToolsRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import type { Gateway } from './gateway.js';
import { nearNames } from '../core/near-names.js';
import { RpcError } from './rpc-error.js';

export function createSessionServer(gateway: Gateway, version: string): Server {
  const server = new Server(
    { name: 'pm2-mesh-gateway', title: 'pm2-mesh gateway', version },
    {
      capabilities: { tools: { listChanged: true } },
      instructions:
        'The tools of an MCP mesh (pm2-mesh): each is served by the best healthy agent providing it. The list follows the mesh as agents come and go.',
    },
  );
  server.setRequestHandler(ListToolsRequestSchema, async () => ({ tools: await gateway.listTools() }));
  server.setRequestHandler(CallToolRequestSchema, async (request, extra) => {
    const result = await gateway.call(request.params.name, request.params, extra);
    if (result) return result;
    const near = nearNames(request.params.name, gateway.toolNames());
    const hint = near.length
      ? `; did you mean ${near.map((n) => `"${n}"`).join(', ')}?`
      : gateway.toolNames().length
        ? ''
        : ' (the mesh offers no tools right now)';
    throw new RpcError(ErrorCode.InvalidParams, `unknown tool "${request.params.name}"${hint}`);
  });
  return server;
}
