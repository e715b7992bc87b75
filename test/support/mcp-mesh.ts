// MCP Mesh 3.7.1 for the tests that check we work with it (its meshctl, its registry): installed on demand from npm
// into a folder of the OS temp dir shared by test runs (never a dependency of this package). MCPMESH_BIN points at
// a folder that already holds mcp-mesh-registry and meshctl.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { installMcpMesh } from '../../bench/go-install.js';

export interface McpMeshBinaries {
  registry: string;
  meshctl: string;
}

let installing: Promise<McpMeshBinaries> | undefined;

/** The binaries; throws with the reason when they cannot be had (not linux-x64, npm unreachable). */
export function mcpMeshBinaries(): Promise<McpMeshBinaries> {
  installing ??= (async () => {
    if (process.env.MCPMESH_BIN)
      return { registry: join(process.env.MCPMESH_BIN, 'mcp-mesh-registry'), meshctl: join(process.env.MCPMESH_BIN, 'meshctl') };
    const install = await installMcpMesh(join(tmpdir(), 'pm2-mesh-test-tools'));
    if ('unavailable' in install) throw new Error(`MCP Mesh is needed for this test: ${install.unavailable}`);
    return install;
  })();
  return installing;
}

export interface MeshctlRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs meshctl against `registryUrl` with a throw-away HOME (it keeps state there) and no colours. */
export async function meshctl(args: string[], registryUrl: string, timeoutMs = 60_000): Promise<MeshctlRun> {
  const { meshctl: binary } = await mcpMeshBinaries();
  const home = mkdtempSync(join(tmpdir(), 'meshctl-home-'));
  try {
    const { stdout, stderr } = await promisify(execFile)(binary, [...args, '--registry-url', registryUrl], {
      env: { ...process.env, HOME: home, NO_COLOR: '1' },
      timeout: timeoutMs,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof failed.code === 'number' ? failed.code : 1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? String(error) };
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}
