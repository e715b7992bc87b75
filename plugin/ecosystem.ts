// The fleet: ecosystem.config.js at the package root, the same file `pm2 start` reads.
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CliError } from './errors.js';
import { packageRoot } from './package-info.js';

export const ecosystemPath = join(packageRoot, 'ecosystem.config.js');

export async function ecosystemAppNames(): Promise<string[]> {
  let loaded: { apps?: { name?: string }[] };
  try {
    loaded = (await import(pathToFileURL(ecosystemPath).href)) as typeof loaded;
  } catch (error) {
    throw new CliError(`cannot load ${ecosystemPath}: ${(error as Error).message}`);
  }
  const names = (loaded.apps ?? []).map((app) => app.name).filter((name): name is string => !!name);
  if (!names.length) throw new CliError(`${ecosystemPath} lists no named apps (export const apps = [{ name, script }])`);
  return names;
}
