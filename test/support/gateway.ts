// The gateway as a user runs it (`pm2-mesh gateway …` as a real process), and an MCP client of it that counts the
// tools/list_changed notifications it gets.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { CLI, childEnv, launchNode, type Proc } from './processes.js';

export interface GatewayProc extends Proc {
  /** The MCP URL it printed. */
  url: string;
  /** Its /health URL. */
  healthUrl: string;
}

const LISTENING = /gateway listening on (http:\/\/\S+\/mcp)/;

/** `pm2-mesh gateway --port 0 <args>`, once it prints its `gateway listening on <url>` line. */
export async function startGateway(args: string[], env: NodeJS.ProcessEnv = {}): Promise<GatewayProc> {
  const proc = launchNode('gateway', CLI, ['gateway', '--port', '0', ...args], { env: childEnv(env) }) as GatewayProc;
  const line = await Promise.race([
    proc.waitForLine(LISTENING),
    proc.exited.then((code) => Promise.reject(new Error(`gateway exited (${code}) before listening:\n${proc.output()}`))),
  ]);
  proc.url = LISTENING.exec(line.text)![1]!;
  proc.healthUrl = proc.url.replace(/\/mcp$/, '/health');
  return proc;
}

export interface WatchingClient {
  client: Client;
  /** Resolves at the next list_changed (from now on). */
  nextChange: (timeoutMs?: number) => Promise<void>;
}

export async function connectWatching(url: string, headers: Record<string, string> = {}): Promise<WatchingClient> {
  const client = new Client({ name: 'gateway-test', version: '1.0.0' });
  let waiters: (() => void)[] = [];
  client.setNotificationHandler(ToolListChangedNotificationSchema, () => {
    for (const w of waiters.splice(0)) w();
  });
  await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers } }));
  return {
    client,
    nextChange: (timeoutMs = 15_000) =>
      new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no tools/list_changed within ${timeoutMs} ms`)), timeoutMs);
        waiters.push(() => (clearTimeout(timer), resolve()));
      }),
  };
}

export async function toolNames(client: Client): Promise<string[]> {
  return (await client.listTools()).tools.map((t) => t.name).sort();
}
