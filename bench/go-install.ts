// MCP Mesh 3.7.1 (its Go registry and meshctl), installed on demand from npm into a work folder (never a
// dependency of this package): the bench compares registries with it, the tests call our agents with its meshctl.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

export const GO_PACKAGE = '@mcpmesh/cli-linux-x64';
export const GO_VERSION = '3.7.1';

export type GoInstall = { binary: string } | { unavailable: string };
export type McpMeshInstall = { registry: string; meshctl: string } | { unavailable: string };

/** Installs (once) and locates `mcp-mesh-registry`; on failure says why, for the table. */
export async function installGoRegistry(workDir: string): Promise<GoInstall> {
  const install = await installMcpMesh(workDir);
  return 'unavailable' in install ? install : { binary: install.registry };
}

/**
 * Installs MCP Mesh into `<workDir>/mcpmesh-3.7.1` once. The install goes to a fresh folder renamed into place,
 * so test files running side by side never see (or make) a half-installed copy.
 */
export async function installMcpMesh(workDir: string): Promise<McpMeshInstall> {
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    return { unavailable: `${GO_PACKAGE} is built for linux-x64 only (this is ${process.platform}-${process.arch})` };
  }
  const prefix = join(workDir, `mcpmesh-${GO_VERSION}`);
  const bin = (root: string) => join(root, 'node_modules', ...GO_PACKAGE.split('/'), 'bin');
  const found = (root: string) => existsSync(join(bin(root), 'mcp-mesh-registry')) && existsSync(join(bin(root), 'meshctl'));
  const located = () => ({ registry: join(bin(prefix), 'mcp-mesh-registry'), meshctl: join(bin(prefix), 'meshctl') });
  if (found(prefix)) return located();
  mkdirSync(workDir, { recursive: true });
  const staging = mkdtempSync(join(workDir, `.mcpmesh-${GO_VERSION}-`));
  try {
    await promisify(execFile)('npm', ['install', '--prefix', staging, `${GO_PACKAGE}@${GO_VERSION}`, '--no-audit', '--no-fund', '--loglevel=error'], {
      timeout: 180_000,
    });
    if (!found(staging)) return { unavailable: `${GO_PACKAGE}@${GO_VERSION} installed without bin/mcp-mesh-registry and bin/meshctl` };
    try {
      renameSync(staging, prefix);
    } catch (error) {
      // Another process finished first: its copy is as good as ours.
      if (!found(prefix)) throw error;
    }
    return located();
  } catch (error) {
    const message = ((error as { stderr?: string }).stderr || (error as Error).message).trim().split('\n').pop();
    return { unavailable: `npm install ${GO_PACKAGE}@${GO_VERSION} failed: ${message}` };
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}
