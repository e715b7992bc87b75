// pm2-mesh install / uninstall: the registry as the PM2 module, in one step.
import type { Command } from '../args.js';
import { cliTls, moduleRegistryUrl } from '../connection.js';
import { CliError } from '../errors.js';
import { installModule, setModuleSettings, uninstallModule } from '../module-install.js';
import { moduleName, packageRoot } from '../package-info.js';
import { pm2HomeOption, readModuleSettings, resolvePm2Home } from '../pm2-home.js';
import { RegistryClient } from '../../core/registry-client.js';
import { waitFor } from '../wait.js';
import { installForm, moduleOptions, wantedSettings } from './module-options.js';

/** Waits until the module's registry answers /health; its URL comes from the module's settings. */
export async function waitForModuleRegistry(home: string, timeoutMs: number): Promise<string> {
  const settings = readModuleSettings(home, moduleName());
  const tls = cliTls(settings, {});
  const client = new RegistryClient({ url: moduleRegistryUrl(settings), token: settings.token, timeoutMs: 2000, ...(tls ? { tls } : {}) });
  const ok = await waitFor(async () => ((await client.health()).status ? true : undefined), { timeoutMs });
  if (!ok) {
    throw new CliError(`the module's registry did not answer at ${client.baseUrl} within ${timeoutMs / 1000} s; see \`pm2 logs ${moduleName()}\``);
  }
  return client.baseUrl;
}

export const install: Command = {
  name: 'install',
  summary: `Install this package as the PM2 module "${moduleName()}" (the registry runs inside the PM2 daemon).`,
  details: [
    `By default PM2 gets a link to ${packageRoot} (offline, fast; rebuilds take effect on \`pm2 restart ${moduleName()}\`).`,
    'Other settings: pm2 set mesh:data_file|database_url|health_interval|timeout|retention|token <value>; the MCP gateway: pm2 set mesh:gateway_port 8001.',
  ],
  options: { ...moduleOptions, ...pm2HomeOption },
  positionals: { min: 0, max: 0 },
  async run({ values }) {
    const home = resolvePm2Home(values).dir;
    await setModuleSettings(home, wantedSettings(values), readModuleSettings(home, moduleName()));
    await installModule(home, installForm(values), { show: true });
    const url = await waitForModuleRegistry(home, 20_000);
    process.stdout.write(`module ${moduleName()} installed; registry at ${url} (logs: pm2 logs ${moduleName()})\n`);
    return 0;
  },
};

export const uninstall: Command = {
  name: 'uninstall',
  summary: `Uninstall the PM2 module "${moduleName()}" (the registry stops cleanly; its settings, data file and logs are kept).`,
  options: { ...pm2HomeOption },
  positionals: { min: 0, max: 0 },
  async run({ values }) {
    const home = resolvePm2Home(values).dir;
    const removed = await uninstallModule(home, { show: true });
    process.stdout.write(removed ? `module ${moduleName()} uninstalled\n` : `module ${moduleName()} is not installed in ${home}\n`);
    return 0;
  },
};
