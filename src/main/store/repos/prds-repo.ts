import { and, asc, desc, eq, isNull, sql } from 'drizzle-orm';
import {
  prdDecisions,
  prds,
  type NewPrd,
  type Prd,
  type PrdDecision,
  type PrdDecisionKind,
  type PrdStatus,
} from '../schema';
import type { QueryRunner } from './runner';

/** The `prds` table: imported PRDs, their text, hash, story list and decision status. */
export class PrdsRepo {
  constructor(private readonly run: QueryRunner) {}

  /** One PRD; `forUpdate` locks its row (inside a transaction). */
  async byId(prdId: string, opts: { forUpdate?: boolean } = {}): Promise<Prd | null> {
    const rows = await this.run.read((q) => {
      const base = q.select().from(prds).where(eq(prds.id, prdId));
      return opts.forUpdate ? base.for('update') : base;
    });
    return rows[0] ?? null;
  }

  /** Every PRD (of one project when given), by id. */
  list(projectId?: string): Promise<Prd[]> {
    return this.run.read((q) => {
      const base = q.select().from(prds);
      return projectId ? base.where(eq(prds.projectId, projectId)).orderBy(asc(prds.id)) : base.orderBy(asc(prds.id));
    });
  }

  /** The PRD most recently imported from this file. */
  async bySourcePath(sourcePath: string): Promise<Prd | null> {
    const rows = await this.run.read((q) =>
      q.select().from(prds).where(eq(prds.sourcePath, sourcePath)).orderBy(desc(prds.updatedAt)).limit(1),
    );
    return rows[0] ?? null;
  }

  /** Ids of the project's PRDs whose story list contains `storyId`. */
  async idsCovering(projectId: string, storyId: string): Promise<string[]> {
    const rows = await this.run.read((q) =>
      q
        .select({ id: prds.id })
        .from(prds)
        .where(and(eq(prds.projectId, projectId), sql`${prds.storyIds} @> ${JSON.stringify([storyId])}::jsonb`)),
    );
    return rows.map((r) => r.id);
  }

  async insert(row: NewPrd): Promise<void> {
    await this.run.write((q) => q.insert(prds).values(row));
  }

  async update(prdId: string, set: Partial<Omit<NewPrd, 'id'>>): Promise<void> {
    await this.run.write((q) => q.update(prds).set(set).where(eq(prds.id, prdId)));
  }

  async setStatus(prdId: string, status: PrdStatus, voidReason: string | null, at: Date): Promise<void> {
    await this.update(prdId, { status, voidReason, updatedAt: at });
  }
}

/** The `prd_decisions` table: approvals and rejections, each bound to the PRD text's hash. */
export class PrdDecisionsRepo {
  constructor(private readonly run: QueryRunner) {}

  async latest(prdId: string): Promise<PrdDecision | null> {
    const rows = await this.run.read((q) =>
      q.select().from(prdDecisions).where(eq(prdDecisions.prdId, prdId)).orderBy(desc(prdDecisions.id)).limit(1),
    );
    return rows[0] ?? null;
  }

  /** Every decision on a PRD, oldest first. */
  all(prdId: string): Promise<PrdDecision[]> {
    return this.run.read((q) =>
      q.select().from(prdDecisions).where(eq(prdDecisions.prdId, prdId)).orderBy(asc(prdDecisions.id)),
    );
  }

  async insert(row: {
    prdId: string;
    decision: PrdDecisionKind;
    by: string;
    comment: string | null;
    contentHash: string;
    createdAt: Date;
  }): Promise<PrdDecision> {
    const [inserted] = await this.run.write((q) => q.insert(prdDecisions).values(row).returning());
    return inserted!;
  }

  /** Voids every live decision of the PRD. */
  async voidLive(prdId: string, reason: string, at: Date): Promise<void> {
    await this.run.write((q) =>
      q
        .update(prdDecisions)
        .set({ voidedAt: at, voidReason: reason })
        .where(and(eq(prdDecisions.prdId, prdId), isNull(prdDecisions.voidedAt))),
    );
  }
}
