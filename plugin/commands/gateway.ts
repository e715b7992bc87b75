// pm2-mesh gateway: one MCP server for hosts (Claude, Cursor, VS Code, MCP Inspector) with every healthy tool of
// the mesh, over Streamable HTTP (`http://127.0.0.1:8001/mcp`) or stdio (`--stdio`).
import { DEFAULT_CALL_TIMEOUT_S, DEFAULT_GATEWAY_PORT } from '../../core/defaults.js';
import { listOption, numberOption, stringOption, type Command } from '../args.js';
import { withEnvironment } from '../../core/flags.js';
import { cliTls, resolveConnection } from '../connection.js';
import { readModuleSettings, resolvePm2Home } from '../pm2-home.js';
import { CliError, UsageError } from '../errors.js';
import { moduleName, readPackageJson } from '../package-info.js';
import { registryBaseUrl } from '../../core/registry-client.js';
import type { LogLevel } from '../../gateway/index.js';

/** Flags that only mean something for HTTP. */
const HTTP_ONLY = ['host', 'port', 'token', 'allowed-hosts', 'allowed-origins'];

export const gateway: Command = {
  name: 'gateway',
  summary: 'Serve every healthy tool of the mesh as one MCP server (Streamable HTTP at /mcp, or --stdio) for Claude, Cursor, VS Code…',
  options: {
    registry: {
      type: 'string',
      valueName: 'url',
      description:
        "registry URL, or several replicas comma-separated (env MCP_MESH_REGISTRY_URL; default: the PM2 module's host:port, else http://127.0.0.1:8000)",
    },
    'registry-token': {
      type: 'string',
      valueName: 'token',
      description: 'bearer token for the registry (env MCP_MESH_REGISTRY_TOKEN; default: mesh:token)',
    },
    host: { type: 'string', valueName: 'host', description: 'address to bind (default 127.0.0.1)' },
    port: { type: 'string', short: 'p', valueName: 'port', description: `port to serve on (default ${DEFAULT_GATEWAY_PORT}; 0 picks a free one)` },
    token: { type: 'string', valueName: 'token', env: 'MCP_MESH_GATEWAY_TOKEN', description: "bearer token the gateway's own clients must send" },
    tag: {
      type: 'string',
      multiple: true,
      valueName: 'tag',
      description: 'provider tag filter: tag required, +tag preferred, -tag excluded (write --tag=-tag)',
    },
    capability: { type: 'string', multiple: true, valueName: 'capability', description: 'offer only these capabilities (* matches anything)' },
    exclude: { type: 'string', multiple: true, valueName: 'capability', description: 'never offer these capabilities (* matches anything)' },
    timeout: {
      type: 'string',
      valueName: 'seconds',
      description: `a call with no answer (and no progress) for this long is cancelled (default ${DEFAULT_CALL_TIMEOUT_S})`,
    },
    'allowed-hosts': {
      type: 'string',
      valueName: 'name,…',
      env: 'MCP_MESH_ALLOWED_HOSTS',
      description: 'more names the gateway is reached by (Host header) beyond its bind address and loopback; * = no Host check',
    },
    'allowed-origins': {
      type: 'string',
      valueName: 'url,…',
      env: 'MCP_MESH_ALLOWED_ORIGINS',
      description: 'web origins allowed to call it (default none)',
    },
    stdio: { type: 'boolean', description: 'speak MCP on stdin/stdout for hosts that launch a command (logs go to stderr)' },
  },
  details: [
    'Examples:',
    '  pm2-mesh gateway                                  # http://127.0.0.1:8001/mcp',
    '  pm2-mesh gateway --port 0 --token "$TOKEN"        # any free port; clients send Authorization: Bearer $TOKEN',
    '  pm2-mesh gateway --stdio --capability "weather*"  # for hosts that launch a command',
    '  claude mcp add --transport http mesh http://127.0.0.1:8001/mcp',
    "Each capability is one tool, named after its providers' tool (disambiguated as the README says). Calls go",
    'to the best-ranked healthy provider and fail over when it cannot be reached. Under PM2: pm2 set mesh:gateway_port 8001.',
  ],
  positionals: { min: 0, max: 0 },
  async run({ values }) {
    const stdio = values.stdio === true;
    if (stdio) {
      const flag = HTTP_ONLY.find((name) => values[name] !== undefined);
      if (flag) throw new UsageError(`gateway: --${flag} makes no sense with --stdio (a host launching the command talks over stdin/stdout)`);
    }
    const port = numberOption(values, 'port', DEFAULT_GATEWAY_PORT, { integer: true });
    if (port > 65535) throw new UsageError(`--port must be a port number 0-65535 (got "${String(values.port)}")`);
    const host = stringOption(values, 'host') ?? '127.0.0.1';
    if (!host.trim()) throw new UsageError('--host needs an address, e.g. 127.0.0.1');
    const timeout = numberOption(values, 'timeout', DEFAULT_CALL_TIMEOUT_S, { above: true });
    const withEnv = withEnvironment(gateway.options, values, process.env);
    const token = stdio ? undefined : stringOption(withEnv, 'token');
    const commaList = (name: string) =>
      (stringOption(withEnv, name) ?? '')
        .split(',')
        .map((item) => item.trim())
        .filter(Boolean);
    if (token !== undefined && !token.trim()) throw new UsageError('--token must not be empty');
    // Loaded on use: no other command needs the gateway (or the SDK's server side).
    const { checkFilter, LOG_LEVELS, startGateway } = await import('../../gateway/index.js');
    const connection = resolveConnection({ registry: values.registry, token: values['registry-token'] });
    try {
      registryBaseUrl(connection.url);
    } catch {
      throw new UsageError(`--registry must be an http(s) URL such as http://127.0.0.1:8000 (got "${connection.url}")`);
    }
    const filter = { tags: listOption(values, 'tag'), capabilities: listOption(values, 'capability'), exclude: listOption(values, 'exclude') };
    const problem = checkFilter(filter);
    if (problem) throw new UsageError(`gateway: ${problem}`);
    const level = (process.env.MCP_MESH_LOG_LEVEL?.toLowerCase() ?? 'info') as LogLevel;
    if (!LOG_LEVELS.includes(level)) throw new UsageError(`MCP_MESH_LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}`);
    const tls = cliTls(readModuleSettings(resolvePm2Home(values).dir, moduleName()));
    const started = await startGateway({
      registryUrl: connection.url,
      registryToken: connection.token,
      ...(tls ? { tls } : {}),
      filter,
      callTimeoutMs: timeout * 1000,
      version: readPackageJson().version,
      logLevel: level,
      ...(stdio
        ? { stdio: true as const }
        : { host, port, token, allowedHosts: commaList('allowed-hosts'), allowedOrigins: commaList('allowed-origins') }),
    }).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE') throw new CliError(`gateway: port ${port} on ${host} is in use; pick another with --port (0 = any free port)`);
      if (error.code === 'EADDRNOTAVAIL') throw new CliError(`gateway: cannot bind ${host}: not an address of this machine (--host)`);
      throw error;
    });
    const stop = () => void started.close().finally(() => process.exit(0));
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    void started.ended.then(stop);
    return null;
  },
};
