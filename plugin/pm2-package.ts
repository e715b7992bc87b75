// Which pm2 to use. pm2 is a peer of this package, not a dependency: `pm2 install` of the module then adds no second
// copy of PM2 (and its ~100 packages) under PM2_HOME/modules/mesh. The module uses the PM2 that runs it; the CLI the
// one next to this package (a project's own node_modules, our dev install), else the `pm2` on PATH, else the global
// packages beside this node.
import { existsSync, realpathSync } from 'node:fs';
import { createRequire } from 'node:module';
import { delimiter, dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CliError } from './errors.js';

const require = createRequire(import.meta.url);

/** The PM2 whose daemon started this process: PM2 runs every app through its lib/ProcessContainer*.js. */
function runningPm2(): string | undefined {
  const container = process.argv[1] ?? '';
  return /[\\/]lib[\\/]ProcessContainer(Fork)?\.js$/.test(container) ? dirname(dirname(container)) : undefined;
}

function besideThisPackage(): string | undefined {
  try {
    return dirname(require.resolve('pm2/package.json'));
  } catch {
    return undefined;
  }
}

/** `pm2` on PATH is bin/pm2 of a pm2 package, through a symlink (npm's global bin). */
function onPath(): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const bin = join(dir, 'pm2');
    if (!dir || !existsSync(bin)) continue;
    const real = realpathSync(bin);
    if (/[\\/]bin[\\/]pm2$/.test(real) && existsSync(join(dirname(dirname(real)), 'package.json'))) return dirname(dirname(real));
  }
  return undefined;
}

function globalBesideNode(): string | undefined {
  const dir = join(dirname(dirname(process.execPath)), 'lib', 'node_modules', 'pm2');
  return existsSync(join(dir, 'package.json')) ? dir : undefined;
}

let found: string | undefined;

/** The pm2 package folder, or a CliError saying how to get one. */
export function pm2PackageDir(): string {
  found ??= runningPm2() ?? besideThisPackage() ?? onPath() ?? globalBesideNode();
  if (!found) throw new CliError('pm2 is not installed: install it (npm install -g pm2), it is a peer of this package', 2);
  return found;
}

export function pm2BinPath(): string {
  return join(pm2PackageDir(), 'bin', 'pm2');
}

export type Pm2Api = typeof import('pm2');

let api: Promise<Pm2Api> | undefined;

/** PM2's programmatic API (its package main), loaded once. PM2 reads PM2_HOME when first loaded: set it before. */
export function loadPm2Api(): Promise<Pm2Api> {
  api ??= (async () => {
    const dir = pm2PackageDir();
    const main = (require(join(dir, 'package.json')) as { main?: string }).main ?? 'index.js';
    const loaded = (await import(pathToFileURL(join(dir, main)).href)) as { default?: Pm2Api } & Pm2Api;
    return loaded.default ?? loaded;
  })();
  return api;
}

/** One subscription to PM2's event bus: what `pm2.launchBus` hands back (an axon sub-emitter socket). */
export interface Pm2BusSocket {
  /** `data` is what the daemon published under `event`. */
  on<T>(event: string, listener: (data: T) => void): unknown;
  connect(path: string): { once(event: 'connect', listener: () => void): unknown };
  close(): void;
}

/**
 * PM2's event bus without its programmatic API: the daemon publishes on PM2_HOME/pub.sock, and `pm2.launchBus` is
 * nothing but an axon `sub-emitter` socket connected there. PM2's API pulls in its whole CLI (~5 MB of RSS in the
 * module, which only listens to the bus), so the module takes the two parts it needs from the same pm2 package: the
 * axon library PM2 7 bundles and its paths.js, which knows where the socket is for this PM2_HOME (a pipe on Windows).
 */
export function loadPm2Bus(pm2Home = process.env.PM2_HOME): { socket: () => Pm2BusSocket; path: string } {
  const dir = pm2PackageDir();
  const axon = require(join(dir, 'modules', 'pm2-axon')) as { socket(type: 'sub-emitter'): Pm2BusSocket };
  const paths = require(join(dir, 'paths.js')) as (home?: string) => { DAEMON_PUB_PORT: string };
  return { socket: () => axon.socket('sub-emitter'), path: paths(pm2Home).DAEMON_PUB_PORT };
}
