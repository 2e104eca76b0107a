import fs from 'node:fs';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { PGlite } from '@electric-sql/pglite';
import { sql, type ExtractTablesWithRelations, type SQL } from 'drizzle-orm';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import { migrate as migratePg } from 'drizzle-orm/node-postgres/migrator';
import type { PgDatabase, PgQueryResultHKT, PgTransaction } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import pg from 'pg';
import type { ComponentHealth } from '../../shared/ipc';
import { describeDbError, isConnectionError } from './db-errors';
import { copyClusterTemplate, saveClusterTemplate } from './cluster-template';
import { DirLock } from './dir-lock';
import { DurableNodeFS, durableStartParams } from './durable-node-fs';
import { tightenTree } from './owner-only';
import { CommitOutcomeUnknownError, StoreUnavailableError } from './errors';
import { resolveMigrationsDir } from './paths';
import * as schema from './schema';

export type WaveSchema = typeof schema;
/** The drizzle database, the same API on PGlite and on a Postgres server. */
export type WaveDb = PgDatabase<PgQueryResultHKT, WaveSchema>;
/** A drizzle transaction handle of either driver. */
export type WaveTx = PgTransaction<PgQueryResultHKT, WaveSchema, ExtractTablesWithRelations<WaveSchema>>;
/** Anything queries can run on: the database or an open transaction. */
export type WaveQueryable = WaveDb | WaveTx;
export type StoreKind = 'pglite' | 'postgres';
export type StoreHealth = ComponentHealth & { kind: StoreKind };

export interface OpenStoreOptions {
  /** WAVE data directory; PGlite lives in `<dataDir>/pgdata`, guarded by `<dataDir>/store.lock`. */
  dataDir: string;
  /** A Postgres server (postgres://…); when absent the embedded PGlite is used. */
  databaseUrl?: string;
  log?: (line: string) => void;
  /**
   * Lines for a person who is waiting (the first creation of the embedded database: what is
   * happening, an estimate, and every few seconds how long so far). Default: `log`.
   */
  progress?: (line: string) => void;
  /**
   * The user's cache folder (WaveSettings.cacheDir): a new embedded store is copied from the
   * fresh cluster kept there, and the first one made keeps it (see cluster-template.ts).
   * Unset: every new store runs initdb.
   */
  clusterCacheDir?: string;
  /** Folder of drizzle-kit migrations; default: found next to the code (see resolveMigrationsDir). */
  migrationsDir?: string;
  env?: NodeJS.ProcessEnv;
  /**
   * How long `transaction()` keeps retrying a write that failed before COMMIT because the
   * server was unreachable (default 15 s). A write is never retried once COMMIT was sent.
   */
  writeRetryMs?: number;
  /** `health()` gives up on `select 1` after this long (default 2 s). */
  healthTimeoutMs?: number;
  /** Postgres pool size (default 10). */
  poolMax?: number;
  /** Postgres connect timeout (default 5 s). */
  connectTimeoutMs?: number;
  /** For tests: decides whether a lock holder's pid is alive. */
  lockIsAlive?: (pid: number) => boolean;
  /** What this process is, named to another process that finds the embedded store locked (LOCK_ROLES). */
  role?: string;
  /**
   * PGlite: how often to CHECKPOINT (default 5 min; 0 = never). Embedded Postgres has no
   * checkpointer process, and the WAL written since the last checkpoint is what a restart
   * after a crash has to replay.
   */
  checkpointIntervalMs?: number;
}

export interface TransactionOptions {
  /** Overrides OpenStoreOptions.writeRetryMs for this call; 0 = fail at the first connection error. */
  retryForMs?: number;
}

export interface Store {
  readonly kind: StoreKind;
  /**
   * The raw drizzle handle: internal to src/main/store. Everything else reads and writes
   * through src/main/store/repos (eslint refuses `.db` outside the store).
   */
  readonly db: WaveDb;
  readonly dataDir: string;
  /** Where the data lives, for people: the PGlite directory or the server URL without password. */
  readonly location: string;
  /** Runs `select 1` with a timeout; status `down` with a detail a lead can act on when it fails. */
  health(opts?: { timeoutMs?: number }): Promise<StoreHealth>;
  /**
   * Runs `fn` in one transaction and resolves only after COMMIT returned (on PGlite, after
   * the WAL was fsynced). If the server is unreachable before COMMIT, `fn` is re-run once
   * the connection is back (so `fn` must only touch the database); if the connection
   * breaks during COMMIT, rejects with CommitOutcomeUnknownError: never acknowledged.
   */
  transaction<T>(fn: (tx: WaveTx) => Promise<T>, opts?: TransactionOptions): Promise<T>;
  /**
   * Runs ONE statement on its own (autocommit: atomic, and committed when this resolves)
   * and returns its rows. If the server cannot be reached it is retried like a transaction;
   * if the connection breaks after it was sent, rejects with CommitOutcomeUnknownError.
   */
  execute<R = Record<string, unknown>>(query: SQL, opts?: TransactionOptions): Promise<R[]>;
  /**
   * Runs ONE statement built with the query builder on its own (autocommit), retried like
   * `execute`: the repositories' single-statement writes go through here.
   */
  write<T>(fn: (q: WaveQueryable) => Promise<T>, opts?: TransactionOptions): Promise<T>;
  /** Runs reads (not retried: a failed read is reported at once, as the database answered). */
  read<T>(fn: (q: WaveQueryable) => Promise<T>): Promise<T>;
  /** Called on every change of health status (up → down, down → up). Returns an unsubscribe. */
  onDidChangeHealth(listener: (h: StoreHealth) => void): () => void;
  /** Releases the connection pool or the embedded database and its lock. Safe to call twice. */
  close(): Promise<void>;
}

/**
 * Opens the store: `databaseUrl` → a pg pool; otherwise PGlite in `<dataDir>/pgdata`, under
 * a directory lock. Migrations are applied before this resolves.
 */
export async function openStore(opts: OpenStoreOptions): Promise<Store> {
  const migrationsFolder = resolveMigrationsDir(opts.migrationsDir, opts.env ?? process.env);
  if (opts.databaseUrl) return PostgresStore.open(opts, migrationsFolder);
  return PgliteStore.open(opts, migrationsFolder);
}

abstract class BaseStore implements Store {
  abstract readonly kind: StoreKind;
  abstract readonly db: WaveDb;
  abstract readonly location: string;
  protected readonly listeners = new Set<(h: StoreHealth) => void>();
  protected closing: Promise<void> | null = null;

  constructor(
    readonly dataDir: string,
    protected readonly log: (line: string) => void,
    protected readonly healthTimeoutMs: number,
  ) {}

  abstract transaction<T>(fn: (tx: WaveTx) => Promise<T>, opts?: TransactionOptions): Promise<T>;
  abstract write<T>(fn: (q: WaveQueryable) => Promise<T>, opts?: TransactionOptions): Promise<T>;
  protected abstract doClose(): Promise<void>;

  execute<R = Record<string, unknown>>(query: SQL, opts?: TransactionOptions): Promise<R[]> {
    return this.write(async (q) => rowsOf<R>(await q.execute(query)), opts);
  }

  read<T>(fn: (q: WaveQueryable) => Promise<T>): Promise<T> {
    return fn(this.db);
  }

  onDidChangeHealth(listener: (h: StoreHealth) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  protected emit(h: StoreHealth): void {
    for (const l of [...this.listeners]) {
      try {
        l(h);
      } catch (e) {
        this.log(`store: a health listener failed: ${(e as Error)?.message ?? String(e)}`);
      }
    }
  }

  close(): Promise<void> {
    this.closing ??= this.doClose();
    return this.closing;
  }

  async health(opts?: { timeoutMs?: number }): Promise<StoreHealth> {
    const checkedAt = new Date().toISOString();
    if (this.closing)
      return { kind: this.kind, status: 'down', detail: this.closedDetail(), latencyMs: null, checkedAt };
    try {
      const latencyMs = await this.ping(opts?.timeoutMs ?? this.healthTimeoutMs);
      this.answered();
      return { kind: this.kind, status: 'ok', detail: this.upDetail(), latencyMs, checkedAt };
    } catch (e) {
      return this.noAnswer(e, checkedAt);
    }
  }

  /** health()'s detail once close() was called. */
  protected abstract closedDetail(): string;
  /** health()'s detail when `select 1` answered. */
  protected abstract upDetail(): string;
  /** Called when `select 1` answered (the Postgres store marks itself up). */
  protected answered(): void {}
  /** health() when `select 1` failed. */
  protected abstract noAnswer(e: unknown, checkedAt: string): StoreHealth;

  protected async ping(timeoutMs: number): Promise<number> {
    const t0 = performance.now();
    await withTimeout(this.db.execute(sql`select 1`), timeoutMs, `no answer to "select 1" within ${timeoutMs} ms`);
    return performance.now() - t0;
  }
}

class PgliteStore extends BaseStore {
  readonly kind = 'pglite' as const;
  private checkpointTimer: NodeJS.Timeout | null = null;

  private constructor(
    dataDir: string,
    log: (line: string) => void,
    healthTimeoutMs: number,
    private readonly client: PGlite,
    readonly db: WaveDb,
    readonly location: string,
    private readonly lock: DirLock,
  ) {
    super(dataDir, log, healthTimeoutMs);
  }

  static async open(opts: OpenStoreOptions, migrationsFolder: string): Promise<PgliteStore> {
    const log = opts.log ?? (() => {});
    const dataDir = path.resolve(opts.dataDir);
    const pgdata = path.join(dataDir, 'pgdata');
    const lock = DirLock.acquire(dataDir, { log, isAlive: opts.lockIsAlive, role: opts.role });
    let client: PGlite | null = null;
    try {
      if (!fs.existsSync(path.join(pgdata, 'PG_VERSION')))
        await initCluster(dataDir, pgdata, opts.progress ?? log, opts.clusterCacheDir);
      // Stores created before files were owner-only (or copied in with loose modes) are fixed once.
      const loosened = tightenTree(pgdata);
      if (loosened > 0)
        log(
          `store: made ${loosened} files and folders of ${pgdata} readable by their owner only (they were open to other users)`,
        );
      const nodeFs = new DurableNodeFS(pgdata);
      try {
        client = await PGlite.create({ fs: nodeFs, startParams: durableStartParams() });
      } catch (e) {
        throw new Error(
          `Cannot open the embedded database in ${pgdata}: ${describeDbError(e)}. ` +
            'If the folder was copied or edited by hand, restore it from a backup or move it aside to start empty.',
          { cause: e },
        );
      }
      if (!nodeFs.fsyncInstalled) {
        log(
          'store: warning: could not enable fsync in PGlite (its file system layer changed); commits survive a crash of WAVE but not of the OS',
        );
      }
      const db = drizzlePglite({ client, schema }) as unknown as WaveDb;
      if (!(await migrationsApplied(db, migrationsFolder))) await migratePglite(db as never, { migrationsFolder });
      const store = new PgliteStore(dataDir, log, opts.healthTimeoutMs ?? 2000, client, db, pgdata, lock);
      store.startCheckpoints(opts.checkpointIntervalMs ?? 5 * 60_000);
      return store;
    } catch (e) {
      await client?.close().catch(() => {});
      lock.release();
      throw e;
    }
  }

  protected closedDetail(): string {
    return 'The embedded database is closed.';
  }

  protected upDetail(): string {
    return `Embedded PGlite in ${this.location}`;
  }

  protected noAnswer(e: unknown, checkedAt: string): StoreHealth {
    return {
      kind: this.kind,
      status: 'down',
      detail: `The embedded database in ${this.location} does not answer: ${describeDbError(e)}. Restart WAVE; if it persists, check free disk space.`,
      latencyMs: null,
      checkedAt,
    };
  }

  transaction<T>(fn: (tx: WaveTx) => Promise<T>): Promise<T> {
    // With DurableNodeFS the WAL is fsynced inside COMMIT, so resolving here means durable.
    return this.db.transaction(fn);
  }

  write<T>(fn: (q: WaveQueryable) => Promise<T>): Promise<T> {
    return fn(this.db);
  }

  private startCheckpoints(everyMs: number): void {
    if (everyMs <= 0) return;
    this.checkpointTimer = setInterval(() => {
      this.client.exec('checkpoint').catch((e: unknown) => {
        if (!this.closing) this.log(`store: periodic checkpoint of ${this.location} failed: ${describeDbError(e)}`);
      });
    }, everyMs);
    this.checkpointTimer.unref();
  }

  protected async doClose(): Promise<void> {
    if (this.checkpointTimer) clearInterval(this.checkpointTimer);
    try {
      await this.client.close();
    } finally {
      this.lock.release();
    }
  }
}

interface ClientErrorRoute {
  handle: (e: Error) => void;
}

const RECONNECT_MIN_MS = 200;
const RECONNECT_MAX_MS = 5000;

class PostgresStore extends BaseStore {
  readonly kind = 'postgres' as const;
  private up = true;
  private downSince: Date | null = null;
  private lastError = '';
  private reconnecting: Promise<void> | null = null;
  private reconnectAttempt = 0;
  private waiters = new Set<() => void>();
  private sleepTimer: NodeJS.Timeout | null = null;
  private wakeSleep: (() => void) | null = null;
  private readonly clientDbs = new WeakMap<pg.PoolClient, ReturnType<typeof drizzlePg<WaveSchema, pg.PoolClient>>>();

  private constructor(
    dataDir: string,
    log: (line: string) => void,
    healthTimeoutMs: number,
    private readonly pool: pg.Pool,
    readonly db: WaveDb,
    readonly location: string,
    private readonly writeRetryMs: number,
    errors: ClientErrorRoute,
  ) {
    super(dataDir, log, healthTimeoutMs);
    errors.handle = (e) => {
      if (isConnectionError(e)) this.reportConnectionLoss(e);
      else log(`store: a Postgres connection failed: ${describeDbError(e)}`);
    };
  }

  static async open(opts: OpenStoreOptions, migrationsFolder: string): Promise<PostgresStore> {
    const log = opts.log ?? (() => {});
    const url = opts.databaseUrl!;
    const location = redactUrl(url);
    const pool = new pg.Pool({
      connectionString: url,
      max: opts.poolMax ?? 10,
      connectionTimeoutMillis: opts.connectTimeoutMs ?? 5000,
      idleTimeoutMillis: 30_000,
      keepAlive: true,
      application_name: 'wave',
    });
    // Without these listeners a socket error would crash the process: the pool only listens
    // on idle clients, and a client checked out by a transaction emits 'error' when its
    // connection drops between two queries. Until the store exists, errors are only logged.
    const errors: ClientErrorRoute = {
      handle: (e) => log(`store: Postgres connection error during start-up: ${describeDbError(e)}`),
    };
    pool.on('error', (e) => errors.handle(e));
    pool.on('connect', (client) => client.on('error', (e) => errors.handle(e)));
    try {
      const db = drizzlePg({ client: pool, schema }) as unknown as WaveDb;
      await migrateWithLock(pool, migrationsFolder, location);
      return new PostgresStore(
        path.resolve(opts.dataDir),
        log,
        opts.healthTimeoutMs ?? 2000,
        pool,
        db,
        location,
        opts.writeRetryMs ?? 15_000,
        errors,
      );
    } catch (e) {
      await pool.end().catch(() => {});
      if (isConnectionError(e)) {
        throw new StoreUnavailableError(
          `Cannot reach the Postgres server at ${location}: ${describeDbError(e)}. Start the server, fix DATABASE_URL, or unset DATABASE_URL to use the embedded database.`,
          e,
        );
      }
      throw e;
    }
  }

  protected closedDetail(): string {
    return `The connection pool to ${this.location} is closed.`;
  }

  protected upDetail(): string {
    return `Postgres at ${this.location}`;
  }

  protected override answered(): void {
    this.markUp();
  }

  protected noAnswer(e: unknown, checkedAt: string): StoreHealth {
    this.reportConnectionLoss(e);
    return this.downHealth(checkedAt);
  }

  transaction<T>(fn: (tx: WaveTx) => Promise<T>, opts?: TransactionOptions): Promise<T> {
    return this.retryUntilSent(
      opts,
      (error) => `while committing (${error}); the write is not acknowledged.`,
      (sent) =>
        this.onOwnClient((db) =>
          db.transaction(async (tx) => {
            const value = await fn(tx as unknown as WaveTx);
            // Everything after this point is drizzle sending COMMIT.
            sent();
            return value;
          }),
        ),
    );
  }

  write<T>(fn: (q: WaveQueryable) => Promise<T>, opts?: TransactionOptions): Promise<T> {
    return this.retryUntilSent(
      opts,
      (error) => `while a write was in flight (${error}); it is not acknowledged.`,
      (sent) =>
        this.onOwnClient(async (db) => {
          sent();
          return await fn(db as unknown as WaveDb);
        }),
    );
  }

  /**
   * Runs `attempt` until it succeeds, retrying while the server is unreachable (until the
   * deadline) as long as `attempt` has not called `sent`: from then on a broken connection
   * leaves the outcome unknown, and that is never retried. `broke` says when the connection
   * broke and what that leaves, given the error.
   */
  private async retryUntilSent<T>(
    opts: TransactionOptions | undefined,
    broke: (error: string) => string,
    attempt: (sent: () => void) => Promise<T>,
  ): Promise<T> {
    const deadline = Date.now() + (opts?.retryForMs ?? this.writeRetryMs);
    for (;;) {
      if (this.closing)
        throw new StoreUnavailableError(`The store for ${this.location} is closed; the write was not made.`);
      let sent = false;
      try {
        return await attempt(() => {
          sent = true;
        });
      } catch (e) {
        if (!isConnectionError(e)) throw e;
        this.reportConnectionLoss(e);
        if (sent) {
          throw new CommitOutcomeUnknownError(
            `The connection to Postgres at ${this.location} broke ${broke(describeDbError(e))} ` +
              'Read the data back once the server is reachable before retrying.',
            e,
          );
        }
        if (Date.now() >= deadline || !(await this.waitUntilUp(deadline))) {
          throw new StoreUnavailableError(
            `Postgres at ${this.location} is unreachable (${describeDbError(e)}); the write was not made. It is retried automatically once the server is back.`,
            e,
          );
        }
      }
    }
  }

  /**
   * Runs `fn` on a client checked out here rather than by drizzle: drizzle's pool transaction
   * sends BEGIN outside its try/finally and leaks the client when BEGIN fails, after which
   * pool.end() never returns. A client whose connection broke is destroyed, not reused.
   */
  private async onOwnClient<T>(
    fn: (db: ReturnType<typeof drizzlePg<WaveSchema, pg.PoolClient>>) => Promise<T>,
  ): Promise<T> {
    const client = await this.pool.connect();
    let broken: Error | undefined;
    const onError = (e: Error) => {
      broken = e;
    };
    client.on('error', onError);
    let db = this.clientDbs.get(client);
    if (!db) {
      // Building a drizzle instance costs ~0.3 ms; pooled connections live long, so keep one each.
      db = drizzlePg({ client, schema });
      this.clientDbs.set(client, db);
    }
    try {
      return await fn(db);
    } catch (e) {
      if (isConnectionError(e)) broken ??= e as Error;
      throw e;
    } finally {
      client.off('error', onError);
      client.release(broken);
    }
  }

  /** Marks the store down (once per outage), tells listeners, and starts reconnecting. */
  private reportConnectionLoss(e: unknown): void {
    if (this.closing) return;
    this.lastError = describeDbError(e);
    if (this.up) {
      this.up = false;
      this.downSince = new Date();
      this.log(`store: lost the connection to Postgres at ${this.location}: ${this.lastError}; retrying with backoff`);
      this.emit(this.downHealth(new Date().toISOString()));
    }
    this.reconnecting ??= this.reconnectLoop().finally(() => {
      this.reconnecting = null;
    });
  }

  private markUp(): void {
    if (this.up) return;
    const downMs = this.downSince ? Date.now() - this.downSince.getTime() : 0;
    this.up = true;
    this.downSince = null;
    this.reconnectAttempt = 0;
    this.log(`store: connection to Postgres at ${this.location} restored after ${(downMs / 1000).toFixed(1)} s`);
    for (const w of [...this.waiters]) w();
    this.emit({
      kind: this.kind,
      status: 'ok',
      detail: `Postgres at ${this.location} (reconnected)`,
      latencyMs: null,
      checkedAt: new Date().toISOString(),
    });
  }

  private downHealth(checkedAt: string): StoreHealth {
    const since = this.downSince ? ` since ${this.downSince.toISOString()}` : '';
    return {
      kind: this.kind,
      status: 'down',
      detail:
        `Postgres at ${this.location} is unreachable${since} (${this.lastError}); reconnecting (attempt ${this.reconnectAttempt}). ` +
        'Nothing is acknowledged until it is back: check that the server is running and reachable.',
      latencyMs: null,
      checkedAt,
    };
  }

  private async reconnectLoop(): Promise<void> {
    while (!this.up && !this.closing) {
      this.reconnectAttempt++;
      const backoff = Math.min(RECONNECT_MAX_MS, RECONNECT_MIN_MS * 2 ** (this.reconnectAttempt - 1));
      await this.sleep(backoff * (0.75 + Math.random() * 0.5));
      if (this.closing) return;
      try {
        await this.ping(this.healthTimeoutMs);
        this.markUp();
      } catch (e) {
        this.lastError = describeDbError(e);
      }
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.wakeSleep = resolve;
      this.sleepTimer = setTimeout(resolve, ms);
    });
  }

  /** Resolves true once the connection is back, false at the deadline or on close. */
  private waitUntilUp(deadline: number): Promise<boolean> {
    if (this.up) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = (ok: boolean) => {
        clearTimeout(timer);
        this.waiters.delete(onUp);
        resolve(ok);
      };
      const onUp = () => done(!this.closing);
      const timer = setTimeout(() => done(false), Math.max(0, deadline - Date.now()));
      this.waiters.add(onUp);
    });
  }

  protected async doClose(): Promise<void> {
    if (this.sleepTimer) clearTimeout(this.sleepTimer);
    this.wakeSleep?.();
    for (const w of [...this.waiters]) w();
    await this.reconnecting?.catch(() => {});
    // pool.end() waits for every checked-out client; one leaked by a caller must not hang shutdown.
    let timer: NodeJS.Timeout | undefined;
    const gaveUp = await Promise.race([
      this.pool.end().then(() => false),
      new Promise<boolean>((r) => {
        timer = setTimeout(() => r(true), 5000);
        timer.unref();
      }),
    ]);
    clearTimeout(timer);
    if (gaveUp)
      this.log(
        `store: ${this.pool.totalCount - this.pool.idleCount} Postgres connection(s) were still in use at close; abandoned them`,
      );
  }
}

/** Applies migrations under an advisory lock so two processes starting together do not race. */
async function migrateWithLock(pool: pg.Pool, migrationsFolder: string, location: string): Promise<void> {
  // One client for lock and migrations: the lock is per session, and a failure cannot
  // leak a pooled connection that would make pool.end() hang.
  const client = await pool.connect();
  const key = 0x57415645; // 'WAVE'
  let broken: Error | undefined;
  try {
    const db = drizzlePg({ client, schema });
    // The common case, an up-to-date database, costs one query and no lock.
    if (await migrationsApplied(db as unknown as WaveDb, migrationsFolder)) return;
    await client.query('select pg_advisory_lock($1)', [key]);
    try {
      await migratePg(db, { migrationsFolder });
    } finally {
      await client.query('select pg_advisory_unlock($1)', [key]).catch(() => {});
    }
  } catch (e) {
    if (isConnectionError(e)) {
      broken = e as Error;
      throw e;
    }
    throw new Error(
      `Applying the database migrations from ${migrationsFolder} to ${location} failed: ${describeDbError(e)}`,
      { cause: e },
    );
  } finally {
    client.release(broken);
  }
}

/**
 * True when the newest migration of the folder is recorded in drizzle's table (drizzle
 * applies a migration when its folder timestamp is newer than the last one recorded).
 */
async function migrationsApplied(db: WaveDb, migrationsFolder: string): Promise<boolean> {
  const journal = JSON.parse(fs.readFileSync(path.join(migrationsFolder, 'meta', '_journal.json'), 'utf8')) as {
    entries: Array<{ when: number }>;
  };
  const newest = Math.max(...journal.entries.map((e) => e.when));
  try {
    const r = (await db.execute(sql`select max(created_at) as last from drizzle.__drizzle_migrations`)) as unknown as {
      rows: Array<{ last: unknown }>;
    };
    const last = r.rows[0]?.last;
    return last !== null && last !== undefined && Number(last) >= newest;
  } catch (e) {
    if (isConnectionError(e)) throw e;
    return false; // no migrations table yet
  }
}

/** Rows of a raw `execute` result: both drivers answer `{ rows }`. */
function rowsOf<R>(result: unknown): R[] {
  return ((result as { rows?: R[] }).rows ?? []) as R[];
}

function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparseable DATABASE_URL)';
  }
}

/** What the first start of the embedded database takes (initdb in WebAssembly): ~15 s on an idle laptop, a minute or more on a busy machine. */
const FIRST_START_ESTIMATE = 'usually 15–60 s';
const FIRST_START_HEARTBEAT_MS = 5000;

/*
 * initdb in WebAssembly holds the main thread for most of its run, so no timer of ours fires
 * until it ends. The "still creating" lines therefore come from a worker thread that writes
 * them to stderr (fd 2) itself, synchronously, until it is terminated.
 */
const HEARTBEAT_WORKER = `
const { writeSync } = require('node:fs');
const { workerData } = require('node:worker_threads');
const started = Date.now();
setInterval(() => {
  try { writeSync(2, workerData.text.replace('{s}', String(Math.round((Date.now() - started) / 1000))) + '\\n'); } catch {}
}, workerData.everyMs);
`;

function startHeartbeat(text: string, everyMs: number): () => Promise<void> {
  let worker: Worker | null = null;
  try {
    worker = new Worker(HEARTBEAT_WORKER, { eval: true, workerData: { text, everyMs } });
    worker.unref();
    worker.on('error', () => undefined);
  } catch {
    // Progress is a courtesy: creating the database goes on without it.
  }
  return async () => {
    await worker?.terminate().catch(() => undefined);
  };
}

/**
 * Creates the PGlite cluster beside its final place and renames it in only when complete:
 * initdb is not crash-safe, and a half-initialised directory would fail every later start.
 */
async function initCluster(
  dataDir: string,
  pgdata: string,
  log: (line: string) => void,
  cacheDir: string | undefined,
): Promise<void> {
  if (fs.existsSync(pgdata)) {
    if (fs.readdirSync(pgdata).length > 0) {
      throw new Error(
        `${pgdata} is not an embedded WAVE database (it has no PG_VERSION) but is not empty. Move it aside, or set WAVE_HOME to another directory.`,
      );
    }
    fs.rmdirSync(pgdata);
  }
  const staging = `${pgdata}.init`;
  // Leftovers of a start that was killed during initdb.
  fs.rmSync(staging, { recursive: true, force: true });
  fs.mkdirSync(staging, { mode: 0o700 });
  const started = Date.now();
  if (cacheDir && copyClusterTemplate(cacheDir, staging)) {
    log(`Created the embedded database in ${pgdata} from this machine's fresh copy (about a second).`);
  } else {
    log(
      `Creating the embedded database in ${pgdata}: first start only, ${FIRST_START_ESTIMATE}; later starts take about a second.`,
    );
    const stopHeartbeat = startHeartbeat(
      `  still creating the embedded database… {s} s so far (${FIRST_START_ESTIMATE})`,
      FIRST_START_HEARTBEAT_MS,
    );
    try {
      const client = await PGlite.create({ fs: new DurableNodeFS(staging), startParams: durableStartParams() });
      await client.close();
    } finally {
      await stopHeartbeat();
    }
    log(`  embedded database created in ${Math.round((Date.now() - started) / 1000)} s.`);
    // The next store on this machine copies this fresh cluster instead of running initdb.
    if (cacheDir) saveClusterTemplate(cacheDir, staging);
  }
  // initdb writes without fsync: flush everything before the directory becomes visible.
  fsyncTree(staging);
  fs.renameSync(staging, pgdata);
  fsyncPath(dataDir);
}

function fsyncTree(dir: string): void {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) fsyncTree(p);
    else if (entry.isFile()) fsyncPath(p);
  }
  fsyncPath(dir);
}

function fsyncPath(p: string): void {
  const fd = fs.openSync(p, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

function withTimeout<T>(p: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}
