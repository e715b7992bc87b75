// pm2-mesh up (what `npm start` runs): the registry module installed and running, the example agents
// started from ecosystem.config.js, and a wait until each of them has registered healthy.
import { mkdirSync } from 'node:fs';
import { numberOption, type Command } from '../args.js';
import { cliTls, jsonOption } from '../connection.js';
import { ecosystemAppNames, ecosystemPath } from '../ecosystem.js';
import { CliError } from '../errors.js';
import { installModule, setModuleSettings } from '../module-install.js';
import { printJson } from '../output.js';
import { moduleName, packageRoot } from '../package-info.js';
import { listPm2Processes, pm2 } from '../pm2.js';
import { isModuleInstalled, pm2HomeOption, readModuleSettings, resolvePm2Home } from '../pm2-home.js';
import { RegistryClient } from '../../core/registry-client.js';
import { waitFor } from '../wait.js';
import { cliInvocation } from '../which.js';
import { waitForModuleRegistry } from './install.js';
import { installForm, moduleOptions, wantedSettings } from './module-options.js';
import { collectStatus, renderStatus } from './status.js';

const progress = (line: string) => process.stderr.write(`› ${line}\n`);

/** The apps of `names` that have no healthy agent registered by their current process yet. */
async function appsNotReady(home: string, client: RegistryClient, names: string[]): Promise<string[]> {
  const [processes, { agents }] = await Promise.all([listPm2Processes(home), client.agents()]);
  return names.filter((name) => {
    const app = processes?.find((p) => !p.module && p.name === name);
    if (!app || app.status !== 'online') return true;
    return !agents.some((agent) => agent.status === 'healthy' && agent.metadata?.pm_id === app.pm_id && (agent.metadata?.pid ?? app.pid) === app.pid);
  });
}

export const up: Command = {
  name: 'up',
  summary:
    'Start the mesh under PM2: install the registry module, start the example agents (ecosystem.config.js), wait until every agent is healthy, print the status.',
  details: [
    'Isolated PM2: pm2-mesh up --pm2-home /tmp/mesh-pm2 (or env PM2_HOME); undo with pm2-mesh down.',
    `An installed module is restarted so that a fresh build of ${packageRoot} takes effect.`,
  ],
  options: {
    ...moduleOptions,
    ...pm2HomeOption,
    ...jsonOption,
    timeout: { type: 'string', valueName: 'seconds', description: 'how long to wait for the agents to be healthy (default 60)' },
  },
  positionals: { min: 0, max: 0 },
  async run({ values }) {
    const timeoutMs = numberOption(values, 'timeout', 60) * 1000;
    const settingsWanted = wantedSettings(values);
    const { dir: home, isolated } = resolvePm2Home(values);
    if (isolated) mkdirSync(home, { recursive: true });
    const name = moduleName();
    progress(`PM2_HOME ${home}`);

    const changed = await setModuleSettings(home, settingsWanted, readModuleSettings(home, name));
    if (!isModuleInstalled(home, name)) {
      progress(`installing the PM2 module ${name} (${installForm(values) === 'pack' ? 'npm pack tarball' : `link to ${packageRoot}`})`);
      await installModule(home, installForm(values));
    } else if (!changed) {
      progress(`restarting the PM2 module ${name}`);
      await pm2(home, ['restart', name]);
    }
    const url = await waitForModuleRegistry(home, 30_000);
    progress(`registry listening at ${url}`);

    const settings = readModuleSettings(home, name);
    const tls = cliTls(settings, {});
    const client = new RegistryClient({ url, token: settings.token, timeoutMs: 5000, ...(tls ? { tls } : {}) });
    const apps = await ecosystemAppNames();
    progress(`starting ${apps.join(', ')} (${ecosystemPath})`);
    await pm2(home, ['start', ecosystemPath, '--update-env'], {
      env: {
        MESH_PORT: new URL(url).port,
        MCP_MESH_REGISTRY_URL: url,
        // Apps get their own credential from ecosystem.config.js; the shared token only serves a registry without one.
        ...(settings.token && settings.auth === 'off' ? { MESH_TOKEN: settings.token } : {}),
        // A TLS module: the apps serve and call with the same files (pm2 set mesh:tls_*).
        ...Object.fromEntries(
          (['mode', 'cert', 'key', 'ca'] as const)
            .filter((k) => settings[`tls_${k}`])
            .map((k) => [`MCP_MESH_TLS_${k.toUpperCase()}`, settings[`tls_${k}`]!]),
        ),
      },
    });

    let waiting = apps;
    const ready = await waitFor(
      async () => {
        waiting = await appsNotReady(home, client, apps);
        return waiting.length ? undefined : true;
      },
      { timeoutMs, intervalMs: 500 },
    );
    const status = await collectStatus({ ...values, registry: url, token: settings.token || undefined });
    if (values.json) printJson(status);
    else process.stdout.write(renderStatus(status));
    if (!ready) {
      throw new CliError(`not healthy after ${timeoutMs / 1000} s: ${waiting.join(', ')}; see \`pm2 logs ${waiting[0]}\``);
    }
    const self = cliInvocation();
    progress(`mesh up: ${apps.length} agents healthy; try \`${self} list\`, \`${self} dash\`, \`pm2 logs\`; stop with \`${self} down\``);
    return 0;
  },
};
