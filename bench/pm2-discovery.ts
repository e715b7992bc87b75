// Failure detection under PM2: the package packed and `pm2 install`ed as the module `mesh` in an isolated PM2_HOME,
// a provider and a consumer started as PM2 apps, the provider's process killed with SIGKILL.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { appCredential } from '../core/credentials.js';
import { agentEnv, benchAgentCapabilities, benchAgentScript, untilNotHealthy } from './agents.js';
import { atCleanup, freePort, IDLE_READ_S, rssBytes, sleep, waitForHttp } from './processes.js';

export interface Pm2Discovery {
  /** kill -9 → the registry lists the provider as not healthy. */
  detectedMs: number;
  /** kill -9 → a new topology line in the consumer's PM2 log. */
  rewiredMs: number;
  installMs: number;
  installedFrom: string;
  /** What `pm2 install` put under PM2_HOME/modules/mesh: packages in its node_modules and their bytes on disk. */
  dependencies: { packages: number; bytes: number; pm2Copies: number };
  /** The module's process (the registry) as PM2 runs it, with no agent yet. */
  moduleRss: number;
  /** The same 2 s after it served. */
  moduleRssSoon: number;
  /** Where `pm2 install` put the package (its length matters: docs/benchmarks.md, The empty registry). */
  modulePath: string;
  moduleNodeArgs: string;
  /** An idle agent app as pm2 monit shows it: started as ecosystem.config.js starts agents, and with PM2's defaults. */
  agentRss: { ecosystem: number; pm2Defaults: number };
}

/** Packages (a package.json right under node_modules/ or node_modules/@scope/) and the bytes of every file. */
export function dependencyTree(dir: string): { packages: number; bytes: number; pm2Copies: number } {
  let packages = 0;
  let bytes = 0;
  let pm2Copies = 0;
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    bytes += statSync(path).size;
    if (entry.name === 'package.json' && /node_modules\/(@[^/]+\/)?[^/@]+$/.test(entry.parentPath)) {
      packages++;
      if (/node_modules\/pm2$/.test(entry.parentPath)) pm2Copies++;
    }
  }
  return { packages, bytes, pm2Copies };
}

interface ListedApp {
  name: string;
  pid: number;
  pm2_env?: { node_args?: string[] | string };
}

interface ListedAgent {
  id: string;
  status: string;
  metadata?: { pm2_name?: string; pid?: number };
  dependency_resolutions?: Array<{ provider_agent_id?: string }> | null;
}

const INSTALL_TIMEOUT_MS = 600_000;

function run(file: string, args: string[], env: NodeJS.ProcessEnv, cwd: string, timeoutMs = 120_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { env, cwd, timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${file.split('/').pop()} ${args.join(' ')}: ${String(stderr).trim().split('\n').pop() || error.message}`));
      else resolve(String(stdout));
    });
  });
}

/** The environment of PM2 and its apps: this home only, no outer PM2_HOME or MCP_MESH_* leaking in. */
function isolatedEnv(home: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!key.startsWith('MCP_MESH_') && key !== 'PM2_HOME') env[key] = value;
  const tmp = join(home, 'tmp'); // PM2 backs modules up under TMPDIR: keep that inside the home
  mkdirSync(tmp, { recursive: true });
  return { ...env, PM2_HOME: home, TMPDIR: tmp, ...extra };
}

async function agents(registryUrl: string): Promise<ListedAgent[]> {
  const response = await fetch(`${registryUrl}/agents`);
  return ((await response.json()) as { agents?: ListedAgent[] }).agents ?? [];
}

async function waitForAgents<T>(registryUrl: string, pick: (list: ListedAgent[]) => T | undefined, what: string, timeoutMs: number): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    const found = pick(await agents(registryUrl).catch(() => []));
    if (found) return found;
    await sleep(100);
  }
  throw new Error(`${what} not seen in the registry within ${timeoutMs / 1000} s`);
}

export async function runPm2Discovery(
  distDir: string,
  root: string,
  log: (line: string) => void,
  nodeFlags: readonly string[] = [],
): Promise<Pm2Discovery> {
  const pm2Bin = join(root, 'node_modules', '.bin', 'pm2');
  if (!existsSync(join(distDir, 'plugin', 'module.js'))) throw new Error('dist/plugin/module.js is not built');
  // Short path: PM2's unix sockets live in the home and socket paths are limited to ~100 bytes.
  const home = mkdtempSync(join(tmpdir(), 'mesh-bench-pm2-'));
  const env = isolatedEnv(home);
  const pm2 = (args: string[], extra: NodeJS.ProcessEnv = {}, timeoutMs?: number) => run(pm2Bin, args, isolatedEnv(home, extra), root, timeoutMs);
  atCleanup(async () => {
    await run(pm2Bin, ['kill'], env, root, 30_000).catch(() => undefined);
    rmSync(home, { recursive: true, force: true });
  });

  const port = await freePort();
  await pm2(['set', 'mesh:port', String(port)]);
  await pm2(['set', 'mesh:data_file', join(home, 'mesh.db')]);
  log('discovery (PM2): npm pack + pm2 install of the package (isolated PM2_HOME)');
  const tarball = join(
    home,
    (await run('npm', ['pack', '--pack-destination', home, '--loglevel=error'], env, root)).trim().split('\n').pop()!.trim(),
  );
  const installStarted = performance.now();
  await pm2(['install', tarball], {}, INSTALL_TIMEOUT_MS);
  const installMs = performance.now() - installStarted;
  const registryUrl = `http://127.0.0.1:${port}`;
  await waitForHttp(`${registryUrl}/health`, 60_000);
  const moduleDir = join(home, 'modules', 'mesh');
  const dependencies = dependencyTree(join(moduleDir, 'node_modules'));
  const module = (JSON.parse(await pm2(['jlist'])) as ListedApp[]).find((app) => app.name === 'mesh')!;
  const served = performance.now();
  await sleep(2000);
  const moduleRssSoon = rssBytes(module.pid);
  // Idle, as the agents' rows read it.
  await sleep(Math.max(0, served + IDLE_READ_S * 1000 - performance.now()));
  const moduleRss = rssBytes(module.pid);
  const moduleNodeArgs = [module.pm2_env?.node_args ?? []].flat().join(' ');
  // As ecosystem.config.js starts agents: the module's V8 flags, without PM2's bundled @pm2/io and source maps.
  const nodeArgs = [...(nodeFlags.length ? ['--node-args', nodeFlags.join(' ')] : []), '--no-pmx', '--disable-source-map-support'];

  const script = benchAgentScript(distDir);
  // Started by hand, not from an ecosystem file: each app gets its credential the way a user's would (token create).
  const credential = (name: string, capabilities: string[]) => ({ MCP_MESH_REGISTRY_TOKEN: appCredential(home, name, capabilities) });
  await pm2(
    ['start', script, '--name', 'bench-pm2-provider', ...nodeArgs],
    agentEnv({
      name: 'bench-pm2-provider',
      provides: 'pm2_cap',
      registryUrl,
      env: credential('bench-pm2-provider', benchAgentCapabilities('pm2_cap')),
    }),
  );
  await pm2(
    ['start', script, '--name', 'bench-pm2-consumer', ...nodeArgs],
    agentEnv({
      name: 'bench-pm2-consumer',
      provides: 'pm2_consumer',
      dependsOn: 'pm2_cap',
      registryUrl,
      env: credential('bench-pm2-consumer', benchAgentCapabilities('pm2_consumer', 'pm2_cap')),
    }),
  );
  const provider = await waitForAgents(
    registryUrl,
    (list) => list.find((a) => a.metadata?.pm2_name === 'bench-pm2-provider' && a.status === 'healthy'),
    'the provider app',
    60_000,
  );
  await waitForAgents(
    registryUrl,
    (list) =>
      list.find((a) => a.metadata?.pm2_name === 'bench-pm2-consumer' && a.dependency_resolutions?.some((d) => d.provider_agent_id === provider.id)),
    'the consumer app wired to the provider',
    60_000,
  );
  const pid = provider.metadata?.pid;
  if (!pid) throw new Error('the provider registered without metadata.pid');

  // The same provider once more as a plain `pm2 start` would run it (PM2's defaults: @pm2/io, source maps, no flags).
  log(`discovery (PM2): idle agents, ${IDLE_READ_S} s after registering`);
  const plainName = 'bench-pm2-plain';
  await pm2(
    ['start', script, '--name', plainName],
    agentEnv({ name: plainName, provides: 'pm2_plain', registryUrl, env: credential(plainName, benchAgentCapabilities('pm2_plain')) }),
  );
  const plain = await waitForAgents(
    registryUrl,
    (list) => list.find((a) => a.metadata?.pm2_name === plainName && a.status === 'healthy'),
    'the plain app',
    60_000,
  );
  await sleep(IDLE_READ_S * 1000);
  const agentRss = { ecosystem: rssBytes(pid), pm2Defaults: rssBytes(plain.metadata!.pid!) };
  await pm2(['delete', plainName]);
  const consumerLog = join(home, 'logs', 'bench-pm2-consumer-out.log');
  await sleep(500); // let the consumer's own topology line reach its log first
  const logOffset = existsSync(consumerLog) ? statSync(consumerLog).size : 0;

  log('discovery (PM2): kill -9 of the provider app');
  const killedAt = performance.now();
  process.kill(pid, 'SIGKILL');
  const rewired = (async () => {
    while (performance.now() - killedAt < 30_000) {
      if (existsSync(consumerLog) && / topology /.test(readFileSync(consumerLog).subarray(logOffset).toString('utf8')))
        return performance.now() - killedAt;
      await sleep(20);
    }
    return Number.NaN;
  })();
  const detectedMs = await untilNotHealthy(registryUrl, provider.id, killedAt, 30_000);
  return {
    detectedMs,
    rewiredMs: await rewired,
    installMs,
    installedFrom: 'an npm pack tarball',
    dependencies,
    moduleRss,
    moduleRssSoon,
    modulePath: join(moduleDir, 'node_modules', 'mesh'),
    moduleNodeArgs,
    agentRss,
  };
}
