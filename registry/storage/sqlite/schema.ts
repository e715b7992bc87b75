// The data file's schema, its migrations, and the checks that refuse a file that is not ours.
import type { Database } from 'sql.js';

/** PRAGMA application_id of our files: "mesh" in ASCII. Foreign SQLite files carry another (usually 0). */
export const APPLICATION_ID = 0x6d657368;

/** MIGRATIONS[n] turns schema version n into n + 1 (PRAGMA user_version). */
const MIGRATIONS: ((db: Database) => void)[] = [
  (db) => {
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
      CREATE TABLE tools (
        agent_id TEXT NOT NULL,
        position INTEGER NOT NULL,
        function_name TEXT NOT NULL,
        capability TEXT,
        version TEXT,
        tags TEXT NOT NULL,
        PRIMARY KEY (agent_id, position)
      );
      CREATE INDEX tools_by_capability ON tools (capability);
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
    `);
  },
  // The tools table was written and never read (registrations hold the tools): 20 % of the file, and of each snapshot's work.
  (db) => {
    db.run('DROP INDEX IF EXISTS tools_by_capability; DROP TABLE IF EXISTS tools;');
  },
];

export const SCHEMA_VERSION = MIGRATIONS.length;

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
 * Brings an opened database to SCHEMA_VERSION, or throws a message saying why the file is refused.
 * Runs before anything is written, so a refused file is left exactly as it was. Returns whether it migrated.
 */
export function checkAndMigrate(db: Database, file: string, { scan = true }: { scan?: boolean } = {}): boolean {
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
  const fresh = applicationId === 0 && version === 0 && tables.length === 0;
  if (!fresh && applicationId !== APPLICATION_ID) {
    throw refuse(`it is the SQLite database of another application (application_id ${applicationId}, tables: ${tables.join(', ') || 'none'})`);
  }
  if (version > SCHEMA_VERSION) {
    throw refuse(`it was written by a newer pm2-mesh (schema version ${version}, this one knows up to ${SCHEMA_VERSION}); upgrade pm2-mesh`);
  }
  for (let v = version; v < SCHEMA_VERSION; v++) {
    db.run('BEGIN');
    try {
      MIGRATIONS[v]!(db);
      db.run(`PRAGMA user_version = ${v + 1}`);
      db.run('COMMIT');
    } catch (error) {
      db.run('ROLLBACK');
      throw new Error(`migrating ${file} from schema version ${v} to ${v + 1} failed: ${(error as Error).message}`);
    }
  }
  return version < SCHEMA_VERSION;
}
