// PostgreSQL storage: registries ("replicas") on one database serve one mesh. Each keeps the whole state in memory
// (reads and HEADs never wait on PostgreSQL) and commits every change before its answer. Changes go to one log,
// mesh_changes, whose ids are taken under a transaction lock so that they commit in id order; every replica
// applies that log in order (its own changes too, which are then no-ops), woken by LISTEN/NOTIFY. One replica at a
// time, the holder of a session advisory lock, decides health (timeouts and purges). HEADs only touch memory:
// last-seen times are committed in batches, as a change like any other, so every replica (and the next sweeper)
// knows them within about a second.
import pg from 'pg';
import { describeUrl } from './url.js';
import type { RegistryEvent } from '../../../core/wire.js';
import type { AgentState, Replica, ReplicaHooks, ReplicatedChange, RestoredState, SavedAgent, Storage, StorageOptions } from '../index.js';
import { CHANGES_CHANNEL, LOCK_SWEEPER, LOCK_WRITE, migrate } from './schema.js';

export interface PostgresOptions extends StorageOptions {
  /** Events kept in memory (the newest are loaded at start). */
  maxEvents: number;
  /** Seconds without a heartbeat before an agent turns unhealthy: last-seen batches are written well within it. */
  timeoutS: number;
}

/** How often last-seen times go to the database, at most (and at most a tenth of the timeout). */
const SEEN_FLUSH_MS = 1000;
/** The replica that takes the sweeper lock waits this long before deciding (the last holder's last batch lands). */
const SWEEPER_SETTLE_MS = 2000;
/** Non-holders try to take the sweeper lock this often. */
const SWEEPER_TRY_MS = 1000;
/** A safety poll of the log, should a notification be missed. */
const POLL_MS = 2000;
/** Changes older than this are deleted by the sweeper; a replica further behind reloads the agents. */
const CHANGE_RETENTION_S = 300;
/** Reconnection backoff while PostgreSQL is away. */
const RECONNECT_MIN_MS = 200;
const RECONNECT_MAX_MS = 5000;
const FETCH_LIMIT = 2000;

interface Waiter {
  resolve: () => void;
  reject: (error: Error) => void;
}

/** Opens the registry's tables at `url` (creating or migrating them; a foreign database is refused untouched). */
export async function openPostgresStorage(url: string, options: PostgresOptions): Promise<Storage> {
  return PostgresStorage.open(url, options);
}

class PostgresStorage implements Storage, Replica {
  readonly replica: Replica = this;
  readonly pendingBytes = 0;
  private loaded: RestoredState | null;
  private pending: ReplicatedChange[] = [];
  private nextBatch: { promise: Promise<void>; waiter: Waiter } | null = null;
  private inFlight: Promise<void> | null = null;
  private flushScheduled = false;
  private readonly seenPending = new Map<string, number>();
  private listener: pg.Client | null = null;
  private hooks: ReplicaHooks | null = null;
  private cursor: bigint;
  /** The running catch-up and the one queued behind it (see fetchSoon). */
  private catchUps: Promise<void> = Promise.resolve();
  private catchUpQueued = false;
  private needsResync = false;
  private writeFailed = false;
  private leaderSince: number | null = null;
  private connectedSince = 0;
  private reconnectDelay = RECONNECT_MIN_MS;
  private readonly timers: NodeJS.Timeout[] = [];
  private reconnectTimer: NodeJS.Timeout | null = null;
  private closed = false;
  private lastProblem = '';

  private constructor(
    private readonly pool: pg.Pool,
    private readonly config: pg.ClientConfig,
    readonly location: string,
    private readonly origin: string,
    private readonly options: PostgresOptions,
    loaded: RestoredState & { cursor: bigint },
  ) {
    this.cursor = loaded.cursor;
    this.loaded = loaded;
  }

  /** Connects, migrates (or refuses a foreign database, untouched), and reads the state to restore. */
  static async open(url: string, options: PostgresOptions): Promise<PostgresStorage> {
    const where = describeUrl(url);
    const config: pg.ClientConfig = {
      connectionString: url,
      connectionTimeoutMillis: 5000,
      query_timeout: 15_000,
      application_name: 'pm2-mesh registry',
    };
    const pool = new pg.Pool({ ...config, max: 8, idleTimeoutMillis: 30_000 });
    // An idle connection that breaks (PostgreSQL restarted) must not crash the registry: the next query reconnects.
    pool.on('error', () => {});
    try {
      const client = await pool.connect().catch((error: Error) => {
        throw new Error(`cannot connect to PostgreSQL at ${where}: ${error.message}`);
      });
      try {
        const { from, to } = await migrate(client, where);
        if (from !== to)
          options.log(
            `registry: ${from === 0 ? 'created the registry tables' : `migrated the registry tables from version ${from} to ${to}`} in ${where}`,
          );
        const loaded = await loadState(client, options.maxEvents);
        const origin = `${(await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
        return new PostgresStorage(pool, config, where, origin, options, loaded);
      } finally {
        client.release();
      }
    } catch (error) {
      await pool.end().catch(() => {});
      throw error;
    }
  }

  restore(): Promise<RestoredState> {
    const loaded = this.loaded ?? { agents: [], events: [], nextEventId: 1 };
    this.loaded = null;
    return Promise.resolve(loaded);
  }

  /** Changes are compacted by the database itself. */
  snapshot(): Promise<void> {
    return Promise.resolve();
  }

  /** Starts following the other replicas' changes and competing for the sweeper lock. */
  async follow(hooks: ReplicaHooks): Promise<void> {
    this.hooks = hooks;
    await this.connectListener();
    const every = (ms: number, run: () => void) => {
      const timer = setInterval(run, ms);
      timer.unref();
      this.timers.push(timer);
    };
    every(Math.min(SEEN_FLUSH_MS, (this.options.timeoutS * 1000) / 10), () => this.flushSeen());
    every(SWEEPER_TRY_MS, () => void this.tryLead());
    every(POLL_MS, () => void this.fetchSoon());
  }

  /** Commits possible: PostgreSQL reachable and memory in step with it. */
  get healthy(): boolean {
    return !this.closed && this.listener !== null && !this.writeFailed;
  }

  /** Why changes are refused, for the 503 answer. */
  get unavailableReason(): string {
    return `registry cannot commit to PostgreSQL (${this.location}${this.lastProblem ? `: ${this.lastProblem}` : ''}); retry shortly`;
  }

  /** This replica decides health now: it holds the sweeper lock, has held it a moment, and is in step. */
  decidesHealth(): boolean {
    const now = Date.now();
    return this.healthy && this.leaderSince !== null && now - this.leaderSince >= SWEEPER_SETTLE_MS && now - this.connectedSince >= SWEEPER_SETTLE_MS;
  }

  write(record: ReplicatedChange): void {
    if (this.closed) return;
    this.pending.push(record);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => {
        this.flushScheduled = false;
        void this.flush();
      });
    }
  }

  /** Resolves once every change written so far is committed; rejects when its commit failed. */
  durable(): Promise<void> {
    if (this.pending.length > 0) return (this.nextBatch ??= deferred()).promise;
    return this.inFlight ?? Promise.resolve();
  }

  /** A HEAD heard the agent: its last-seen time goes to the database with the next batch. */
  seen(agentId: string, at: number): void {
    this.seenPending.set(agentId, at);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    for (const timer of this.timers) clearInterval(timer);
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    if (this.healthy) this.flushSeen();
    await this.flush().catch(() => {});
    await this.inFlight?.catch(() => {});
    this.closed = true;
    const listener = this.listener;
    this.listener = null;
    await listener?.end().catch(() => {});
    await this.pool.end().catch(() => {});
  }

  // ---- writing ----

  private async flush(): Promise<void> {
    if (this.inFlight || this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    const waiting = this.nextBatch ?? deferred();
    this.nextBatch = null;
    this.inFlight = waiting.promise;
    waiting.promise.catch(() => {}); // a failure reaches the routes through durable(); nobody else may be waiting
    const started = performance.now();
    try {
      await this.commit(batch);
      this.options.metrics.journalFlushes++;
      this.options.metrics.journalRecords += batch.length;
      this.options.metrics.journalFlushSeconds += (performance.now() - started) / 1000;
      this.writeFailed = false;
      waiting.waiter.resolve();
    } catch (error) {
      this.problem(error as Error);
      // Memory may hold changes the database does not: refuse changes until it is reloaded from the database.
      this.writeFailed = true;
      this.needsResync = true;
      for (const record of batch) if (record.op === 'seen') for (const [id, at] of record.seen) this.keepSeen(id, at);
      waiting.waiter.reject(new Error(this.unavailableReason));
      this.checkConnection();
    } finally {
      this.inFlight = null;
    }
    if (this.pending.length > 0) void this.flush();
  }

  private async commit(batch: ReplicatedChange[]): Promise<void> {
    const client = await this.pool.connect();
    try {
      // Constants only, so one round trip: the lock is held until COMMIT, so ids are taken in commit order.
      await client.query(`BEGIN; SELECT pg_advisory_xact_lock(${LOCK_WRITE})`);
      try {
        const events = batch.filter((r): r is Extract<ReplicatedChange, { op: 'event' }> => r.op === 'event');
        const { rows } = await client.query<{ change: string; event: string | null }>(
          `SELECT nextval('mesh_change_ids')::text AS change, CASE WHEN n <= $2 THEN nextval('mesh_event_ids')::text END AS event
             FROM generate_series(1, $1::int) AS n ORDER BY n`,
          [batch.length, events.length],
        );
        events.forEach((record, i) => {
          record.event = { ...record.event, id: Number(rows[i]!.event) };
        });
        await client.query('INSERT INTO mesh_changes (id, origin, record) SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[])', [
          rows.map((r) => r.change),
          batch.map(() => this.origin),
          batch.map((r) => JSON.stringify(r)),
        ]);
        await applyToTables(client, batch);
        // The last id is a number from the sequence: safe to inline, and the notification goes with the COMMIT.
        await client.query(`SELECT pg_notify('${CHANGES_CHANNEL}', '${BigInt(rows.at(-1)!.change)}'); COMMIT`);
      } catch (error) {
        await client.query('ROLLBACK').catch(() => {});
        throw error;
      }
      client.release();
    } catch (error) {
      client.release(error as Error);
      throw error;
    }
  }

  private flushSeen(): void {
    if (this.seenPending.size === 0 || !this.healthy) return;
    const seen = [...this.seenPending];
    this.seenPending.clear();
    this.write({ op: 'seen', seen });
  }

  private keepSeen(id: string, at: number): void {
    if ((this.seenPending.get(id) ?? 0) < at) this.seenPending.set(id, at);
  }

  // ---- following ----

  private async connectListener(): Promise<void> {
    const client = new pg.Client(this.config);
    client.on('error', (error) => this.lost(client, error));
    client.on('end', () => this.lost(client, new Error('connection closed')));
    client.on('notification', () => void this.fetchSoon());
    try {
      await client.connect();
      await client.query(`LISTEN ${CHANGES_CHANNEL}`);
    } catch (error) {
      client.removeAllListeners('end');
      await client.end().catch(() => {});
      throw error;
    }
    this.listener = client;
    this.connectedSince = Date.now();
    this.reconnectDelay = RECONNECT_MIN_MS;
    if (this.lastProblem) this.options.log(`registry: PostgreSQL at ${this.location} is back`);
    this.lastProblem = '';
    await this.fetchSoon();
    void this.tryLead();
  }

  /** The listening connection broke (PostgreSQL stopped or restarted): reconnect with backoff. */
  private lost(client: pg.Client, error: Error): void {
    if (this.listener !== client && this.listener !== null) return;
    const wasConnected = this.listener === client;
    this.listener = null;
    this.leaderSince = null;
    client.removeAllListeners('end');
    void client.end().catch(() => {});
    if (this.closed) return;
    if (wasConnected) {
      this.problem(error);
      this.needsResync = true; // changes may be missed while away, and commits may have failed
    }
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.closed || this.reconnectTimer) return;
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      this.connectListener().catch((error: Error) => {
        this.problem(error);
        this.reconnectDelay = Math.min(RECONNECT_MAX_MS, this.reconnectDelay * 2);
        this.scheduleReconnect();
      });
    }, this.reconnectDelay);
    this.reconnectTimer.unref();
  }

  /** After a failed commit: if the listener still works, reload at once; if not, the reconnection will. */
  private checkConnection(): void {
    const client = this.listener;
    if (!client) return;
    client.query('SELECT 1').then(
      () => this.fetchSoon(),
      (error: Error) => this.lost(client, error),
    );
  }

  /**
   * Queues a catch-up behind the running one (at most one waits): changes must be applied once each, in order,
   * so two catch-ups never run at the same time.
   */
  private fetchSoon(): Promise<void> {
    if (this.catchUpQueued) return this.catchUps;
    this.catchUpQueued = true;
    this.catchUps = this.catchUps.then(() => {
      this.catchUpQueued = false;
      return this.catchUp();
    });
    return this.catchUps;
  }

  /** Applies every change committed since the cursor, in order (a reload first when memory may be off). */
  private async catchUp(): Promise<void> {
    const hooks = this.hooks;
    if (!hooks || this.closed) return;
    try {
      if (this.needsResync) await this.resync(hooks);
      for (;;) {
        const { rows } = await this.pool.query<{ id: string; record: string }>(
          'SELECT id::text, record FROM mesh_changes WHERE id > $1 ORDER BY id LIMIT $2',
          [this.cursor.toString(), FETCH_LIMIT],
        );
        // A gap is a rolled-back transaction's ids, or changes trimmed before this replica read them.
        if (rows[0] && BigInt(rows[0].id) > this.cursor + 1n && (await this.trimmedPast())) {
          await this.resync(hooks);
          continue;
        }
        for (const row of rows) {
          this.cursor = BigInt(row.id);
          hooks.apply(JSON.parse(row.record) as ReplicatedChange);
        }
        if (rows.length < FETCH_LIMIT) break;
      }
    } catch (error) {
      this.problem(error as Error);
    }
  }

  private async trimmedPast(): Promise<boolean> {
    const { rows } = await this.pool.query<{ value: string }>("SELECT value FROM mesh_meta WHERE key = 'changes_trimmed_below'");
    return rows[0] !== undefined && BigInt(rows[0].value) > this.cursor + 1n;
  }

  private async resync(hooks: ReplicaHooks): Promise<void> {
    const client = await this.pool.connect();
    try {
      const loaded = await loadState(client, 0);
      hooks.resync(loaded.agents);
      this.cursor = loaded.cursor;
      this.needsResync = false;
      this.writeFailed = false;
      this.options.log(`registry: reloaded ${loaded.agents.length} agents from ${this.location}`);
    } finally {
      client.release();
    }
  }

  // ---- the sweeper lock ----

  private async tryLead(): Promise<void> {
    const client = this.listener;
    if (!client || this.closed) return;
    try {
      if (this.leaderSince === null) {
        const { rows } = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1) AS ok', [LOCK_SWEEPER.toString()]);
        if (!rows[0]?.ok || this.listener !== client) return;
        this.leaderSince = Date.now();
        this.options.log('registry: this replica now decides agent health (sweeper lock taken)');
        const settle = setTimeout(() => this.hooks?.leading(), SWEEPER_SETTLE_MS + 10);
        settle.unref();
      } else {
        // The sweeper trims the log of changes every replica has had time to read.
        await this.pool.query(
          `WITH gone AS (DELETE FROM mesh_changes WHERE committed_at < now() - make_interval(secs => $1) RETURNING id)
           INSERT INTO mesh_meta (key, value) SELECT 'changes_trimmed_below', (max(id) + 1)::text FROM gone HAVING count(*) > 0
           ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value`,
          [CHANGE_RETENTION_S],
        );
      }
    } catch (error) {
      this.problem(error as Error);
    }
  }

  private problem(error: Error): void {
    const message = error.message || String(error);
    if (message !== this.lastProblem) this.options.log(`registry: PostgreSQL at ${this.location}: ${message}`);
    this.lastProblem = message;
  }
}

/** The agents, the newest events and the log position they reflect, read in one snapshot. */
async function loadState(client: pg.ClientBase, maxEvents: number): Promise<RestoredState & { cursor: bigint }> {
  await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
  try {
    const agents = await client.query<Record<string, unknown>>('SELECT * FROM mesh_agents');
    const events =
      maxEvents > 0
        ? await client.query<Record<string, string>>('SELECT * FROM (SELECT * FROM mesh_events ORDER BY id DESC LIMIT $1) e ORDER BY id', [maxEvents])
        : { rows: [] };
    const { rows } = await client.query<{ cursor: string; next_event: string }>(
      `SELECT coalesce((SELECT max(id) FROM mesh_changes), 0)::text AS cursor,
              (SELECT coalesce(max(id), 0) + 1 FROM mesh_events)::text AS next_event`,
    );
    await client.query('COMMIT');
    return {
      agents: agents.rows.map((row) => ({
        id: row.id as string,
        name: row.name as string,
        registration: row.registration as string,
        status: row.status as SavedAgent['status'],
        status_reason: row.status_reason as string | null,
        status_changed_at: Number(row.status_changed_at),
        registered: row.registered as boolean,
        created_at: Number(row.created_at),
        updated_at: Number(row.updated_at),
        last_seen: Number(row.last_seen),
        posted_hash: row.posted_hash as string,
      })),
      events: events.rows.map((row) => ({
        id: Number(row.id),
        agent_id: row.agent_id!,
        agent_name: row.agent_name!,
        event_type: row.event_type as RegistryEvent['event_type'],
        timestamp: row.timestamp!,
        data: JSON.parse(row.data!) as Record<string, unknown>,
      })),
      nextEventId: Number(rows[0]!.next_event),
      cursor: BigInt(rows[0]!.cursor),
    };
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  }
}

/** Folds a batch into the tables: one statement per kind of change, whatever the batch's size. */
async function applyToTables(client: pg.ClientBase, batch: readonly ReplicatedChange[]): Promise<void> {
  const full = new Map<string, SavedAgent>();
  const states = new Map<string, AgentState & { id: string }>();
  const purged = new Set<string>();
  const seen = new Map<string, number>();
  const events: RegistryEvent[] = [];
  let trimBelow = 0;
  for (const record of batch) {
    switch (record.op) {
      case 'agent':
        full.set(record.agent.id, record.agent);
        states.delete(record.agent.id);
        break;
      case 'state': {
        const row = full.get(record.id);
        if (row) full.set(row.id, { ...row, ...record.state });
        else states.set(record.id, { id: record.id, ...record.state });
        break;
      }
      case 'purge':
        full.delete(record.id);
        states.delete(record.id);
        purged.add(record.id);
        break;
      case 'event':
        events.push(record.event);
        break;
      case 'trim':
        trimBelow = Math.max(trimBelow, record.below);
        break;
      case 'seen':
        for (const [id, at] of record.seen) if ((seen.get(id) ?? 0) < at) seen.set(id, at);
        break;
    }
  }
  if (purged.size > 0) await client.query('DELETE FROM mesh_agents WHERE id = ANY($1::text[])', [[...purged]]);
  if (full.size > 0) {
    const rows = [...full.values()];
    const column = <K extends keyof SavedAgent>(key: K) => rows.map((row) => row[key]);
    await client.query(
      `INSERT INTO mesh_agents (id, name, registration, status, status_reason, status_changed_at, registered, created_at, updated_at, last_seen, posted_hash)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[], $7::boolean[], $8::bigint[], $9::bigint[], $10::bigint[], $11::text[])
       ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, registration = EXCLUDED.registration, status = EXCLUDED.status,
         status_reason = EXCLUDED.status_reason, status_changed_at = EXCLUDED.status_changed_at, registered = EXCLUDED.registered,
         created_at = EXCLUDED.created_at, updated_at = EXCLUDED.updated_at, last_seen = EXCLUDED.last_seen, posted_hash = EXCLUDED.posted_hash`,
      [
        column('id'),
        column('name'),
        column('registration'),
        column('status'),
        column('status_reason'),
        column('status_changed_at'),
        column('registered'),
        column('created_at'),
        column('updated_at'),
        column('last_seen'),
        column('posted_hash'),
      ],
    );
  }
  if (states.size > 0) {
    const rows = [...states.values()];
    await client.query(
      `UPDATE mesh_agents a SET status = s.status, status_reason = s.status_reason, status_changed_at = s.status_changed_at,
         registered = s.registered, created_at = s.created_at, updated_at = s.updated_at, posted_hash = s.posted_hash,
         last_seen = greatest(a.last_seen, s.last_seen)
       FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::boolean[], $6::bigint[], $7::bigint[], $8::text[], $9::bigint[])
         AS s(id, status, status_reason, status_changed_at, registered, created_at, updated_at, posted_hash, last_seen)
       WHERE a.id = s.id`,
      [
        rows.map((r) => r.id),
        rows.map((r) => r.status),
        rows.map((r) => r.status_reason),
        rows.map((r) => r.status_changed_at),
        rows.map((r) => r.registered),
        rows.map((r) => r.created_at),
        rows.map((r) => r.updated_at),
        rows.map((r) => r.posted_hash),
        rows.map((r) => r.last_seen),
      ],
    );
  }
  if (seen.size > 0) {
    await client.query(
      'UPDATE mesh_agents a SET last_seen = greatest(a.last_seen, s.at) FROM unnest($1::text[], $2::bigint[]) AS s(id, at) WHERE a.id = s.id',
      [[...seen.keys()], [...seen.values()]],
    );
  }
  if (events.length > 0) {
    await client.query(
      'INSERT INTO mesh_events (id, agent_id, agent_name, event_type, timestamp, data) SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[])',
      [
        events.map((e) => e.id),
        events.map((e) => e.agent_id),
        events.map((e) => e.agent_name),
        events.map((e) => e.event_type),
        events.map((e) => e.timestamp),
        events.map((e) => JSON.stringify(e.data)),
      ],
    );
  }
  if (trimBelow > 0) await client.query('DELETE FROM mesh_events WHERE id < $1', [trimBelow]);
}

function deferred(): { promise: Promise<void>; waiter: Waiter } {
  let waiter!: Waiter;
  const promise = new Promise<void>((resolve, reject) => {
    waiter = { resolve, reject };
  });
  return { promise, waiter };
}
