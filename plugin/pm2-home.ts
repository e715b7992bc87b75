// Reading a PM2 home's files directly (no daemon needed): which home, the module's `pm2 set` values,
// whether the module is installed, whether the daemon runs.
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Options, Values } from './args.js';

export const pm2HomeOption: Options = {
  'pm2-home': { type: 'string', valueName: 'dir', description: 'use the PM2 daemon of this PM2_HOME (env PM2_HOME; default ~/.pm2)' },
};

export interface Pm2Home {
  dir: string;
  /** True when the user chose the home (flag or env), false for PM2's default ~/.pm2. */
  isolated: boolean;
}

/** Same rule as PM2 itself: PM2_HOME, else ~/.pm2. */
export function resolvePm2Home(values: Values = {}, env: NodeJS.ProcessEnv = process.env): Pm2Home {
  const chosen = typeof values['pm2-home'] === 'string' ? values['pm2-home'] : env.PM2_HOME;
  if (chosen) return { dir: resolve(chosen), isolated: true };
  return { dir: join(homedir(), '.pm2'), isolated: false };
}

function readModuleConf(home: string): Record<string, unknown> {
  try {
    return JSON.parse(readFileSync(join(home, 'module_conf.json'), 'utf8')) as Record<string, unknown>;
  } catch {
    return {};
  }
}

/** The values set with `pm2 set <module>:<key>` (strings), or {} when none. */
export function readModuleSettings(home: string, module: string): Record<string, string> {
  const settings = readModuleConf(home)[module];
  if (!settings || typeof settings !== 'object') return {};
  return Object.fromEntries(Object.entries(settings).map(([key, value]) => [key, String(value)]));
}

/** PM2 records installed npm modules under "module-db-v2" in module_conf.json. */
export function isModuleInstalled(home: string, module: string): boolean {
  const installed = readModuleConf(home)['module-db-v2'];
  return !!installed && typeof installed === 'object' && module in installed;
}

/** The daemon's pid when it runs; connecting to PM2 without one would start a daemon as a side effect. */
export function runningDaemonPid(home: string): number | undefined {
  try {
    const pid = Number(readFileSync(join(home, 'pm2.pid'), 'utf8').trim());
    if (!Number.isInteger(pid) || pid <= 0) return undefined;
    process.kill(pid, 0);
    return pid;
  } catch {
    return undefined;
  }
}
