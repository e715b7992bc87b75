// The data file's schema, and the checks that refuse a file that is not ours.
import type { Database } from 'sql.js';

/** PRAGMA application_id of our files: "mesh" in ASCII. Foreign SQLite files carry another (usually 0). */
export const APPLICATION_ID = 0x6d657368;

/**
 * The schema version this code writes (PRAGMA user_version). Version 1 was a pre-release layout (with a tools
 * table nobody read); no released file has it, so it is refused like any file this version does not know.
 */
export const SCHEMA_VERSION = 2;

/** Creates the tables in an empty database. */
function createSchema(db: Database): void {
  db.run(`
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE agents (
      id TEXT PRIMARY KEY,
      name TEXT NOT NULL,
      status TEXT NOT NULL,
      status_reason TEXT,
      status_changed_at INTEGER NOT NULL,
      registered INTEGER NOT NULL,
      created_at INTEGER NOT NULL,
      updated_at INTEGER NOT NULL,
      last_seen INTEGER NOT NULL,
      posted_hash TEXT NOT NULL,
      registration TEXT NOT NULL
    );
    CREATE TABLE events (
      id INTEGER PRIMARY KEY,
      agent_id TEXT NOT NULL,
      agent_name TEXT NOT NULL,
      event_type TEXT NOT NULL,
      timestamp TEXT NOT NULL,
      data TEXT NOT NULL
    );
    CREATE INDEX events_by_agent ON events (agent_id, id);
    PRAGMA application_id = ${APPLICATION_ID};
    PRAGMA user_version = ${SCHEMA_VERSION};
  `);
}

/** The SQLite file header; anything else is not a database at all. */
const SQLITE_MAGIC = Buffer.from('SQLite format 3\0', 'latin1');

export function looksLikeSqlite(bytes: Uint8Array): boolean {
  return bytes.length >= 100 && Buffer.from(bytes.buffer, bytes.byteOffset, 16).equals(SQLITE_MAGIC);
}

function pragma(db: Database, name: string): number {
  return Number(db.exec(`PRAGMA ${name}`)[0]?.values[0]?.[0] ?? 0);
}

function tableNames(db: Database): string[] {
  return (db.exec(`SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`)[0]?.values ?? []).map((row) => String(row[0]));
}

/**
 * Checks an opened database and creates the tables in a fresh one, or throws a message saying why the file is
 * refused. Runs before anything is written, so a refused file is left exactly as it was.
 */
export function checkOrCreate(db: Database, file: string, { scan = true }: { scan?: boolean } = {}): void {
  const refuse = (why: string) =>
    new Error(`refusing to use ${file} as the registry data file: ${why}. Nothing was changed; move it away or choose another --data-file.`);
  // The page scan runs at start; a snapshot rereads the file this registry wrote itself and checks only the header.
  if (scan) {
    let check: string;
    try {
      check = String(db.exec('PRAGMA quick_check')[0]?.values[0]?.[0] ?? 'ok');
    } catch (error) {
      throw refuse(`the database is corrupt (${(error as Error).message})`);
    }
    if (check !== 'ok') throw refuse(`the database is corrupt (${check})`);
  }
  const applicationId = pragma(db, 'application_id');
  const version = pragma(db, 'user_version');
  const tables = tableNames(db);
  if (applicationId === 0 && version === 0 && tables.length === 0) {
    createSchema(db);
    return;
  }
  if (applicationId !== APPLICATION_ID) {
    throw refuse(`it is the SQLite database of another application (application_id ${applicationId}, tables: ${tables.join(', ') || 'none'})`);
  }
  if (version > SCHEMA_VERSION) {
    throw refuse(`it was written by a newer pm2-mesh (schema version ${version}, this one knows up to ${SCHEMA_VERSION}); upgrade pm2-mesh`);
  }
  if (version < SCHEMA_VERSION)
    throw refuse(`it was written by a pre-release pm2-mesh (schema version ${version}, this one reads ${SCHEMA_VERSION})`);
}
