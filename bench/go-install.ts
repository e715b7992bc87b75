// MCP Mesh's Go registry, installed on demand from npm into bench/.work (never a dependency of this package).
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

export const GO_PACKAGE = '@mcpmesh/cli-linux-x64';
export const GO_VERSION = '3.7.1';

export type GoInstall = { binary: string } | { unavailable: string };

/** Installs (once) and locates `mcp-mesh-registry`; on failure says why, for the table. */
export async function installGoRegistry(workDir: string): Promise<GoInstall> {
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    return { unavailable: `${GO_PACKAGE} is built for linux-x64 only (this is ${process.platform}-${process.arch})` };
  }
  const prefix = join(workDir, `mcpmesh-${GO_VERSION}`);
  const binary = join(prefix, 'node_modules', ...GO_PACKAGE.split('/'), 'bin', 'mcp-mesh-registry');
  if (existsSync(binary)) return { binary };
  mkdirSync(prefix, { recursive: true });
  try {
    await promisify(execFile)('npm', ['install', '--prefix', prefix, `${GO_PACKAGE}@${GO_VERSION}`, '--no-audit', '--no-fund', '--loglevel=error'], {
      timeout: 180_000,
    });
  } catch (error) {
    const message = ((error as { stderr?: string }).stderr || (error as Error).message).trim().split('\n').pop();
    return { unavailable: `npm install ${GO_PACKAGE}@${GO_VERSION} failed: ${message}` };
  }
  return existsSync(binary) ? { binary } : { unavailable: `${GO_PACKAGE}@${GO_VERSION} installed without bin/mcp-mesh-registry` };
}
