// pm2-mesh dash: the terminal dashboard (tui/), a pure client of the registry API.
import type { Command } from '../args.js';
import { cliTls, registryOptions, resolveConnection } from '../connection.js';
import { moduleName } from '../package-info.js';
import { readModuleSettings, resolvePm2Home } from '../pm2-home.js';
import { CliError } from '../errors.js';
import { registryBaseUrl } from '../../core/registry-client.js';

export const dash: Command = {
  name: 'dash',
  summary: 'Open the live dashboard: agents, capabilities, dependency wiring, event log, heartbeat rate (q quits).',
  options: {
    ...registryOptions,
    all: { type: 'boolean', description: 'show past instances too (unhealthy agents whose name another agent now serves); the a key toggles' },
  },
  positionals: { min: 0, max: 0 },
  async run({ values }) {
    const { url, token } = resolveConnection(values);
    const registryUrl = registryBaseUrl(url);
    if (!process.stdout.isTTY) throw new CliError('dash needs a terminal (stdout is not a TTY); use pm2-mesh list or events -f');
    const { runDashboard } = await import('../../tui/index.js');
    // SIGTERM/SIGHUP (terminal closed, `kill`) quit like `q`, so the terminal is restored.
    const quit = new AbortController();
    const stop = () => quit.abort();
    process.once('SIGTERM', stop);
    process.once('SIGHUP', stop);
    try {
      const tls = cliTls(readModuleSettings(resolvePm2Home(values).dir, moduleName()));
      return await runDashboard({ registryUrl, token, tls, showAll: values.all === true, signal: quit.signal });
    } finally {
      process.off('SIGTERM', stop);
      process.off('SIGHUP', stop);
    }
  },
};
