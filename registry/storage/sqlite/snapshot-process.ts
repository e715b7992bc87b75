// The short-lived process that reads and writes the sql.js data file for the registry (Redis' BGSAVE idea):
// it loads the last snapshot, replays the journal generations given, and writes a new snapshot; at start it
// first streams the state back. Its memory (the whole database, twice during an export) goes back to the
// system when it exits, so the registry keeps only its maps. Started by snapshot-runner.ts with fork().
import { journalPath } from './journal.js';
import { unreadable, type SavedAgent } from '../index.js';
import { removeQuietly } from './data-file.js';
import { SqliteImage, type SavedEventRow } from './image.js';

export type SnapshotTask =
  /** Read the state (after replaying `generations`); fold them into a new snapshot when there were any. */
  | { task: 'load'; file: string; generations: number[] }
  /** Replay `generations` into the snapshot, save, delete the generations. */
  | { task: 'snapshot'; file: string; generations: number[] };

export type SnapshotReply =
  | { type: 'log'; line: string }
  | { type: 'agents'; rows: SavedAgent[] }
  | { type: 'events'; rows: SavedEventRow[] }
  /** The load task's state is all sent; the fold (if any) follows. */
  | { type: 'loaded'; seq: number; nextEventId: number; replayed: number }
  | { type: 'done'; seq: number; nextEventId: number; replayed: number; saved: boolean }
  | { type: 'error'; message: string };

/** Rows per message: big enough to be cheap, small enough not to hold the whole state twice in a message. */
const BATCH = 1000;

function send(reply: SnapshotReply): Promise<void> {
  return new Promise((resolve, reject) => {
    if (!process.send || !process.connected) return reject(new Error('the registry is gone'));
    process.send(reply, undefined, {}, (error) => (error ? reject(error) : resolve()));
  });
}

/** A snapshot must never replace a newer one: if the registry died (kill -9), a successor may own the file now. */
function registryStillThere(): void {
  if (!process.connected) throw new Error('the registry is gone: snapshot abandoned');
}

async function run(task: SnapshotTask): Promise<void> {
  const image = await SqliteImage.open(task.file, task.task === 'load');
  try {
    const log = (line: string) => void send({ type: 'log', line }).catch(() => {});
    const replayed = image.replay(task.file, task.generations, log);
    let saved = false;
    if (task.task === 'load') {
      try {
        const rows: SavedAgent[] = [];
        for (const row of image.agents()) {
          rows.push(row);
          if (rows.length >= BATCH) await send({ type: 'agents', rows: rows.splice(0) });
        }
        if (rows.length > 0) await send({ type: 'agents', rows });
        const events: SavedEventRow[] = [];
        for (const event of image.events()) {
          events.push(event);
          if (events.length >= BATCH) await send({ type: 'events', rows: events.splice(0) });
        }
        if (events.length > 0) await send({ type: 'events', rows: events });
      } catch (error) {
        if (!process.connected) throw error;
        throw unreadable(task.file, error as Error);
      }
      await send({ type: 'loaded', seq: image.seq, nextEventId: image.nextEventId, replayed });
      // Fold old journals into a fresh snapshot, while the registry already serves.
      if (task.generations.length > 0) {
        await image.save(task.file, registryStillThere);
        saved = true;
      }
    } else {
      await image.save(task.file, registryStillThere);
      saved = true;
    }
    if (saved) for (const generation of task.generations) removeQuietly(journalPath(task.file, generation));
    await send({ type: 'done', seq: image.seq, nextEventId: image.nextEventId, replayed, saved });
  } finally {
    image.close();
  }
}

if (process.send) {
  process.on('disconnect', () => process.exit(0));
  process.once('message', (task: SnapshotTask) => {
    run(task).then(
      () => process.disconnect(),
      (error: Error) => send({ type: 'error', message: error.message }).finally(() => process.disconnect()),
    );
  });
}
