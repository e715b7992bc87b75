// The SDK's server side is over half of an agent's import time (McpServer brings ajv and zod-to-json-schema, its
// Streamable HTTP transport hono and undici), and nothing before the first MCP session needs it. McpServer loads
// then — not in the background after registering: an agent nobody calls stays ~4 MB lighter, and the first session
// waits for the import once; the SDK's transport only with the first session of a client that is not a mesh agent
// (mesh sessions have their own, transport/json-session.ts).
// The same holds for the SDK's types module (a zod schema for every MCP message, ~2.5 MB of RSS) and the mesh's own
// transports built on it: they load with the first MCP request the agent serves, and the error classes with the
// first error that needs one. An idle agent has none of them.
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { JsonSessionTransport } from './transport/json-session.js';
import type { StatelessTransport } from './transport/stateless.js';

type SdkTypes = typeof import('@modelcontextprotocol/sdk/types.js');

let mcpServer: Promise<typeof McpServer> | undefined;
let sdkTransport: Promise<typeof StreamableHTTPServerTransport> | undefined;
let sdkTypes: Promise<SdkTypes> | undefined;
let loadedTypes: SdkTypes | undefined;
let meshTransports: Promise<MeshTransports> | undefined;

export interface MeshTransports {
  JsonSessionTransport: typeof JsonSessionTransport;
  StatelessTransport: typeof StatelessTransport;
  isInitializeRequest: SdkTypes['isInitializeRequest'];
}

export function loadMcpServer(): Promise<typeof McpServer> {
  mcpServer ??= import('@modelcontextprotocol/sdk/server/mcp.js').then((m) => m.McpServer);
  return mcpServer;
}

export function loadSdkTransport(): Promise<typeof StreamableHTTPServerTransport> {
  sdkTransport ??= import('@modelcontextprotocol/sdk/server/streamableHttp.js').then((m) => m.StreamableHTTPServerTransport);
  return sdkTransport;
}

/** The SDK's types module (McpError, ErrorCode, the message schemas and guards). */
export function loadSdkTypes(): Promise<SdkTypes> {
  sdkTypes ??= import('@modelcontextprotocol/sdk/types.js').then((m) => (loadedTypes = m));
  return sdkTypes;
}

/** The SDK's types module if it is loaded already: until it is, no McpError can exist in this process. */
export function loadedSdkTypes(): SdkTypes | undefined {
  return loadedTypes;
}

/** The transports of mesh sessions and session-less requests, with the guard that tells an initialize request. */
export function loadMeshTransports(): Promise<MeshTransports> {
  meshTransports ??= Promise.all([import('./transport/json-session.js'), import('./transport/stateless.js'), loadSdkTypes()]).then(
    ([session, stateless, types]) => ({
      JsonSessionTransport: session.JsonSessionTransport,
      StatelessTransport: stateless.StatelessTransport,
      isInitializeRequest: types.isInitializeRequest,
    }),
  );
  return meshTransports;
}
