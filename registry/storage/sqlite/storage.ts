// Durable storage. Every change the store makes is appended to the fsynced journal before its reply (group
// commit). Snapshots fold closed journal generations into the sql.js data file; they run in a short-lived
// child process (snapshot-process.ts), which also reads the file at start. The registry process never loads
// sql.js: its database (a full copy of the state, in memory that never shrinks) would double the footprint.
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { journalGenerations, journalPath, JournalWriter } from './journal.js';
import type { RegistryMetrics } from '../../metrics.js';
import type { ChangeSink, JournalRecord, SavedAgentRow } from '../index.js';
import { removeQuietly, snapshotTempPrefix, unreadable } from './data-file.js';
import { runSnapshotTask, type LoadInfo, type SnapshotResult, type TaskOptions } from './snapshot-runner.js';
import type { RegistryEvent } from '../../../core/wire.js';

export interface LoadedState {
  /** Registrations as their JSON text: the store parses each one as it restores it. */
  agents: SavedAgentRow[];
  events: RegistryEvent[];
  nextEventId: number;
}

export interface PersistenceOptions {
  metrics: RegistryMetrics;
  log: (line: string) => void;
}

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

export class Persistence implements ChangeSink {
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

  private constructor(
    readonly file: string,
    private readonly journal: JournalWriter,
    private readonly lockFile: string,
    private readonly options: PersistenceOptions,
    private seq: number,
    replayedGenerations: number[],
  ) {
    this.fileBytes = sizeOf(file);
    this.unsaved = [...replayedGenerations];
    this.unsavedBytes = replayedGenerations.reduce((sum, generation) => sum + sizeOf(journalPath(file, generation)), 0);
  }

  /**
   * Opens (or creates) the data file; throws a clear message for a foreign, corrupt or busy file. Journals
   * left by a kill are replayed, then folded into a new snapshot in the background while the registry serves.
   */
  static async open(dataFile: string, options: PersistenceOptions): Promise<{ persistence: Persistence; loaded: LoadedState }> {
    const file = resolve(dataFile);
    mkdirSync(dirname(file), { recursive: true });
    const lockFile = takeLock(file);
    let fold: Promise<SnapshotResult> | null = null;
    const abort = new AbortController();
    try {
      removeStaleTemps(file);
      const generations = journalGenerations(file);
      const loaded: LoadedState = { agents: [], events: [], nextEventId: 1 };
      let seq = 0;
      // A missing (or empty) file without journals is a fresh start: nothing to read, the first snapshot writes it.
      if (generations.length > 0 || sizeOf(file) > 0) {
        const info = await new Promise<LoadInfo>((resolveLoaded, reject) => {
          fold = runSnapshotTask({ task: 'load', file, generations }, {
            log: options.log,
            loaded: resolveLoaded,
            agents: (rows) => {
              for (const row of rows) loaded.agents.push(row);
            },
            events: (rows) => {
              for (const row of rows) loaded.events.push({ ...row, data: parseSaved(file, row.data) });
            },
          }, { abort: abort.signal });
          fold.catch(reject); // after `loaded` a failed fold only leaves the journals for the next snapshot
        });
        if (info.replayed > 0) options.log(`registry: replayed ${info.replayed} journal records of ${file}`);
        seq = info.seq;
        loaded.nextEventId = Math.max(info.nextEventId, (loaded.events.at(-1)?.id ?? 0) + 1);
      }
      const journal = new JournalWriter(
        file, (generations.at(-1) ?? 0) + 1,
        (records, seconds) => {
          options.metrics.journalFlushes++;
          options.metrics.journalRecords += records;
          options.metrics.journalFlushSeconds += seconds;
        },
        (error) => options.log(`registry: cannot write the journal of ${file}: ${error.message}; refusing changes until restarted`),
      );
      await journal.open();
      const persistence = new Persistence(file, journal, lockFile, options, seq, generations);
      if (fold !== null) persistence.track(fold as Promise<SnapshotResult>, generations, abort, performance.now(), 'folding the replayed journals into');
      return { persistence, loaded };
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

  get journalBytes(): number {
    return this.journal.bytes;
  }

  write(record: JournalRecord): void {
    if (this.closed) return;
    this.journal.append(++this.seq, record);
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
    removeStaleTemps(this.file);
    try {
      await this.journal.durable();
      const pending = this.unsavedBytes + this.journal.bytes;
      if (pending <= FINAL_SNAPSHOT_MAX_JOURNAL_BYTES) await this.snapshot();
      else this.options.log(`registry: leaving ${(pending / 1048576).toFixed(1)} MiB of journal next to ${this.file}, replayed at the next start`);
      await this.journal.durable();
    } finally {
      this.closed = true;
      await this.journal.close();
      // Writes that raced the final snapshot stay in the journal, to be replayed at the next start.
      if (this.journal.healthy && !this.journal.hasUnsnapshotted) removeQuietly(journalPath(this.file, this.journal.generation));
      releaseLock(this.lockFile);
    }
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
    this.snapshotTimer = setTimeout(() => {
      this.snapshotTimer = null;
      this.snapshotDue = Infinity;
      if (!this.journal.healthy) return; // changes are refused until a restart: nothing new to save
      if (this.snapshotting) return this.scheduleSnapshot();
      const abort = new AbortController();
      this.track(this.snapshot({ abort: abort.signal, background: true }), null, abort, performance.now(), 'snapshot of');
    }, Math.max(0, due - Date.now()));
    this.snapshotTimer.unref();
  }

  /** Runs a snapshot in the background; `generations` (of a fold at start) are saved once it succeeds. */
  private track(task: Promise<SnapshotResult | void>, generations: number[] | null, abort: AbortController, started: number, what: string): void {
    this.snapshotAbort = abort;
    this.snapshotting = task.then(
      (result) => {
        if (!generations || !result?.saved) return;
        this.forget(generations);
        this.fileBytes = sizeOf(this.file);
        this.options.metrics.snapshots++;
        this.options.metrics.snapshotSeconds += (performance.now() - started) / 1000;
      },
      (error: Error) => {
        if (abort.signal.aborted) return;
        this.options.log(`registry: ${what} ${this.file} failed: ${error.message} (the journal still holds every change)`);
      },
    ).finally(() => {
      this.snapshotting = null;
      this.snapshotAbort = null;
    });
  }

  /**
   * Closes the current journal generation (no flush in progress, so it holds a prefix of the sequence), then
   * has the snapshot process replay every closed generation into the data file and delete them.
   */
  private async snapshot(options: TaskOptions = {}): Promise<void> {
    const started = performance.now();
    await this.journal.exclusive(async () => {
      if (!this.journal.hasUnsnapshotted) return;
      const bytes = this.journal.bytes;
      this.unsaved.push(await this.journal.rotate());
      this.unsavedBytes += bytes;
    });
    const generations = [...this.unsaved];
    if (generations.length === 0 && sizeOf(this.file) > 0) return; // the file holds everything already
    await runSnapshotTask({ task: 'snapshot', file: this.file, generations }, { log: this.options.log }, options);
    this.forget(generations);
    this.fileBytes = sizeOf(this.file);
    const ms = performance.now() - started;
    this.lastSnapshotMs = ms;
    this.options.metrics.snapshots++;
    this.options.metrics.snapshotSeconds += ms / 1000;
  }

  /** These generations are in the data file now (and deleted). */
  private forget(generations: readonly number[]): void {
    this.unsaved = this.unsaved.filter((generation) => !generations.includes(generation));
    this.unsavedBytes = this.unsaved.reduce((sum, generation) => sum + sizeOf(journalPath(this.file, generation)), 0);
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
