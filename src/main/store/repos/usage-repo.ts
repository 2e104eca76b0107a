import { asc, eq, inArray, sql } from 'drizzle-orm';
import { usage, type UsageRow } from '../schema';
import type { QueryRunner } from './runner';

/** The `usage` table: tokens and cost of every agent call. */
export class UsageRepo {
  constructor(private readonly run: QueryRunner) {}

  /** A session's usage rows in the order they were recorded. */
  ofSession(sessionId: string): Promise<UsageRow[]> {
    return this.run.read((q) =>
      q.select().from(usage).where(eq(usage.sessionId, sessionId)).orderBy(asc(usage.createdAt), asc(usage.id)),
    );
  }

  /** What each of these sessions spent so far (USD); sessions without usage are absent. */
  async spentBySessions(sessionIds: readonly string[]): Promise<Map<string, number>> {
    if (sessionIds.length === 0) return new Map();
    const rows = await this.run.read((q) =>
      q
        .select({ id: usage.sessionId, total: sql<string>`coalesce(sum(${usage.costUsd}), 0)` })
        .from(usage)
        .where(inArray(usage.sessionId, [...sessionIds]))
        .groupBy(usage.sessionId),
    );
    return new Map(rows.map((r) => [r.id, Number(r.total)]));
  }
}
