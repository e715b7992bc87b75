// The data file as an sql.js (SQLite) database: open and check it, replay journal generations into it, read the
// state back, export it atomically. Only the short-lived snapshot process (snapshot-process.ts) loads this:
// sql.js keeps its whole database in memory that never shrinks, so the registry itself never holds it.
import { existsSync, readFileSync } from 'node:fs';
import { open, rename } from 'node:fs/promises';
import { dirname } from 'node:path';
import initSqlJs, { type Database, type Statement } from 'sql.js';
import { journalPath, readJournal, syncDirectory } from './journal.js';
import type { SavedAgent, StorageChange } from '../index.js';
import { removeQuietly, snapshotTempPrefix } from './data-file.js';
import { checkOrCreate, looksLikeSqlite } from './schema.js';
import type { RegistryEvent } from '../../../core/wire.js';

/** An event as the data file holds it: `data` as its JSON text. */
export type SavedEventRow = Omit<RegistryEvent, 'data'> & { data: string };

export class SqliteImage {
  /** Highest journal sequence number the image holds. */
  seq = 0;
  /** The next event id to hand out (kept across trims of the event log). */
  nextEventId = 1;
  private statements: Record<string, Statement> = {};

  private constructor(private readonly db: Database) {
    this.seq = Number(this.getMeta('journal_seq') ?? 0);
    this.nextEventId = Number(this.getMeta('next_event_id') ?? 1);
  }

  /**
   * Opens the data file (a fresh database when it is missing or empty); throws a clear refusal otherwise.
   * `scan`: check every page (at start), not only the header (snapshots of a file this registry wrote).
   */
  static async open(file: string, scan = true): Promise<SqliteImage> {
    const SQL = await initSqlJs();
    const bytes = existsSync(file) ? readFileSync(file) : null;
    if (bytes && bytes.length > 0 && !looksLikeSqlite(bytes)) {
      throw new Error(
        `refusing to use ${file} as the registry data file: it is not an SQLite database. Nothing was changed; move it away or choose another --data-file.`,
      );
    }
    let db: Database;
    try {
      db = bytes && bytes.length > 0 ? new SQL.Database(bytes) : new SQL.Database();
    } catch (error) {
      throw new Error(`refusing to use ${file} as the registry data file: it cannot be opened (${(error as Error).message}). Nothing was changed.`);
    }
    checkOrCreate(db, file, { scan });
    // The journal makes changes durable: the in-memory database needs no rollback journal nor syncs. A large
    // page cache writes each changed page once, at the commit (this process is short-lived).
    db.run('PRAGMA journal_mode = MEMORY; PRAGMA synchronous = OFF; PRAGMA cache_size = -131072;');
    return new SqliteImage(db);
  }

  /** Applies the records of these journal generations that the image does not hold yet; returns how many. */
  replay(file: string, generations: readonly number[], log: (line: string) => void): number {
    let replayed = 0;
    this.db.run('BEGIN');
    try {
      for (const generation of generations) {
        const path = journalPath(file, generation);
        if (!existsSync(path)) continue;
        const { lines, tornTail } = readJournal<StorageChange>(path);
        if (tornTail) log(`registry: ignoring the torn last line of ${path} (a write cut off by a crash, never acknowledged)`);
        for (const line of lines) {
          if (line.seq <= this.seq) continue; // already in the image (or written twice across a rotation)
          this.apply(line.record);
          this.seq = line.seq;
          replayed++;
        }
      }
      this.db.run('COMMIT');
    } catch (error) {
      this.db.run('ROLLBACK');
      throw error;
    }
    return replayed;
  }

  *agents(): IterableIterator<SavedAgent> {
    const rows = this.db.prepare(
      'SELECT id, name, status, status_reason, status_changed_at, registered, created_at, updated_at, last_seen, posted_hash, registration FROM agents',
    );
    try {
      while (rows.step()) {
        const [id, name, status, reason, changedAt, registered, createdAt, updatedAt, lastSeen, postedHash, registration] = rows.get();
        yield {
          id: String(id),
          name: String(name),
          registration: String(registration),
          status: status as SavedAgent['status'],
          status_reason: reason === null ? null : String(reason),
          status_changed_at: Number(changedAt),
          registered: registered === 1,
          created_at: Number(createdAt),
          updated_at: Number(updatedAt),
          last_seen: Number(lastSeen),
          posted_hash: String(postedHash),
        };
      }
    } finally {
      rows.free();
    }
  }

  /** Events oldest first, `data` as its JSON text. */
  *events(): IterableIterator<SavedEventRow> {
    const rows = this.db.prepare('SELECT id, agent_id, agent_name, event_type, timestamp, data FROM events ORDER BY id');
    try {
      while (rows.step()) {
        const [id, agentId, agentName, type, timestamp, data] = rows.get();
        yield {
          id: Number(id),
          agent_id: String(agentId),
          agent_name: String(agentName),
          event_type: type as RegistryEvent['event_type'],
          timestamp: String(timestamp),
          data: String(data),
        };
      }
    } finally {
      rows.free();
    }
  }

  /** Writes the image over `file` atomically (temp file, fsync, rename, directory fsync). */
  async save(file: string, beforeRename: () => void = () => {}): Promise<void> {
    this.db.run('BEGIN');
    this.setMeta('journal_seq', String(this.seq));
    this.setMeta('next_event_id', String(this.nextEventId));
    this.db.run('COMMIT');
    const data = this.db.export();
    this.statements = {}; // db.export() freed every prepared statement
    await saveAtomically(file, data, beforeRename);
    syncDirectory(dirname(file));
  }

  close(): void {
    this.db.close();
  }

  private apply(change: StorageChange): void {
    switch (change.op) {
      case 'agent': {
        const a = change.agent;
        this.statement(
          'upsertAgent',
          `INSERT OR REPLACE INTO agents (id, name, status, status_reason, status_changed_at, registered,
          created_at, updated_at, last_seen, posted_hash, registration) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        ).run([
          a.id,
          a.name,
          a.status,
          a.status_reason,
          a.status_changed_at,
          a.registered ? 1 : 0,
          a.created_at,
          a.updated_at,
          a.last_seen,
          a.posted_hash,
          a.registration,
        ]);
        return;
      }
      case 'state': {
        const s = change.state;
        this.statement(
          'state',
          `UPDATE agents SET status = ?, status_reason = ?, status_changed_at = ?, registered = ?, created_at = ?,
          updated_at = ?, last_seen = ?, posted_hash = ? WHERE id = ?`,
        ).run([
          s.status,
          s.status_reason,
          s.status_changed_at,
          s.registered ? 1 : 0,
          s.created_at,
          s.updated_at,
          s.last_seen,
          s.posted_hash,
          change.id,
        ]);
        return;
      }
      case 'purge':
        this.statement('purgeAgent', 'DELETE FROM agents WHERE id = ?').run([change.id]);
        return;
      case 'event': {
        const e = change.event;
        this.statement(
          'insertEvent',
          'INSERT OR REPLACE INTO events (id, agent_id, agent_name, event_type, timestamp, data) VALUES (?, ?, ?, ?, ?, ?)',
        ).run([e.id, e.agent_id, e.agent_name, e.event_type, e.timestamp, JSON.stringify(e.data)]);
        if (e.id >= this.nextEventId) this.nextEventId = e.id + 1;
        return;
      }
      case 'trim':
        this.statement('trimEvents', 'DELETE FROM events WHERE id < ?').run([change.below]);
        return;
    }
  }

  private statement(name: string, sql: string): Statement {
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

/** Writes `data` to `file` so that a crash leaves either the old or the new file, never a mix. */
export async function saveAtomically(file: string, data: Uint8Array, beforeRename: () => void = () => {}): Promise<void> {
  const temp = `${snapshotTempPrefix(file)}${process.pid}`;
  const handle = await open(temp, 'w', 0o600);
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    beforeRename();
  } catch (error) {
    removeQuietly(temp);
    throw error;
  }
  await rename(temp, file);
}
