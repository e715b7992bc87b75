// Starting the gateway the two ways hosts reach it: Streamable HTTP on a port, or stdio for hosts that launch a
// command. Used by `pm2-mesh gateway` and by the PM2 module (`pm2 set mesh:gateway_port 8001`).
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { Logger, type LogLevel } from '../runtime/index.js';
import { Gateway, type GatewayOptions } from './gateway.js';
import { serveHttp, type HttpServingOptions } from './http-server.js';

export type StartGatewayOptions = Omit<GatewayOptions, 'log'> & {
  /** Default info. Lines read `[mesh] gateway …`: on stdout over HTTP (pm2 logs shows them), on stderr with stdio. */
  logLevel?: LogLevel;
} & ({ stdio: true } | ({ stdio?: false } & Omit<HttpServingOptions, 'log'>));

function gatewayLog(options: StartGatewayOptions): Logger {
  // stdout belongs to the MCP conversation in stdio mode: every line goes to stderr.
  const write = options.stdio ? (_stream: 'stdout' | 'stderr', line: string) => void process.stderr.write(`${line}\n`) : undefined;
  return new Logger('gateway', { level: options.logLevel ?? 'info', heartbeats: false, ...(write ? { write } : {}) });
}

export interface StartedGateway {
  gateway: Gateway;
  /** The MCP URL (HTTP only). */
  url?: string;
  /** Resolves when a stdio host closed our stdin. */
  ended: Promise<void>;
  close(): Promise<void>;
}

export async function startGateway(startOptions: StartGatewayOptions): Promise<StartedGateway> {
  const options = { ...startOptions, log: gatewayLog(startOptions) };
  const gateway = new Gateway(options);
  const started = gateway.start();
  if (options.stdio) {
    // The host may ask for the tools at once: the first list is read before the session starts.
    await started;
    const transport = new StdioServerTransport();
    const server = gateway.createServer();
    const ended = new Promise<void>((resolve) => {
      transport.onclose = resolve;
      process.stdin.once('end', resolve);
    });
    await server.connect(transport);
    options.log.info(`serving MCP on stdio (registry ${options.registryUrl}, ${gateway.status(1).tools} tools)`);
    return { gateway, ended, close: async () => (await server.close(), await gateway.close()) };
  }
  const http = await serveHttp(gateway, { ...options, log: options.log });
  await started;
  options.log.info(`listening on ${http.url} (registry ${options.registryUrl}, ${gateway.status(0).tools} tools)`);
  return { gateway, url: http.url, ended: new Promise(() => undefined), close: async () => (await http.close(), await gateway.close()) };
}
