// Names and messages about the data file that both the registry and its snapshot process use (this module
// loads nothing heavy: the registry imports it, and must not load sql.js).
import { unlinkSync } from 'node:fs';

/** The temp file a snapshot is written to before its rename (removed at start when a kill left it). */
export function snapshotTempPrefix(file: string): string {
  return `${file}.tmp-`;
}

export function removeQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}
