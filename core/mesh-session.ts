// What both ends of an agent-to-agent MCP session agree on: the runtime's client (mcp-client.ts) and its server
// (http.ts, transport/), and anything else that calls an agent.

/** Path of the MCP endpoint on every agent. */
export const MCP_PATH = '/mcp';

/**
 * Header a mesh agent sends when it opens a session to another agent. The provider then answers that session
 * with plain JSON instead of SSE: cheaper, and a provider dying mid-call fails the call at once (so it can fail
 * over) instead of leaving it to the timeout.
 */
export const MESH_CONSUMER_HEADER = 'mcp-mesh-consumer';

/** Path where an agent reports how its dependency calls spread over their providers (AgentCallsResponse). */
export const CALLS_PATH = '/calls';
