import { and, asc, eq, inArray, isNotNull, isNull, sql } from 'drizzle-orm';
import { fleetWorkers, storyRunLeases, storyRuns, type FleetWorker, type FleetWorkerStats } from '../schema';
import { rowsOf, type QueryRunner } from './runner';

/*
 * The fleet's two tables: the `wave worker` processes (fleet_workers) and the lease of each
 * story run a worker claimed (story_run_leases). Times are the database's clock (`now()`), so
 * workers on hosts with skewed clocks agree on who holds what.
 */

/** A worker wrote (or tried to) for a story run whose lease it no longer holds: nothing was written. */
export class LeaseLostError extends Error {
  override readonly name = 'LeaseLostError';
  constructor(
    readonly storyRunId: string,
    readonly token: number,
    why: string,
  ) {
    super(`The lease of story run ${storyRunId} (token ${token}) is no longer held: ${why}. Nothing was written.`);
  }
}

/** A lease a worker holds: the fencing token every effect is checked against. */
export interface HeldLease {
  storyRunId: string;
  workerId: string;
  token: number;
}

const ms = (n: number) => sql`(now() + ${Math.max(1, Math.round(n))} * interval '1 millisecond')`;

/** The `story_run_leases` table: who may write a story run's effects, fenced by an increasing token. */
export class StoryRunLeasesRepo {
  constructor(private readonly run: QueryRunner) {}

  /**
   * Takes the story run's lease for `leaseMs` when nobody holds it (no row, released or
   * expired): the token goes up by one. Null when another worker holds it.
   */
  async acquire(storyRunId: string, workerId: string, leaseMs: number): Promise<HeldLease | null> {
    const rows = await this.run.write((q) =>
      q
        .insert(storyRunLeases)
        .values({ storyRunId, workerId, token: 1, expiresAt: ms(leaseMs) })
        .onConflictDoUpdate({
          target: storyRunLeases.storyRunId,
          set: { workerId, token: sql`${storyRunLeases.token} + 1`, expiresAt: ms(leaseMs) },
          setWhere: sql`${storyRunLeases.expiresAt} <= now() or ${storyRunLeases.workerId} is null`,
        })
        .returning({ token: storyRunLeases.token }),
    );
    const token = rows[0]?.token;
    return token === undefined ? null : { storyRunId, workerId, token: Number(token) };
  }

  /** Extends a lease this token holds and that has not expired; false when it is lost. */
  async renew(lease: HeldLease, leaseMs: number): Promise<boolean> {
    const rows = await this.run.write((q) =>
      q
        .update(storyRunLeases)
        .set({ expiresAt: ms(leaseMs) })
        .where(
          and(
            eq(storyRunLeases.storyRunId, lease.storyRunId),
            eq(storyRunLeases.token, lease.token),
            sql`${storyRunLeases.expiresAt} > now()`,
          ),
        )
        .returning({ token: storyRunLeases.token }),
    );
    return rows.length > 0;
  }

  /** Gives the lease back (only with its token): the next claimant need not wait for it to expire. */
  async release(lease: HeldLease): Promise<void> {
    await this.run.write((q) =>
      q
        .update(storyRunLeases)
        .set({ workerId: null, expiresAt: sql`now()` })
        .where(and(eq(storyRunLeases.storyRunId, lease.storyRunId), eq(storyRunLeases.token, lease.token))),
    );
  }

  /**
   * Locks the lease row (inside a transaction) and throws LeaseLostError unless `token` still
   * holds it unexpired: the check every fenced write makes before writing.
   */
  async assertHeld(storyRunId: string, token: number): Promise<void> {
    const rows = await this.run.read((q) =>
      q.execute(
        sql`select token, (expires_at > now()) as live from story_run_leases where story_run_id = ${storyRunId} for update`,
      ),
    );
    const row = rowsOf<{ token: string | number; live: boolean }>(rows)[0];
    if (!row) throw new LeaseLostError(storyRunId, token, 'nobody holds it');
    if (Number(row.token) !== token)
      throw new LeaseLostError(storyRunId, token, `another worker took it (token ${Number(row.token)})`);
    if (!row.live) throw new LeaseLostError(storyRunId, token, 'it expired');
  }

  /**
   * Takes the transaction-scoped advisory lock of a landing target (project and branch):
   * one merge at a time per target across the fleet, released at COMMIT or ROLLBACK.
   */
  async lockTarget(key: string): Promise<void> {
    await this.run.read((q) => q.execute(sql`select pg_advisory_xact_lock(hashtextextended(${key}, 0))`));
  }

  /** The running workers that hold an unexpired lease on a story run of the session (each once). */
  holdersOf(sessionId: string): Promise<Array<{ workerId: string; name: string; host: string; pid: number }>> {
    return this.run.read((q) =>
      q
        .selectDistinct({
          workerId: fleetWorkers.id,
          name: fleetWorkers.name,
          host: fleetWorkers.host,
          pid: fleetWorkers.pid,
        })
        .from(storyRunLeases)
        .innerJoin(storyRuns, eq(storyRuns.id, storyRunLeases.storyRunId))
        .innerJoin(fleetWorkers, eq(fleetWorkers.id, storyRunLeases.workerId))
        .where(
          and(
            eq(storyRuns.sessionId, sessionId),
            sql`${storyRunLeases.expiresAt} > now()`,
            isNull(fleetWorkers.stoppedAt),
          ),
        ),
    );
  }

  /** Story run ids whose lease is held and unexpired now. */
  async live(storyRunIds: readonly string[]): Promise<Set<string>> {
    if (storyRunIds.length === 0) return new Set();
    const rows = await this.run.read((q) =>
      q
        .select({ id: storyRunLeases.storyRunId })
        .from(storyRunLeases)
        .where(
          and(
            inArray(storyRunLeases.storyRunId, [...storyRunIds]),
            isNotNull(storyRunLeases.workerId),
            sql`${storyRunLeases.expiresAt} > now()`,
          ),
        ),
    );
    return new Set(rows.map((r) => r.id));
  }
}

/** A worker as `wave workers` and the fleet view show it. */
export interface FleetWorkerRow extends FleetWorker {
  /** Heartbeat age by the database clock. */
  heartbeatAgeMs: number;
}

/** The `fleet_workers` table: one row per `wave worker` process. */
export class FleetWorkersRepo {
  constructor(private readonly run: QueryRunner) {}

  async register(w: {
    id: string;
    name: string;
    host: string;
    pid: number;
    version: string;
    concurrency: number;
    workDir: string;
  }): Promise<void> {
    await this.run.write((q) => q.insert(fleetWorkers).values(w));
  }

  /** Records a heartbeat with the worker's stats; answers whether it was asked to drain. */
  async heartbeat(id: string, stats: FleetWorkerStats): Promise<{ draining: boolean } | null> {
    const rows = await this.run.write((q) =>
      q
        .update(fleetWorkers)
        .set({ heartbeatAt: sql`now()`, stats })
        .where(eq(fleetWorkers.id, id))
        .returning({ draining: fleetWorkers.draining }),
    );
    return rows[0] ?? null;
  }

  async markStopped(id: string): Promise<void> {
    await this.run.write((q) =>
      q
        .update(fleetWorkers)
        .set({ stoppedAt: sql`now()`, stats: sql`jsonb_set(${fleetWorkers.stats}, '{storyRuns}', '[]'::jsonb)` })
        .where(eq(fleetWorkers.id, id)),
    );
  }

  /** Asks a worker (by id or name) to drain, or to take work again; the number of workers changed. */
  async setDraining(idOrName: string, draining: boolean): Promise<number> {
    const rows = await this.run.write((q) =>
      q
        .update(fleetWorkers)
        .set({ draining })
        .where(
          and(
            sql`(${fleetWorkers.id} = ${idOrName} or ${fleetWorkers.name} = ${idOrName})`,
            isNull(fleetWorkers.stoppedAt),
          ),
        )
        .returning({ id: fleetWorkers.id }),
    );
    return rows.length;
  }

  /** Workers that have not stopped, oldest first, with their heartbeat age. */
  running(): Promise<FleetWorkerRow[]> {
    return this.run.read((q) =>
      q
        .select({
          ...getColumns(),
          heartbeatAgeMs: sql<number>`(extract(epoch from (now() - ${fleetWorkers.heartbeatAt})) * 1000)::float8`,
        })
        .from(fleetWorkers)
        .where(isNull(fleetWorkers.stoppedAt))
        .orderBy(asc(fleetWorkers.startedAt)),
    );
  }
}

function getColumns() {
  return {
    id: fleetWorkers.id,
    name: fleetWorkers.name,
    host: fleetWorkers.host,
    pid: fleetWorkers.pid,
    version: fleetWorkers.version,
    concurrency: fleetWorkers.concurrency,
    workDir: fleetWorkers.workDir,
    startedAt: fleetWorkers.startedAt,
    heartbeatAt: fleetWorkers.heartbeatAt,
    draining: fleetWorkers.draining,
    stoppedAt: fleetWorkers.stoppedAt,
    stats: fleetWorkers.stats,
  };
}
