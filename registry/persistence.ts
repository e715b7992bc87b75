// Durable storage: a sql.js database in memory, mirrored by every change the store makes; each change is also
// appended to the fsynced journal before its reply (group commit). Snapshots (db.export() → temp file → fsync →
// rename) retire old journal generations. At start: load the snapshot, replay the journals, snapshot again.
import { existsSync, mkdirSync, readdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { open, rename } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import initSqlJs, { type Database, type SqlJsStatic, type Statement } from 'sql.js';
import { journalGenerations, journalPath, JournalWriter, readJournal, syncDirectory } from './journal.js';
import type { RegistryMetrics } from './metrics.js';
import type { ChangeSink, JournalRecord, SavedAgent } from './records.js';
import { checkAndMigrate, looksLikeSqlite } from './schema.js';
import type { RegistryEvent } from './wire.js';

export interface LoadedState {
  agents: SavedAgent[];
  events: RegistryEvent[];
  nextEventId: number;
}

export interface PersistenceOptions {
  metrics: RegistryMetrics;
  log: (line: string) => void;
}

let sqlJs: Promise<SqlJsStatic> | undefined;

/** Snapshots take at most ~1/SNAPSHOT_DUTY of the time: the pause after one is this many times its duration (the journal, not the snapshot, makes changes durable). */
const SNAPSHOT_DUTY = 50;
const MIN_SNAPSHOT_PAUSE_MS = 2000;
const MAX_SNAPSHOT_PAUSE_MS = 60_000;
/** A journal this large is folded into a snapshot without waiting for the pause (bounds replay time). */
const JOURNAL_SNAPSHOT_BYTES = 32 * 1024 * 1024;

export class Persistence implements ChangeSink {
  private seq = 0;
  private maxEventId = 0;
  private statements: Record<string, Statement> | null = null;
  private snapshotTimer: NodeJS.Timeout | null = null;
  private snapshotting: Promise<void> | null = null;
  private lastSnapshotMs = 0;
  private readonly savedLastSeen = new Map<string, number>();
  private hotState: () => Iterable<SavedAgent> = () => [];
  private closed = false;
  private transactionOpen = false;

  private constructor(
    readonly file: string,
    private readonly db: Database,
    private readonly journal: JournalWriter,
    private readonly lockFile: string,
    private readonly options: PersistenceOptions,
  ) {}

  /** Opens (or creates) the data file; throws a clear message for a foreign, corrupt or busy file. */
  static async open(dataFile: string, options: PersistenceOptions): Promise<{ persistence: Persistence; loaded: LoadedState }> {
    const file = resolve(dataFile);
    mkdirSync(dirname(file), { recursive: true });
    const lockFile = takeLock(file);
    try {
      removeStaleTemps(file);
      const SQL = await (sqlJs ??= initSqlJs());
      const bytes = existsSync(file) ? readFileSync(file) : null;
      if (bytes && bytes.length > 0 && !looksLikeSqlite(bytes)) {
        throw new Error(`refusing to use ${file} as the registry data file: it is not an SQLite database. Nothing was changed; move it away or choose another --data-file.`);
      }
      let db: Database;
      try {
        db = bytes && bytes.length > 0 ? new SQL.Database(bytes) : new SQL.Database();
      } catch (error) {
        throw new Error(`refusing to use ${file} as the registry data file: it cannot be opened (${(error as Error).message}). Nothing was changed.`);
      }
      const migrated = checkAndMigrate(db, file);
      tuneForMirror(db);
      const generations = journalGenerations(file);
      const nextGeneration = (generations.at(-1) ?? 0) + 1;
      const journal = new JournalWriter(
        file, nextGeneration,
        (records, seconds) => {
          options.metrics.journalFlushes++;
          options.metrics.journalRecords += records;
          options.metrics.journalFlushSeconds += seconds;
        },
        (error) => options.log(`registry: cannot write the journal of ${file}: ${error.message}; refusing changes until restarted`),
      );
      const persistence = new Persistence(file, db, journal, lockFile, options);
      const replayed = persistence.replay(generations);
      let loaded: LoadedState;
      try {
        loaded = persistence.readState();
      } catch (error) {
        throw new Error(`refusing to use ${file} as the registry data file: its content cannot be read (${(error as Error).message}). Nothing was changed; move it away or choose another --data-file.`);
      }
      await journal.open();
      if (replayed > 0) options.log(`registry: replayed ${replayed} journal records of ${file}`);
      // Fold old journals (and a migration) into a fresh snapshot now: the file is then current and known-good.
      if (generations.length > 0 || migrated) await persistence.snapshot(generations);
      return { persistence, loaded };
    } catch (error) {
      releaseLock(lockFile);
      throw error;
    }
  }

  get healthy(): boolean {
    return this.journal.healthy && !this.closed;
  }

  get journalBytes(): number {
    return this.journal.bytes;
  }

  /** Where snapshots read heartbeat times from (hot state, never journaled). */
  setHotState(agents: () => Iterable<SavedAgent>): void {
    this.hotState = agents;
  }

  write(record: JournalRecord): void {
    if (this.closed) return;
    this.seq++;
    this.inTransaction();
    this.apply(record);
    this.journal.append(this.seq, record);
    if (this.journal.bytes > JOURNAL_SNAPSHOT_BYTES && this.snapshotTimer && !this.snapshotting) {
      clearTimeout(this.snapshotTimer);
      this.snapshotTimer = null;
      this.scheduleSnapshot(0);
    } else this.scheduleSnapshot();
  }

  durable(): Promise<void> {
    return this.journal.durable();
  }

  /** Final snapshot, journal closed and retired, lock released. */
  async close(): Promise<void> {
    if (this.closed) return;
    if (this.snapshotTimer) clearTimeout(this.snapshotTimer);
    this.snapshotTimer = null;
    await this.snapshotting;
    try {
      await this.journal.durable();
      await this.snapshot([]);
      await this.journal.durable();
    } finally {
      this.closed = true;
      await this.journal.close();
      // Writes that raced the final snapshot stay in the journal, to be replayed at the next start.
      if (this.journal.healthy && !this.journal.hasUnsnapshotted) removeQuietly(journalPath(this.file, this.journal.generation));
      this.commit();
      this.db.close();
      releaseLock(this.lockFile);
    }
  }

  // ---- snapshots ----

  private scheduleSnapshot(pause = Math.min(MAX_SNAPSHOT_PAUSE_MS, Math.max(MIN_SNAPSHOT_PAUSE_MS, this.lastSnapshotMs * SNAPSHOT_DUTY))): void {
    if (this.snapshotTimer || this.closed) return;
    this.snapshotTimer = setTimeout(() => {
      this.snapshotTimer = null;
      if (!this.journal.healthy) return; // changes are refused until a restart: nothing new to save
      if (this.snapshotting) return this.scheduleSnapshot();
      this.snapshotting = this.snapshot([]).catch((error: Error) => {
        this.options.log(`registry: snapshot of ${this.file} failed: ${error.message} (the journal still holds every change)`);
      }).finally(() => {
        this.snapshotting = null;
      });
    }, pause);
    this.snapshotTimer.unref();
  }

  /**
   * Exports the database and rotates the journal in one step (no flush in between), then writes the export
   * atomically and deletes the journal generations it covers (plus `retired`, already replayed at start).
   */
  private async snapshot(retired: number[]): Promise<void> {
    const started = performance.now();
    const { data, oldGeneration } = await this.journal.exclusive(async () => {
      this.inTransaction();
      this.saveHotState();
      this.setMeta('journal_seq', String(this.seq));
      this.setMeta('next_event_id', String(this.maxEventId + 1));
      this.commit();
      const data = this.db.export();
      this.statements = null; // db.export() freed every prepared statement
      tuneForMirror(this.db); // and reset the pragmas
      const oldGeneration = this.journal.hasUnsnapshotted || retired.length > 0 ? await this.journal.rotate() : null;
      return { data, oldGeneration };
    });
    await saveAtomically(this.file, data);
    for (const generation of retired) removeQuietly(journalPath(this.file, generation));
    if (oldGeneration !== null) removeQuietly(journalPath(this.file, oldGeneration));
    syncDirectory(dirname(this.file));
    const ms = performance.now() - started;
    this.lastSnapshotMs = ms;
    this.options.metrics.snapshots++;
    this.options.metrics.snapshotSeconds += ms / 1000;
  }

  /** Heartbeat times are not journaled; a snapshot records the latest ones of agents that moved. */
  private saveHotState(): void {
    const update = this.statement('touch', 'UPDATE agents SET last_seen = ? WHERE id = ?');
    for (const agent of this.hotState()) {
      if (this.savedLastSeen.get(agent.id) === agent.last_seen) continue;
      update.run([agent.last_seen, agent.id]);
      this.savedLastSeen.set(agent.id, agent.last_seen);
    }
  }

  // ---- replay and load ----

  private replay(generations: number[]): number {
    const snapshotSeq = Number(this.getMeta('journal_seq') ?? 0);
    this.seq = snapshotSeq;
    this.maxEventId = Number(this.getMeta('next_event_id') ?? 1) - 1;
    let replayed = 0;
    this.inTransaction();
    for (const generation of generations) {
      const path = journalPath(this.file, generation);
      const { lines, tornTail } = readJournal<JournalRecord>(path);
      if (tornTail) this.options.log(`registry: ignoring the torn last line of ${path} (a write cut off by a crash, never acknowledged)`);
      for (const line of lines) {
        if (line.seq <= this.seq) continue; // already in the snapshot (or written twice across a rotation)
        this.apply(line.record);
        this.seq = line.seq;
        replayed++;
      }
    }
    this.commit();
    return replayed;
  }

  private readState(): LoadedState {
    const agents: SavedAgent[] = [];
    const agentRows = this.db.prepare('SELECT id, status, status_reason, status_changed_at, registered, created_at, updated_at, last_seen, posted_hash, registration FROM agents');
    while (agentRows.step()) {
      const row = agentRows.getAsObject();
      agents.push({
        id: String(row.id),
        registration: JSON.parse(String(row.registration)),
        status: row.status as SavedAgent['status'],
        status_reason: row.status_reason === null ? null : String(row.status_reason),
        status_changed_at: Number(row.status_changed_at),
        registered: row.registered === 1,
        created_at: Number(row.created_at),
        updated_at: Number(row.updated_at),
        last_seen: Number(row.last_seen),
        posted_hash: String(row.posted_hash),
      });
      this.savedLastSeen.set(String(row.id), Number(row.last_seen));
    }
    agentRows.free();
    const events: RegistryEvent[] = [];
    const eventRows = this.db.prepare('SELECT id, agent_id, agent_name, event_type, timestamp, data FROM events ORDER BY id');
    while (eventRows.step()) {
      const row = eventRows.getAsObject();
      events.push({
        id: Number(row.id),
        agent_id: String(row.agent_id),
        agent_name: String(row.agent_name),
        event_type: row.event_type as RegistryEvent['event_type'],
        timestamp: String(row.timestamp),
        data: JSON.parse(String(row.data)),
      });
    }
    eventRows.free();
    const last = events.at(-1)?.id ?? 0;
    this.maxEventId = Math.max(this.maxEventId, last);
    return { agents, events, nextEventId: this.maxEventId + 1 };
  }

  // ---- the mirror: each record applied to the sql.js database ----

  /**
   * Changes of one turn of the event loop go into one SQLite transaction: sql.js keeps its database in an
   * in-memory file system, where every commit rewrites pages through JavaScript.
   */
  private inTransaction(): void {
    if (this.transactionOpen) return;
    this.db.run('BEGIN');
    this.transactionOpen = true;
    setImmediate(() => this.commit());
  }

  private commit(): void {
    if (!this.transactionOpen) return;
    this.transactionOpen = false;
    this.db.run('COMMIT');
  }

  private apply(record: JournalRecord): void {
    switch (record.op) {
      case 'agent': {
        const a = record.agent;
        this.statement('upsertAgent', `INSERT OR REPLACE INTO agents (id, name, status, status_reason, status_changed_at, registered,
          created_at, updated_at, last_seen, posted_hash, registration) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`).run([
          a.id, a.registration.name ?? a.id, a.status, a.status_reason, a.status_changed_at, a.registered ? 1 : 0,
          a.created_at, a.updated_at, a.last_seen, a.posted_hash, JSON.stringify(a.registration),
        ]);
        this.savedLastSeen.set(a.id, a.last_seen);
        this.statement('deleteTools', 'DELETE FROM tools WHERE agent_id = ?').run([a.id]);
        const insertTool = this.statement('insertTool', 'INSERT INTO tools (agent_id, position, function_name, capability, version, tags) VALUES (?, ?, ?, ?, ?, ?)');
        (a.registration.tools ?? []).forEach((tool, position) => {
          insertTool.run([a.id, position, tool.function_name, tool.capability ?? null, tool.version ?? null, JSON.stringify(tool.tags ?? [])]);
        });
        return;
      }
      case 'state': {
        const s = record.state;
        this.statement('state', 'UPDATE agents SET status = ?, status_reason = ?, status_changed_at = ?, registered = ?, posted_hash = ? WHERE id = ?')
          .run([s.status, s.status_reason, s.status_changed_at, s.registered ? 1 : 0, s.posted_hash, s.id]);
        return;
      }
      case 'purge':
        this.statement('purgeAgent', 'DELETE FROM agents WHERE id = ?').run([record.id]);
        this.statement('deleteTools', 'DELETE FROM tools WHERE agent_id = ?').run([record.id]);
        this.savedLastSeen.delete(record.id);
        return;
      case 'event': {
        const e = record.event;
        this.statement('insertEvent', 'INSERT OR REPLACE INTO events (id, agent_id, agent_name, event_type, timestamp, data) VALUES (?, ?, ?, ?, ?, ?)')
          .run([e.id, e.agent_id, e.agent_name, e.event_type, e.timestamp, JSON.stringify(e.data)]);
        if (e.id > this.maxEventId) this.maxEventId = e.id;
        return;
      }
      case 'trim':
        this.statement('trimEvents', 'DELETE FROM events WHERE id < ?').run([record.below]);
        return;
    }
  }

  private statement(name: string, sql: string): Statement {
    this.statements ??= {};
    return (this.statements[name] ??= this.db.prepare(sql));
  }

  private getMeta(key: string): string | undefined {
    const value = this.db.exec('SELECT value FROM meta WHERE key = ?', [key])[0]?.values[0]?.[0];
    return value === undefined || value === null ? undefined : String(value);
  }

  private setMeta(key: string, value: string): void {
    this.statement('setMeta', 'INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)').run([key, value]);
  }
}

/**
 * The journal makes changes durable, so the in-memory database needs no rollback journal on its (in-memory)
 * file system, nor syncs. db.export() resets pragmas: apply again after it.
 */
function tuneForMirror(db: Database): void {
  db.run('PRAGMA journal_mode = MEMORY; PRAGMA synchronous = OFF;');
}

/** Writes `data` to `file` so that a crash leaves either the old or the new file, never a mix. */
export async function saveAtomically(file: string, data: Uint8Array): Promise<void> {
  const temp = `${file}.tmp-${process.pid}`;
  const handle = await open(temp, 'w', 0o600);
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temp, file);
}

/** A snapshot cut off by a kill leaves its temp file; with the lock held, no other writer can own one. */
function removeStaleTemps(file: string): void {
  const prefix = `${basename(file)}.tmp-`;
  for (const name of readdirSync(dirname(file))) if (name.startsWith(prefix)) removeQuietly(join(dirname(file), name));
}

function removeQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}

/** Lock files this process holds (two registries of one process must not share a file either). */
const heldLocks = new Set<string>();

/** One registry per data file: a lock file holding the owner's pid; a dead owner's lock (kill -9) is taken over. */
function takeLock(file: string): string {
  const lockFile = `${file}.lock`;
  if (heldLocks.has(lockFile)) throw new Error(`the data file ${file} is in use by another registry of this process; close it first or choose another --data-file`);
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      writeFileSync(lockFile, `${process.pid}\n`, { flag: 'wx' });
      heldLocks.add(lockFile);
      return lockFile;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const owner = Number.parseInt(readFileSafe(lockFile), 10);
    if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && isAlive(owner)) {
      throw new Error(`the data file ${file} is in use by another registry (pid ${owner}); stop it or choose another --data-file`);
    }
    removeQuietly(lockFile);
  }
  throw new Error(`cannot take the lock ${lockFile}`);
}

function releaseLock(lockFile: string): void {
  heldLocks.delete(lockFile);
  if (readFileSafe(lockFile).trim() === String(process.pid)) removeQuietly(lockFile);
}

function readFileSafe(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  // A killed process not yet reaped by its parent (a zombie) still answers signal 0: it holds nothing.
  const stat = readFileSafe(`/proc/${pid}/stat`);
  return !/^\d+ \(.*\) Z /s.test(stat);
}
