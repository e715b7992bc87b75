// The sql.js storage backend. Every change is appended to the fsynced journal before its reply (group commit).
// Snapshots fold closed journal generations into the sql.js data file; they run in a short-lived child process
// (snapshot-process.ts), which also reads the file at start. The registry process never loads sql.js: its
// database (a full copy of the state, in memory that never shrinks) would double the footprint.
import { mkdirSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { journalGenerations, journalPath, JournalWriter } from './journal.js';
import { unreadable, type RestoredState, type Storage, type StorageChange, type StorageOptions } from '../index.js';
import { removeQuietly, snapshotTempPrefix } from './data-file.js';
import { releaseLock, takeLock } from './lock.js';
import { runSnapshotTask, type LoadInfo, type SnapshotResult, type TaskOptions } from './snapshot-runner.js';

/** Snapshots take at most ~1/SNAPSHOT_DUTY of the time: the pause after one is this many times its duration (the journal, not the snapshot, makes changes durable). */
const SNAPSHOT_DUTY = 50;
const MIN_SNAPSHOT_PAUSE_MS = 2000;
const MAX_SNAPSHOT_PAUSE_MS = 60_000;
/** A journal this large is folded into a snapshot without waiting for the pause (bounds replay time). */
const JOURNAL_SNAPSHOT_BYTES = 32 * 1024 * 1024;
/**
 * Past this much journal (and a quarter of the data file), the next snapshot comes after the short pause: a
 * burst of registrations is folded in soon after, so stops and restarts have little to replay.
 */
const JOURNAL_SOON_BYTES = 1024 * 1024;
/**
 * At close, a journal up to this size is folded into a final snapshot (leaving one self-contained data file);
 * a larger one stays, already durable, for the next start to replay: stopping never waits for a long replay.
 */
const FINAL_SNAPSHOT_MAX_JOURNAL_BYTES = 4 * 1024 * 1024;

/** Opens (or creates) the sql.js data file `dataFile` as the registry's storage: see SqliteStorage.open. */
export function openSqliteStorage(dataFile: string, options: StorageOptions): Promise<Storage> {
  return SqliteStorage.open(dataFile, options);
}

export class SqliteStorage implements Storage {
  private snapshotTimer: NodeJS.Timeout | null = null;
  /** When the pending snapshot timer fires (ms since epoch). */
  private snapshotDue = Infinity;
  /** The data file's size after the last snapshot. */
  private fileBytes: number;
  private snapshotting: Promise<void> | null = null;
  /** Kills the snapshot process in flight (at close: the final snapshot covers what it would have). */
  private snapshotAbort: AbortController | null = null;
  private lastSnapshotMs = 0;
  /** Closed journal generations the data file does not hold yet (a failed snapshot leaves them to the next). */
  private unsaved: number[];
  /** Their bytes. */
  private unsavedBytes: number;
  private closed = false;
  /** The state read at open, until restore() hands it over. */
  private restored: RestoredState | null;

  private constructor(
    readonly location: string,
    private readonly journal: JournalWriter,
    private readonly lockFile: string,
    private readonly options: StorageOptions,
    private seq: number,
    replayedGenerations: number[],
    restored: RestoredState,
  ) {
    this.restored = restored;
    this.fileBytes = sizeOf(location);
    this.unsaved = [...replayedGenerations];
    this.unsavedBytes = replayedGenerations.reduce((sum, generation) => sum + sizeOf(journalPath(location, generation)), 0);
  }

  /**
   * Opens (or creates) the data file; throws a clear message for a foreign, corrupt or busy file. Journals
   * left by a kill are replayed, then folded into a new snapshot in the background while the registry serves.
   */
  static async open(dataFile: string, options: StorageOptions): Promise<SqliteStorage> {
    const file = resolve(dataFile);
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    const lockFile = takeLock(file);
    let fold: Promise<SnapshotResult> | null = null;
    const abort = new AbortController();
    try {
      removeStaleTemps(file);
      const generations = journalGenerations(file);
      const loaded: RestoredState = { agents: [], events: [], nextEventId: 1 };
      let seq = 0;
      // A missing (or empty) file without journals is a fresh start: nothing to read, the first snapshot writes it.
      if (generations.length > 0 || sizeOf(file) > 0) {
        const info = await new Promise<LoadInfo>((resolveLoaded, reject) => {
          fold = runSnapshotTask(
            { task: 'load', file, generations },
            {
              log: options.log,
              loaded: resolveLoaded,
              agents: (rows) => {
                for (const row of rows) loaded.agents.push(row);
              },
              events: (rows) => {
                for (const row of rows) loaded.events.push({ ...row, data: parseSaved(file, row.data) });
              },
            },
            { abort: abort.signal },
          );
          fold.catch(reject); // after `loaded` a failed fold only leaves the journals for the next snapshot
        });
        if (info.replayed > 0) options.log(`registry: replayed ${info.replayed} journal records of ${file}`);
        seq = info.seq;
        loaded.nextEventId = Math.max(info.nextEventId, (loaded.events.at(-1)?.id ?? 0) + 1);
      }
      const journal = new JournalWriter(
        file,
        (generations.at(-1) ?? 0) + 1,
        (records, seconds) => {
          options.metrics.journalFlushes++;
          options.metrics.journalRecords += records;
          options.metrics.journalFlushSeconds += seconds;
        },
        (error) => options.log(`registry: cannot write the journal of ${file}: ${error.message}; refusing changes until restarted`),
      );
      await journal.open();
      const storage = new SqliteStorage(file, journal, lockFile, options, seq, generations, loaded);
      if (fold !== null) storage.track(fold as Promise<SnapshotResult>, generations, abort, performance.now(), 'folding the replayed journals into');
      return storage;
    } catch (error) {
      abort.abort();
      await (fold as Promise<SnapshotResult> | null)?.catch(() => {});
      releaseLock(lockFile);
      throw error;
    }
  }

  get healthy(): boolean {
    return this.journal.healthy && !this.closed;
  }

  get pendingBytes(): number {
    return this.journal.bytes;
  }

  restore(): Promise<RestoredState> {
    const state = this.restored ?? { agents: [], events: [], nextEventId: 1 };
    this.restored = null;
    return Promise.resolve(state);
  }

  write(change: StorageChange): void {
    if (this.closed) return;
    this.journal.append(++this.seq, change);
    this.scheduleSnapshot();
  }

  durable(): Promise<void> {
    return this.journal.durable();
  }

  /** Final snapshot (when the journal is small), journal closed (and retired), lock released. */
  async close(): Promise<void> {
    if (this.closed) return;
    if (this.snapshotTimer) clearTimeout(this.snapshotTimer);
    this.snapshotTimer = null;
    this.snapshotDue = Infinity;
    // A snapshot in flight would only delay the stop: the final one covers its generations too.
    this.snapshotAbort?.abort();
    await this.snapshotting;
    removeStaleTemps(this.location);
    try {
      await this.journal.durable();
      const pending = this.unsavedBytes + this.journal.bytes;
      if (pending <= FINAL_SNAPSHOT_MAX_JOURNAL_BYTES) await this.fold();
      else
        this.options.log(`registry: leaving ${(pending / 1048576).toFixed(1)} MiB of journal next to ${this.location}, replayed at the next start`);
      await this.journal.durable();
    } finally {
      this.closed = true;
      await this.journal.close();
      // Writes that raced the final snapshot stay in the journal, to be replayed at the next start.
      if (this.journal.healthy && !this.journal.hasUnsnapshotted) removeQuietly(journalPath(this.location, this.journal.generation));
      releaseLock(this.lockFile);
    }
  }

  /** A snapshot now (after the one in flight, if any). */
  async snapshot(): Promise<void> {
    await this.snapshotting;
    if (this.closed) return;
    await this.fold();
  }

  // ---- snapshots ----

  /** How long after a change the next snapshot should start, by how much journal the data file lacks. */
  private snapshotPause(): number {
    const journal = this.journal.bytes + this.unsavedBytes;
    if (this.journal.bytes > JOURNAL_SNAPSHOT_BYTES) return 0;
    if (journal > Math.max(JOURNAL_SOON_BYTES, this.fileBytes / 4)) return MIN_SNAPSHOT_PAUSE_MS;
    return Math.min(MAX_SNAPSHOT_PAUSE_MS, Math.max(MIN_SNAPSHOT_PAUSE_MS, this.lastSnapshotMs * SNAPSHOT_DUTY));
  }

  /** Sets the snapshot timer, or brings it forward when the journal grew past a threshold (a few comparisons per write). */
  private scheduleSnapshot(): void {
    if (this.closed) return;
    const due = Date.now() + this.snapshotPause();
    if (this.snapshotTimer) {
      if (due >= this.snapshotDue || this.snapshotting) return;
      clearTimeout(this.snapshotTimer);
    }
    this.snapshotDue = due;
    this.snapshotTimer = setTimeout(
      () => {
        this.snapshotTimer = null;
        this.snapshotDue = Infinity;
        if (!this.journal.healthy) return; // changes are refused until a restart: nothing new to save
        if (this.snapshotting) return this.scheduleSnapshot();
        const abort = new AbortController();
        this.track(this.fold({ abort: abort.signal, background: true }), null, abort, performance.now(), 'snapshot of');
      },
      Math.max(0, due - Date.now()),
    );
    this.snapshotTimer.unref();
  }

  /** Runs a snapshot in the background; `generations` (of a fold at start) are saved once it succeeds. */
  private track(task: Promise<SnapshotResult | void>, generations: number[] | null, abort: AbortController, started: number, what: string): void {
    this.snapshotAbort = abort;
    this.snapshotting = task
      .then(
        (result) => {
          if (!generations || !result?.saved) return;
          this.forget(generations);
          this.fileBytes = sizeOf(this.location);
          this.options.metrics.snapshots++;
          this.options.metrics.snapshotSeconds += (performance.now() - started) / 1000;
        },
        (error: Error) => {
          if (abort.signal.aborted) return;
          this.options.log(`registry: ${what} ${this.location} failed: ${error.message} (the journal still holds every change)`);
        },
      )
      .finally(() => {
        this.snapshotting = null;
        this.snapshotAbort = null;
      });
  }

  /**
   * Closes the current journal generation (no flush in progress, so it holds a prefix of the sequence), then
   * has the snapshot process replay every closed generation into the data file and delete them.
   */
  private async fold(options: TaskOptions = {}): Promise<void> {
    const started = performance.now();
    await this.journal.exclusive(async () => {
      if (!this.journal.hasUnsnapshotted) return;
      const bytes = this.journal.bytes;
      this.unsaved.push(await this.journal.rotate());
      this.unsavedBytes += bytes;
    });
    const generations = [...this.unsaved];
    if (generations.length === 0 && sizeOf(this.location) > 0) return; // the file holds everything already
    await runSnapshotTask({ task: 'snapshot', file: this.location, generations }, { log: this.options.log }, options);
    this.forget(generations);
    this.fileBytes = sizeOf(this.location);
    const ms = performance.now() - started;
    this.lastSnapshotMs = ms;
    this.options.metrics.snapshots++;
    this.options.metrics.snapshotSeconds += ms / 1000;
  }

  /** These generations are in the data file now (and deleted). */
  private forget(generations: readonly number[]): void {
    this.unsaved = this.unsaved.filter((generation) => !generations.includes(generation));
    this.unsavedBytes = this.unsaved.reduce((sum, generation) => sum + sizeOf(journalPath(this.location, generation)), 0);
  }
}

function sizeOf(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}

function parseSaved<T>(file: string, json: string): T {
  try {
    return JSON.parse(json) as T;
  } catch (error) {
    throw unreadable(file, error as Error);
  }
}

/** A snapshot cut off by a kill leaves its temp file; with the lock held, no other writer can own one. */
function removeStaleTemps(file: string): void {
  const prefix = basename(snapshotTempPrefix(file));
  for (const name of readdirSync(dirname(file))) if (name.startsWith(prefix)) removeQuietly(join(dirname(file), name));
}
