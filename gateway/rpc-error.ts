// A JSON-RPC error the gateway answers with. The SDK's McpError puts "MCP error <code>: " into its message, and the
// caller's SDK adds it again; this one carries the plain message, so a host shows it once.

export class RpcError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly data?: unknown,
  ) {
    super(message);
    this.name = 'RpcError';
  }
}
