// Installing this package as the PM2 module, in a form PM2 7 accepts. PM2 names the module after the last
// segment of what it is given, so a checkout folder (named anything) is offered through a link named after
// the package (`file://…/mesh`, npm records the real path), or as an `npm pack` tarball at an absolute path.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CliError } from './errors.js';
import { moduleName, packageRoot } from './package-info.js';
import { pm2 } from './pm2.js';
import { isModuleInstalled } from './pm2-home.js';

export type InstallForm = 'link' | 'pack';

export async function installModule(home: string, form: InstallForm, { show = false } = {}): Promise<void> {
  if (!existsSync(join(packageRoot, 'dist', 'plugin', 'module.js'))) {
    throw new CliError(`${packageRoot}/dist/plugin/module.js is missing: run \`npm run build\` first`);
  }
  const scratch = await mkdtemp(join(tmpdir(), 'pm2-mesh-install-'));
  try {
    const source = form === 'pack' ? await packTarball(scratch) : await linkFolder(scratch);
    await pm2(home, ['install', source], { show });
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

export async function uninstallModule(home: string, { show = false } = {}): Promise<boolean> {
  if (!isModuleInstalled(home, moduleName())) return false;
  await pm2(home, ['uninstall', moduleName()], { show });
  return true;
}

async function linkFolder(scratch: string): Promise<string> {
  const link = join(scratch, moduleName());
  await symlink(packageRoot, link, 'dir');
  return `file://${link}`;
}

async function packTarball(scratch: string): Promise<string> {
  const output = await run('npm', ['pack', '--pack-destination', scratch, '--loglevel=error'], packageRoot);
  const file = output.trim().split('\n').at(-1)?.trim();
  if (!file || !file.endsWith('.tgz')) throw new CliError(`npm pack printed no tarball name (got "${output.trim()}")`);
  return join(scratch, file);
}

function run(command: string, args: string[], cwd: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', (error) => reject(new CliError(`${command} ${args[0]} failed: ${error.message}`)));
    child.on('close', (code) =>
      code === 0
        ? resolve(stdout)
        : reject(new CliError(`${command} ${args.join(' ')} failed (exit ${code}): ${stderr.trim().split('\n').at(-1) ?? ''}`)),
    );
  });
}

/**
 * `pm2 set <module>:<key> <value>` for each value that differs from what is set: PM2 keeps the value
 * (even before install) and restarts an installed module with it. Returns whether anything changed.
 */
export async function setModuleSettings(home: string, wanted: Record<string, string | undefined>, current: Record<string, string>): Promise<boolean> {
  let changed = false;
  for (const [key, value] of Object.entries(wanted)) {
    if (value === undefined || current[key] === value) continue;
    await pm2(home, ['set', `${moduleName()}:${key}`, value]);
    changed = true;
  }
  return changed;
}
