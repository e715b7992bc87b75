// The append-only journal that makes an acknowledged change durable before its reply: one checksummed JSON
// line per record, written and fdatasync'ed in group commits (every record that arrives while one flush runs
// goes into the next), in numbered generations so a snapshot can retire the old ones without losing new ones.
import { closeSync, fsyncSync, openSync, readdirSync, readFileSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { crc32 } from 'node:zlib';

/** v2: state records carry the whole AgentState (v1 journals were pre-release, and are refused). */
export const JOURNAL_HEADER = 'pm2-mesh-registry journal v2\n';

export interface JournalLine<T> {
  seq: number;
  record: T;
}

export function journalPath(dataFile: string, generation: number): string {
  return `${dataFile}.mesh-journal.${generation}`;
}

/** The journal generations present for a data file, oldest first. */
export function journalGenerations(dataFile: string): number[] {
  const prefix = `${basename(dataFile)}.mesh-journal.`;
  return readdirSync(dirname(dataFile))
    .filter((name) => name.startsWith(prefix) && /^\d+$/.test(name.slice(prefix.length)))
    .map((name) => Number(name.slice(prefix.length)))
    .sort((a, b) => a - b);
}

export function encodeLine(seq: number, record: unknown): string {
  const json = JSON.stringify({ seq, record });
  return `${crc32(json).toString(16).padStart(8, '0')} ${json}\n`;
}

/**
 * Reads one journal file. A torn last line (the process died mid-write) is dropped: it was never acknowledged.
 * Anything else that does not check out means the file is not ours or is damaged: we refuse to guess.
 */
export function readJournal<T>(path: string): { lines: JournalLine<T>[]; tornTail: boolean } {
  const text = readFileSync(path, 'utf8');
  if (!text.startsWith(JOURNAL_HEADER)) {
    if (text.length < JOURNAL_HEADER.length && JOURNAL_HEADER.startsWith(text)) return { lines: [], tornTail: text.length > 0 };
    throw new Error(
      `refusing to read ${path}: it is not a pm2-mesh registry journal (unknown header). Nothing was changed; move it away to start without it.`,
    );
  }
  const rows = text.slice(JOURNAL_HEADER.length).split('\n');
  const lines: JournalLine<T>[] = [];
  let tornTail = false;
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i]!;
    const last = i === rows.length - 1;
    if (row === '' && last) break;
    const parsed = parseLine<T>(row);
    if (parsed) {
      lines.push(parsed);
      continue;
    }
    // Only the final, unterminated line can be torn; a bad line followed by good ones is damage.
    if (last) {
      tornTail = true;
      break;
    }
    throw new Error(
      `refusing to read ${path}: line ${i + 2} is damaged (checksum mismatch). Nothing was changed; restore a backup or move the file away.`,
    );
  }
  return { lines, tornTail };
}

function parseLine<T>(row: string): JournalLine<T> | null {
  const space = row.indexOf(' ');
  if (space !== 8) return null;
  const json = row.slice(9);
  if (crc32(json).toString(16).padStart(8, '0') !== row.slice(0, 8)) return null;
  try {
    const line = JSON.parse(json) as JournalLine<T>;
    return typeof line.seq === 'number' ? line : null;
  } catch {
    return null;
  }
}

/** fsync of a directory, so that a create/rename/unlink in it survives a crash. */
export function syncDirectory(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // Some filesystems cannot fsync directories; the file data itself is still synced.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

interface Waiter {
  upTo: number;
  resolve: () => void;
  reject: (error: Error) => void;
}

export class JournalWriter {
  private handle: FileHandle | null = null;
  /**
   * Lines encoded as bytes at once: a line waits for the next flush (an fdatasync away) and, kept as a string,
   * would outlive the young generation and leave its few KB as garbage among the agents in the old one.
   */
  private pending: Buffer[] = [];
  private appended = 0;
  private flushed = 0;
  private waiters: Waiter[] = [];
  private scheduled = false;
  /** Serializes flushes and rotations. */
  private lock: Promise<void> = Promise.resolve();
  private failure: Error | null = null;
  bytes = 0;
  flushCount = 0;

  constructor(
    private readonly dataFile: string,
    public generation: number,
    private readonly onFlush: (records: number, seconds: number) => void,
    private readonly onFailure: (error: Error) => void,
  ) {}

  get healthy(): boolean {
    return this.failure === null;
  }

  get hasUnsnapshotted(): boolean {
    return this.bytes > JOURNAL_HEADER.length || this.pending.length > 0;
  }

  async open(): Promise<void> {
    this.handle = await openGeneration(this.dataFile, this.generation);
    this.bytes = JOURNAL_HEADER.length;
  }

  append(seq: number, record: unknown): void {
    this.pending.push(Buffer.from(encodeLine(seq, record)));
    this.appended++;
    this.schedule();
  }

  /** Resolves when every line appended so far is on disk. */
  durable(): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.flushed >= this.appended) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.waiters.push({ upTo: this.appended, resolve, reject });
      this.schedule();
    });
  }

  /** Runs `task` with no flush in progress; lines appended meanwhile wait for the next flush. */
  exclusive<T>(task: () => Promise<T> | T): Promise<T> {
    const run = this.lock.then(task);
    this.lock = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  /** Starts a new generation; must run inside exclusive(). Lines not flushed yet go to the new one. */
  async rotate(): Promise<number> {
    const old = this.generation;
    await this.handle?.close();
    this.generation = old + 1;
    this.handle = await openGeneration(this.dataFile, this.generation);
    this.bytes = JOURNAL_HEADER.length;
    return old;
  }

  async close(): Promise<void> {
    await this.exclusive(async () => {
      await this.handle?.close();
      this.handle = null;
    });
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    // setImmediate gathers every record of this turn of the event loop into one write + fdatasync.
    setImmediate(() => {
      this.scheduled = false;
      void this.exclusive(() => this.flush());
    });
  }

  private async flush(): Promise<void> {
    while (this.pending.length > 0 && !this.failure && this.handle) {
      const lines = this.pending;
      const upTo = this.appended;
      this.pending = [];
      const started = performance.now();
      try {
        // One writev of the lines as they are: no copy of the whole batch into one big buffer (a malloc'd block
        // that outlives nothing but fragments the C heap). A short write (rare on a file) goes on from where it stopped.
        const size = lines.reduce((sum, line) => sum + line.length, 0);
        let offset = (await this.handle.writev(lines)).bytesWritten;
        if (offset < size) {
          const rest = Buffer.concat(lines);
          while (offset < size) offset += (await this.handle.write(rest, offset)).bytesWritten;
        }
        await this.handle.datasync();
        this.bytes += size;
      } catch (error) {
        this.failure = error as Error;
        this.onFailure(this.failure);
        for (const waiter of this.waiters.splice(0)) waiter.reject(this.failure);
        return;
      }
      this.flushed = upTo;
      this.flushCount++;
      this.onFlush(lines.length, (performance.now() - started) / 1000);
      const still: Waiter[] = [];
      for (const waiter of this.waiters) {
        if (waiter.upTo <= upTo) waiter.resolve();
        else still.push(waiter);
      }
      this.waiters = still;
    }
  }
}

async function openGeneration(dataFile: string, generation: number): Promise<FileHandle> {
  const handle = await open(journalPath(dataFile, generation), 'a', 0o600); // only its owner reads what agents registered
  const { size } = await handle.stat();
  if (size === 0) {
    await handle.write(JOURNAL_HEADER);
    await handle.datasync();
  }
  syncDirectory(dirname(dataFile));
  return handle;
}
