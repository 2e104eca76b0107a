import { asc, eq, and } from 'drizzle-orm';
import { contextPacks, gateRuns, type ContextPackRow, type NewContextPackRow } from '../schema';
import type { QueryRunner } from './runner';

/** A recorded pack with the attempt of the gate run it belongs to. */
export type ContextPackWithRun = ContextPackRow & { attempt: number };

/** The `context_packs` table: the context pack each agent phase was given. */
export class ContextPacksRepo {
  constructor(private readonly run: QueryRunner) {}

  async add(row: NewContextPackRow): Promise<void> {
    await this.run.write((q) => q.insert(contextPacks).values(row));
  }

  /** A session's packs (one story's when `storyId` is given), oldest first. */
  ofSession(sessionId: string, storyId?: string): Promise<ContextPackWithRun[]> {
    const where = storyId
      ? and(eq(contextPacks.sessionId, sessionId), eq(contextPacks.storyId, storyId))
      : eq(contextPacks.sessionId, sessionId);
    return this.run.read(async (q) => {
      const rows = await q
        .select({ pack: contextPacks, attempt: gateRuns.attempt })
        .from(contextPacks)
        .innerJoin(gateRuns, eq(gateRuns.id, contextPacks.gateRunId))
        .where(where)
        .orderBy(asc(contextPacks.createdAt), asc(contextPacks.id));
      return rows.map((r) => ({ ...r.pack, attempt: r.attempt }));
    });
  }
}
