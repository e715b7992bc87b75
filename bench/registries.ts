// Starts either registry (ours or MCP Mesh's Go one) the same way: a free loopback port, a data file, ready on /health.
import { spawnTracked, freePort, waitForHttp, type Spawned } from './processes.js';

export interface RegistryProcess {
  url: string;
  pid: number;
  /** Spawn → first 200 on GET /health, in ms. */
  readyMs: number;
  process: Spawned;
  /** SIGTERM (both save and exit on it), SIGKILL after 15 s. */
  stop(): Promise<void>;
}

export interface LaunchOptions {
  /** Seconds without a heartbeat before an agent turns unhealthy (default: the registry's own, 20 s for both). */
  timeoutS?: number;
}

export interface RegistryLauncher {
  label: string;
  /** `dataFile`: a file path, or a postgres:// URL (both registries take one as DATABASE_URL / --database-url). */
  start(dataFile: string, options?: LaunchOptions): Promise<RegistryProcess>;
}

const READY_TIMEOUT_MS = 60_000;

async function launch(url: string, spawned: Spawned, since: number): Promise<RegistryProcess> {
  try {
    const readyMs = await Promise.race([
      waitForHttp(`${url}/health`, READY_TIMEOUT_MS, since),
      spawned.exited.then((code) => {
        throw new Error(`exited (${code}) before serving:\n${spawned.output().slice(-2000)}`);
      }),
    ]);
    return {
      url,
      pid: spawned.pid,
      readyMs,
      process: spawned,
      stop: async () => {
        await spawned.stop('SIGTERM', 15_000);
      },
    };
  } catch (error) {
    await spawned.stop('SIGKILL');
    throw error;
  }
}

/** Ours: `node [nodeFlags] dist/registry/main.js`, run from the built tree. */
export function ourRegistry(mainJs: string, nodeFlags: readonly string[] = []): RegistryLauncher {
  return {
    label: 'ours',
    async start(dataFile, options = {}) {
      const port = await freePort();
      const timeout = options.timeoutS ? ['--timeout', String(options.timeoutS)] : [];
      const since = performance.now();
      // A postgres:// URL instead of a file: the PostgreSQL storage (replicas: several on one URL).
      const storage = /^postgres(ql)?:\/\//.test(dataFile) ? ['--database-url', dataFile] : ['--data-file', dataFile];
      // The bench registers thousands of agents from one address as fast as it can: no flood limit (MCP Mesh has none).
      const spawned = spawnTracked(process.execPath, [
        ...nodeFlags,
        mainJs,
        '--host',
        '127.0.0.1',
        '--port',
        String(port),
        ...storage,
        '--registration-rate',
        '0',
        ...timeout,
      ]);
      return launch(`http://127.0.0.1:${port}`, spawned, since);
    },
  };
}

/** MCP Mesh 3.7.1's `mcp-mesh-registry`, configured through its environment as documented. */
export function goRegistry(binary: string): RegistryLauncher {
  return {
    label: 'MCP Mesh Go',
    async start(dataFile, options = {}) {
      const port = await freePort();
      const timeout = options.timeoutS ? { DEFAULT_TIMEOUT_THRESHOLD: String(options.timeoutS) } : {};
      const since = performance.now();
      const spawned = spawnTracked(binary, [], { HOST: '127.0.0.1', PORT: String(port), DATABASE_URL: dataFile, ...timeout });
      return launch(`http://127.0.0.1:${port}`, spawned, since);
    },
  };
}
