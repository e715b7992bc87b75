// Talking to PM2 from the CLI: its programmatic API for reads (process list), its own CLI for actions
// (install, set, start, delete), the pm2 that pm2-package.ts finds (a peer) and always a given PM2_HOME.
import { spawn } from 'node:child_process';
import { CliError } from './errors.js';
import { runningDaemonPid } from './pm2-home.js';
import { loadPm2Api, pm2BinPath, type Pm2Api } from './pm2-package.js';

export { pm2BinPath } from './pm2-package.js';

export interface Pm2Result {
  code: number;
  output: string;
}

/**
 * Runs `pm2 <args>` against one PM2_HOME. `show` streams PM2's own output to the user; otherwise it is
 * captured (without colours) and returned, to be shown only when something failed.
 */
export function runPm2(home: string, args: string[], { show = false, env = {} as NodeJS.ProcessEnv } = {}): Promise<Pm2Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [pm2BinPath(), ...args], {
      env: { ...process.env, ...env, PM2_HOME: home, ...(show ? {} : { NO_COLOR: '1', FORCE_COLOR: '0' }) },
      stdio: show ? 'inherit' : ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, output }));
  });
}

/** Like runPm2, but a non-zero exit is an error carrying the last lines PM2 printed. */
export async function pm2(home: string, args: string[], options: { show?: boolean; env?: NodeJS.ProcessEnv } = {}): Promise<string> {
  const result = await runPm2(home, args, options);
  if (result.code !== 0) {
    const tail = result.output.trim().split('\n').slice(-3).join(' | ');
    throw new CliError(`pm2 ${args.join(' ')} failed (exit ${result.code})${tail ? `: ${tail}` : ''}`);
  }
  return result.output;
}

export interface Pm2Process {
  name: string;
  pm_id: number;
  pid: number;
  status: string;
  restarts: number;
  /** When the process (re)started, ms since epoch. */
  started_at?: number;
  module: boolean;
}

interface Pm2Description {
  name?: string;
  pm_id?: number;
  pid?: number;
  pm2_env?: { status?: string; restart_time?: number; pm_uptime?: number; pmx_module?: boolean | string };
}

/** PM2's library reads PM2_HOME once, when first loaded: set it before. */
function loadPm2(home: string): Promise<Pm2Api> {
  process.env.PM2_HOME = home;
  return loadPm2Api();
}

/** The daemon's processes (apps and modules), or undefined when no daemon runs in that home. */
export async function listPm2Processes(home: string): Promise<Pm2Process[] | undefined> {
  if (runningDaemonPid(home) === undefined) return undefined;
  const pm2Api = await loadPm2(home);
  return new Promise((resolve, reject) => {
    pm2Api.connect((connectError) => {
      if (connectError) return reject(new CliError(`cannot reach the PM2 daemon of ${home}: ${connectError.message}`));
      pm2Api.list((listError, processes) => {
        pm2Api.disconnect();
        if (listError) return reject(new CliError(`pm2 list failed: ${listError.message}`));
        resolve((processes as Pm2Description[]).map(toPm2Process));
      });
    });
  });
}

function toPm2Process(description: Pm2Description): Pm2Process {
  const env = description.pm2_env ?? {};
  return {
    name: description.name ?? '?',
    pm_id: description.pm_id ?? -1,
    pid: description.pid ?? 0,
    status: env.status ?? 'unknown',
    restarts: env.restart_time ?? 0,
    started_at: env.pm_uptime,
    module: env.pmx_module === true || env.pmx_module === 'true',
  };
}
