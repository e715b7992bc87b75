// The SDK's server side is over half of an agent's import time (McpServer brings ajv and zod-to-json-schema, its
// Streamable HTTP transport hono and undici), and nothing before the first MCP session needs it. McpServer loads
// then — not in the background after registering: an agent nobody calls stays ~4 MB lighter, and the first session
// waits for the import once; the SDK's transport only with the first session of a client that is not a mesh agent
// (mesh sessions have their own, transport/json-session.ts).
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';

let mcpServer: Promise<typeof McpServer> | undefined;
let sdkTransport: Promise<typeof StreamableHTTPServerTransport> | undefined;

export function loadMcpServer(): Promise<typeof McpServer> {
  mcpServer ??= import('@modelcontextprotocol/sdk/server/mcp.js').then((m) => m.McpServer);
  return mcpServer;
}

export function loadSdkTransport(): Promise<typeof StreamableHTTPServerTransport> {
  sdkTransport ??= import('@modelcontextprotocol/sdk/server/streamableHttp.js').then((m) => m.StreamableHTTPServerTransport);
  return sdkTransport;
}
