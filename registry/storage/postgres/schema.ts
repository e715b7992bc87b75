// The registry's tables in PostgreSQL, versioned: created in an empty schema, migrated forward on start (under a
// lock, so replicas starting together migrate once), and a schema holding anything else is refused untouched.
import type pg from 'pg';

/** The version this code writes; each entry of MIGRATIONS brings a schema from its index to index + 1. */
export const SCHEMA_VERSION = 1;

/** Marks our tables apart from anyone else's: mesh_meta.application holds it. */
export const APPLICATION = 'pm2-mesh registry';

/** Advisory lock keys (pg_advisory_*): one for migrations, one for ordered writes, one for the health sweeper. */
export const LOCK_MIGRATE = 0x6d657368_01n;
export const LOCK_WRITE = 0x6d657368_02n;
export const LOCK_SWEEPER = 0x6d657368_03n;

/** The NOTIFY channel that tells replicas new changes are committed. */
export const CHANGES_CHANNEL = 'mesh_changes';

export const OUR_TABLES = ['mesh_meta', 'mesh_agents', 'mesh_events', 'mesh_changes'];

const MIGRATIONS: string[] = [
  // 0 → 1
  `CREATE TABLE mesh_meta (key text PRIMARY KEY, value text NOT NULL);
   -- One row per agent: its registration as the JSON text it was posted as (the digest of a repeat POST
   -- depends on the exact text), and the state that changes without a new registration.
   CREATE TABLE mesh_agents (
     id text PRIMARY KEY,
     name text NOT NULL,
     registration text NOT NULL,
     status text NOT NULL,
     status_reason text,
     status_changed_at bigint NOT NULL,
     registered boolean NOT NULL,
     created_at bigint NOT NULL,
     updated_at bigint NOT NULL,
     last_seen bigint NOT NULL,
     posted_hash text NOT NULL
   );
   CREATE TABLE mesh_events (
     id bigint PRIMARY KEY,
     agent_id text NOT NULL,
     agent_name text NOT NULL,
     event_type text NOT NULL,
     timestamp text NOT NULL,
     data text NOT NULL
   );
   CREATE SEQUENCE mesh_event_ids;
   -- Every change, in the one order all replicas apply them (ids are taken under LOCK_WRITE, so they commit in order).
   CREATE TABLE mesh_changes (
     id bigint PRIMARY KEY,
     origin text NOT NULL,
     record text NOT NULL,
     committed_at timestamptz NOT NULL DEFAULT now()
   );
   CREATE SEQUENCE mesh_change_ids;`,
];

/** Thrown for a database we must not touch; the message says what was found and what to do. */
export class ForeignDatabaseError extends Error {}

/**
 * Brings the connection's current schema to SCHEMA_VERSION: creates the tables when it holds none, migrates an
 * older version of ours, refuses a newer version or anything that is not ours (nothing is changed then).
 */
export async function migrate(client: pg.ClientBase, where: string): Promise<{ from: number; to: number }> {
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock($1)', [LOCK_MIGRATE.toString()]);
    const { rows: schemaRows } = await client.query<{ schema: string | null }>('SELECT current_schema() AS schema');
    const schema = schemaRows[0]?.schema;
    if (!schema) throw new ForeignDatabaseError(`${where} has no schema to create tables in (check search_path)`);
    const { rows } = await client.query<{ name: string }>(
      `SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = $1 AND c.relkind IN ('r', 'v', 'm', 'p', 'f') ORDER BY 1`,
      [schema],
    );
    const tables = rows.map((r) => r.name);
    let from = 0;
    if (tables.length > 0) {
      const foreign = tables.filter((t) => !OUR_TABLES.includes(t));
      if (!tables.includes('mesh_meta') || foreign.length > 0) {
        throw new ForeignDatabaseError(
          `refusing to use ${where}: its schema "${schema}" holds tables that are not a pm2-mesh registry's ` +
            `(${(foreign.length > 0 ? foreign : tables).slice(0, 8).join(', ')}${tables.length > 8 ? ', …' : ''}). Nothing was changed; ` +
            'give the registry an empty database (CREATE DATABASE mesh) or a schema of its own (?options=-c%20search_path%3Dmesh).',
        );
      }
      const meta = await client.query<{ key: string; value: string }>('SELECT key, value FROM mesh_meta');
      const values = new Map(meta.rows.map((r) => [r.key, r.value]));
      if (values.get('application') !== APPLICATION) {
        throw new ForeignDatabaseError(`refusing to use ${where}: its mesh_meta table was not written by a pm2-mesh registry. Nothing was changed.`);
      }
      from = Number(values.get('schema_version'));
      if (!Number.isInteger(from) || from < 1)
        throw new ForeignDatabaseError(
          `refusing to use ${where}: unreadable schema_version ${JSON.stringify(values.get('schema_version'))}. Nothing was changed.`,
        );
      if (from > SCHEMA_VERSION) {
        throw new ForeignDatabaseError(
          `refusing to use ${where}: it holds registry schema version ${from}, newer than this registry's ${SCHEMA_VERSION}. Nothing was changed; upgrade this registry.`,
        );
      }
    }
    for (let version = from; version < SCHEMA_VERSION; version++) await client.query(MIGRATIONS[version]!);
    if (from < SCHEMA_VERSION) {
      await client.query(
        `INSERT INTO mesh_meta (key, value) VALUES ('application', $1), ('schema_version', $2)
         ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value`,
        [APPLICATION, String(SCHEMA_VERSION)],
      );
    }
    await client.query('COMMIT');
    return { from, to: SCHEMA_VERSION };
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  }
}
