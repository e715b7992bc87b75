// Where this package lives and what its package.json says: the CLI and the module read both at run time.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The package root: this file is dist/plugin/package-info.js once built. */
export const packageRoot = fileURLToPath(new URL('../../', import.meta.url)).replace(/\/$/, '');

export interface PackageJson {
  name: string;
  version: string;
  config?: Record<string, string>;
}

let cached: PackageJson | undefined;

export function readPackageJson(): PackageJson {
  cached ??= JSON.parse(readFileSync(`${packageRoot}/package.json`, 'utf8')) as PackageJson;
  return cached;
}

/** PM2 names a module after its package: `pm2 set <name>:port`, `pm2 logs <name>`. */
export function moduleName(): string {
  return readPackageJson().name;
}
