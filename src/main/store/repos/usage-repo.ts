import { asc, eq } from 'drizzle-orm';
import { usage, type UsageRow } from '../schema';
import type { QueryRunner } from './runner';

/** The `usage` table: tokens and cost of every agent call. */
export class UsageRepo {
  constructor(private readonly run: QueryRunner) {}

  /** A session's usage rows in the order they were recorded. */
  ofSession(sessionId: string): Promise<UsageRow[]> {
    return this.run.read((q) => q.select().from(usage).where(eq(usage.sessionId, sessionId)).orderBy(asc(usage.createdAt), asc(usage.id)));
  }
}
