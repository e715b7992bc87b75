// Agents as real processes: an example agent (dist/examples/<name>.js) or a test fixture agent
// (dist/test/fixtures/agents/<name>.js) started with its env, and the SDK's own client to call one.
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { childEnv, DIST, launchNode, type Proc } from './processes.js';

export const examplePath = (name: string) => join(DIST, 'examples', `${name}.js`);
export const fixtureAgentPath = (name: string) => join(DIST, 'test', 'fixtures', 'agents', `${name}.js`);

export interface AgentProc extends Proc {
  agentId: string;
  endpoint: string;
  mcpUrl: string;
}

const SERVING = /\[mesh\] (\S+) serving (https?:\/\/\S+)\/mcp/;

/**
 * Starts an example agent by name (or any runtime script by path) and waits until it serves. Its environment is the
 * test's without MCP_MESH_* variables, plus `env`.
 */
export async function startAgent(nameOrPath: string, env: Record<string, string> = {}, nodeArgs: string[] = []): Promise<AgentProc> {
  const script = nameOrPath.includes('/') ? nameOrPath : examplePath(nameOrPath);
  const label = env.MCP_MESH_AGENT_NAME ?? nameOrPath.split('/').pop()!.replace(/\.js$/, '');
  const proc = launchNode(label, script, [], { env: childEnv(env), nodeArgs }) as AgentProc;
  const line = await proc.waitForLine(SERVING);
  const [, agentId, endpoint] = SERVING.exec(line.text)!;
  proc.agentId = agentId!;
  proc.endpoint = endpoint!;
  proc.mcpUrl = `${endpoint}/mcp`;
  return proc;
}

/** The SDK's own client over Streamable HTTP: what any MCP client would use. */
export async function connectClient(mcpUrl: string): Promise<Client> {
  const client = new Client({ name: 'mesh-test', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(mcpUrl)));
  return client;
}

export async function callTool(client: Client, name: string, args: Record<string, unknown> = {}): Promise<CallToolResult> {
  return (await client.callTool({ name, arguments: args })) as CallToolResult;
}
