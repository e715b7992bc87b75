// The SDK's server side (McpServer and its Streamable HTTP transport, with ajv, zod-to-json-schema, hono and undici
// behind them) is over half of an agent's import time, and nothing before the first MCP session needs it: it is
// loaded then, or in the background once the agent has registered, whichever comes first.
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';

export interface ServerSide {
  McpServer: typeof McpServer;
  StreamableHTTPServerTransport: typeof StreamableHTTPServerTransport;
}

let loading: Promise<ServerSide> | undefined;

export function loadServerSide(): Promise<ServerSide> {
  loading ??= Promise.all([
    import('@modelcontextprotocol/sdk/server/mcp.js'),
    import('@modelcontextprotocol/sdk/server/streamableHttp.js'),
  ]).then(([mcp, http]) => ({ McpServer: mcp.McpServer, StreamableHTTPServerTransport: http.StreamableHTTPServerTransport }));
  return loading;
}

/** Starts loading without waiting for it (a failure shows when a session needs it). */
export function preloadServerSide(): void {
  loadServerSide().catch(() => undefined);
}
