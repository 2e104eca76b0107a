import { and, eq, sql } from 'drizzle-orm';
import { auditLog, type AuditEntry, type NewAuditEntry } from '../schema';
import type { QueryRunner } from './runner';

/** The `audit_log` table: who decided or changed what, and when (append-only). */
export class AuditRepo {
  constructor(private readonly run: QueryRunner) {}

  async append(entry: NewAuditEntry): Promise<void> {
    await this.run.write((q) => q.insert(auditLog).values(entry));
  }

  /** The audit entry of one PRD decision (its detail holds what the approval covered). */
  async prdDecisionEntry(prdId: string, decisionId: number, action: string): Promise<AuditEntry | null> {
    const rows = await this.run.read((q) =>
      q
        .select()
        .from(auditLog)
        .where(and(eq(auditLog.subjectType, 'prd'), eq(auditLog.subjectId, prdId), eq(auditLog.action, action), sql`(${auditLog.detail} ->> 'decisionId')::bigint = ${decisionId}`))
        .limit(1),
    );
    return rows[0] ?? null;
  }
}
