// One registry per data file: `<data-file>.lock` holds the owner's pid; a dead owner's lock (kill -9) is taken over.
import { readFileSync, writeFileSync } from 'node:fs';
import { removeQuietly } from './data-file.js';

/** Lock files this process holds (two registries of one process must not share a file either). */
const heldLocks = new Set<string>();

/** Takes the lock of `file` (throws naming the owner when it lives); returns the lock file. */
export function takeLock(file: string): string {
  const lockFile = `${file}.lock`;
  if (heldLocks.has(lockFile))
    throw new Error(`the data file ${file} is in use by another registry of this process; close it first or choose another --data-file`);
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      writeFileSync(lockFile, `${process.pid}\n`, { flag: 'wx', mode: 0o600 });
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

export function releaseLock(lockFile: string): void {
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
