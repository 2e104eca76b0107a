import { and, asc, desc, eq, inArray, sql } from 'drizzle-orm';
import { sessions, type Session, type SessionStatus } from '../schema';
import type { QueryRunner } from './runner';

/** SQL for the heartbeat age in ms by the database clock, so hosts with skewed clocks agree. */
export const heartbeatAgeMs = sql<
  number | null
>`(extract(epoch from (now() - ${sessions.heartbeatAt})) * 1000)::float8`;

export interface SessionOwnerRow {
  ownerPid: number | null;
  ownerHost: string | null;
  heartbeatAgeMs: number | null;
  status: SessionStatus;
}

/** The `sessions` table: lookups, and the owner/heartbeat lease of the process driving one. */
export class SessionsRepo {
  constructor(private readonly run: QueryRunner) {}

  async byId(sessionId: string): Promise<Session | null> {
    const [row] = await this.run.read((q) => q.select().from(sessions).where(eq(sessions.id, sessionId)));
    return row ?? null;
  }

  /** A session with its heartbeat age by the database clock (not locked); null when there is none. */
  async withHeartbeat(sessionId: string): Promise<{ s: Session; heartbeatAgeMs: number | null } | null> {
    const [row] = await this.run.read((q) =>
      q.select({ s: sessions, heartbeatAgeMs }).from(sessions).where(eq(sessions.id, sessionId)),
    );
    return row ?? null;
  }

  /** A session's status; null when there is no such session. */
  async statusOf(sessionId: string): Promise<SessionStatus | null> {
    const [row] = await this.run.read((q) =>
      q.select({ status: sessions.status }).from(sessions).where(eq(sessions.id, sessionId)),
    );
    return row?.status ?? null;
  }

  /** The newest `limit` sessions, newest first. */
  newest(limit: number): Promise<Session[]> {
    return this.run.read((q) =>
      q.select().from(sessions).orderBy(desc(sessions.createdAt), desc(sessions.id)).limit(limit),
    );
  }

  /** Marks a session `stopping` with this reason, only while its status is one of `whileIn`. */
  async markStopping(sessionId: string, stopReason: string, whileIn: readonly SessionStatus[]): Promise<void> {
    await this.run.write((q) =>
      q
        .update(sessions)
        .set({ status: 'stopping', stopReason })
        .where(and(eq(sessions.id, sessionId), inArray(sessions.status, [...whileIn]))),
    );
  }

  /** Closes a session whose owner is gone as `stopped` now, with no owner left. */
  async closeOwnerless(sessionId: string, stopReason: string): Promise<void> {
    await this.run.write((q) =>
      q
        .update(sessions)
        .set({ status: 'stopped', stopReason, endedAt: new Date(), ownerPid: null, ownerHost: null, heartbeatAt: null })
        .where(eq(sessions.id, sessionId)),
    );
  }

  /** The newest session's id; null when there is none. */
  async latestId(): Promise<string | null> {
    const [row] = await this.run.read((q) =>
      q.select({ id: sessions.id }).from(sessions).orderBy(desc(sessions.createdAt), desc(sessions.id)).limit(1),
    );
    return row?.id ?? null;
  }

  async idsWithStatus(statuses: readonly SessionStatus[]): Promise<string[]> {
    const rows = await this.run.read((q) =>
      q
        .select({ id: sessions.id })
        .from(sessions)
        .where(inArray(sessions.status, [...statuses])),
    );
    return rows.map((r) => r.id);
  }

  /** The newest `limit` sessions in one of `statuses`, newest first. */
  withStatus(statuses: readonly SessionStatus[], limit: number): Promise<Session[]> {
    return this.run.read((q) =>
      q
        .select()
        .from(sessions)
        .where(inArray(sessions.status, [...statuses]))
        .orderBy(desc(sessions.createdAt))
        .limit(limit),
    );
  }

  /**
   * Sessions in one of `statuses`, oldest first, with their heartbeat age and the time of
   * their newest checkpoint (ms since the epoch) by the database clock.
   */
  withLiveness(
    statuses: readonly SessionStatus[],
  ): Promise<Array<{ s: Session; heartbeatAgeMs: number | null; lastCheckpointMs: number | null }>> {
    return this.run.read((q) =>
      q
        .select({
          s: sessions,
          heartbeatAgeMs,
          lastCheckpointMs: sql<
            number | null
          >`(select (extract(epoch from max(c.created_at)) * 1000)::float8 from checkpoints c where c.session_id = sessions.id)`,
        })
        .from(sessions)
        .where(inArray(sessions.status, [...statuses]))
        .orderBy(asc(sessions.createdAt)),
    );
  }

  /** A session with its heartbeat age, locked for update (call inside a transaction). */
  async lockWithHeartbeat(sessionId: string): Promise<{ s: Session; heartbeatAgeMs: number | null } | null> {
    const [row] = await this.run.read((q) =>
      q.select({ s: sessions, heartbeatAgeMs }).from(sessions).where(eq(sessions.id, sessionId)).for('update'),
    );
    return row ?? null;
  }

  /** Records the outcome of a recovery: the new status and owner (a claimer) or no owner. */
  async markRecovered(
    sessionId: string,
    r: { status: SessionStatus; claimer: { pid: number; host: string } | null; stopReason: string | null },
  ): Promise<void> {
    await this.run.write((q) =>
      q
        .update(sessions)
        .set({
          status: r.status,
          ownerPid: r.claimer?.pid ?? null,
          ownerHost: r.claimer?.host ?? null,
          heartbeatAt: r.claimer ? sql`now()` : null,
          stopReason: r.stopReason,
          endedAt: r.status === 'completed' ? sql`now()` : null,
        })
        .where(eq(sessions.id, sessionId)),
    );
  }

  /** The owner columns of a session, locked for update (call inside a transaction). */
  async lockOwner(sessionId: string): Promise<SessionOwnerRow | null> {
    const [row] = await this.run.read((q) =>
      q
        .select({ ownerPid: sessions.ownerPid, ownerHost: sessions.ownerHost, heartbeatAgeMs, status: sessions.status })
        .from(sessions)
        .where(eq(sessions.id, sessionId))
        .for('update'),
    );
    return row ?? null;
  }

  /** Records `pid@host` as the owner with a fresh heartbeat; with status 'running' the session (re)starts. */
  async claim(sessionId: string, pid: number, host: string, status?: SessionStatus): Promise<void> {
    await this.run.write((q) =>
      q
        .update(sessions)
        .set({
          ownerPid: pid,
          ownerHost: host,
          heartbeatAt: sql`now()`,
          ...(status ? { status } : {}),
          ...(status === 'running'
            ? { startedAt: sql`coalesce(${sessions.startedAt}, now())`, endedAt: null, stopReason: null }
            : {}),
        })
        .where(eq(sessions.id, sessionId)),
    );
  }

  /** Refreshes the heartbeat while `pid@host` still owns the session; false when it no longer does. */
  async beat(sessionId: string, pid: number, host: string): Promise<boolean> {
    // Not retried: a missed beat only matters past the lease, and the next beat comes soon.
    const rows = await this.run.write(
      (q) =>
        q
          .update(sessions)
          .set({ heartbeatAt: sql`now()` })
          .where(and(eq(sessions.id, sessionId), eq(sessions.ownerPid, pid), eq(sessions.ownerHost, host)))
          .returning({ id: sessions.id }),
      { retryForMs: 0 },
    );
    return rows.length > 0;
  }

  /** Clears the owner if it is still `pid@host`, optionally setting the final status and reason. */
  async releaseOwner(
    sessionId: string,
    pid: number,
    host: string,
    final?: { status?: SessionStatus; stopReason?: string | null },
  ): Promise<void> {
    // Not retried: it runs at shutdown, and an owner left behind is found by its expired lease.
    await this.run.write(
      (q) =>
        q
          .update(sessions)
          .set({
            ownerPid: null,
            ownerHost: null,
            heartbeatAt: null,
            ...(final?.status ? { status: final.status } : {}),
            ...(final?.stopReason !== undefined ? { stopReason: final.stopReason } : {}),
          })
          .where(and(eq(sessions.id, sessionId), eq(sessions.ownerPid, pid), eq(sessions.ownerHost, host))),
      { retryForMs: 0 },
    );
  }
}
