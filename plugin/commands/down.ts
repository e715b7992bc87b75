// pm2-mesh down (what `npm stop` runs): the example agents deleted, the registry module uninstalled, and
// an isolated PM2 daemon left with nothing to run is killed.
import type { Command } from '../args.js';
import { ecosystemPath } from '../ecosystem.js';
import { uninstallModule } from '../module-install.js';
import { moduleName } from '../package-info.js';
import { listPm2Processes, pm2, runPm2 } from '../pm2.js';
import { isModuleInstalled, pm2HomeOption, resolvePm2Home, runningDaemonPid } from '../pm2-home.js';

const progress = (line: string) => process.stderr.write(`› ${line}\n`);

export const down: Command = {
  name: 'down',
  summary: 'Stop the mesh: delete the ecosystem.config.js apps and uninstall the registry module (settings and data file are kept).',
  details: ['With --pm2-home (or env PM2_HOME) the daemon of that home is killed too when nothing else runs in it.'],
  options: {
    ...pm2HomeOption,
    'keep-daemon': { type: 'boolean', description: 'never kill the PM2 daemon' },
  },
  positionals: { min: 0, max: 0 },
  async run({ values }) {
    const { dir: home, isolated } = resolvePm2Home(values);
    const name = moduleName();
    if (runningDaemonPid(home) === undefined && !isModuleInstalled(home, name)) {
      process.stdout.write(`nothing runs in ${home}\n`);
      return 0;
    }
    if (runningDaemonPid(home) !== undefined) {
      const deleted = await runPm2(home, ['delete', ecosystemPath]);
      progress(deleted.code === 0 ? 'deleted the ecosystem.config.js apps' : 'no ecosystem.config.js apps were running');
    }
    if (await uninstallModule(home)) progress(`uninstalled the PM2 module ${name}`);
    if (isolated && !values['keep-daemon']) {
      const left = await listPm2Processes(home);
      if (left && left.length === 0) {
        await pm2(home, ['kill']);
        progress(`killed the PM2 daemon of ${home}`);
      } else if (left?.length) {
        progress(`PM2 daemon of ${home} kept: it still runs ${left.map((p) => p.name).join(', ')}`);
      }
    }
    process.stdout.write(`mesh down (${home})\n`);
    return 0;
  },
};
