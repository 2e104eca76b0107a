import { and, asc, desc, eq, inArray, sql } from 'drizzle-orm';
import { auditLog, type AuditEntry, type NewAuditEntry } from '../schema';
import type { QueryRunner } from './runner';

/** The `audit_log` table: who decided or changed what, and when (append-only). */
export class AuditRepo {
  constructor(private readonly run: QueryRunner) {}

  async append(entry: NewAuditEntry): Promise<void> {
    await this.run.write((q) => q.insert(auditLog).values(entry));
  }

  /**
   * Appends many entries in one statement. One parameter for all rows: a 100-row insert with
   * 600 bound values costs more to build and bind than the rows do to write.
   */
  async appendMany(entries: readonly NewAuditEntry[]): Promise<void> {
    if (entries.length === 0) return;
    const rows = entries.map((a) => ({
      actor: a.actor,
      action: a.action,
      subject_type: a.subjectType,
      subject_id: a.subjectId,
      detail: a.detail,
    }));
    await this.run.write((q) =>
      q.execute(sql`
      insert into ${auditLog} (actor, action, subject_type, subject_id, detail)
      select x.actor, x.action, x.subject_type, x.subject_id, x.detail
      from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb)
        as x(actor text, action text, subject_type text, subject_id text, detail jsonb)`),
    );
  }

  /** Appends entries and returns them as stored (with their ids and times), in the same order. */
  async appendReturning(entries: readonly NewAuditEntry[]): Promise<AuditEntry[]> {
    if (entries.length === 0) return [];
    return this.run.write((q) =>
      q
        .insert(auditLog)
        .values([...entries])
        .returning(),
    );
  }

  /** The entries about one subject with these actions, newest first. */
  async aboutSubject(subjectType: string, subjectId: string, actions: readonly string[]): Promise<AuditEntry[]> {
    return this.run.read((q) =>
      q
        .select()
        .from(auditLog)
        .where(
          and(
            eq(auditLog.subjectType, subjectType),
            eq(auditLog.subjectId, subjectId),
            inArray(auditLog.action, [...actions]),
          ),
        )
        .orderBy(desc(auditLog.id)),
    );
  }

  /** The newest entry about one subject with this action, or null. */
  async latestAbout(subjectType: string, subjectId: string, action: string): Promise<AuditEntry | null> {
    const [row] = await this.run.read((q) =>
      q
        .select()
        .from(auditLog)
        .where(
          and(eq(auditLog.subjectType, subjectType), eq(auditLog.subjectId, subjectId), eq(auditLog.action, action)),
        )
        .orderBy(desc(auditLog.id))
        .limit(1),
    );
    return row ?? null;
  }

  /** The subject and detail of every entry with this action about one of these subject ids, oldest first. */
  withActionAbout(
    action: string,
    subjectIds: readonly string[],
  ): Promise<Array<Pick<AuditEntry, 'subjectId' | 'detail'>>> {
    if (subjectIds.length === 0) return Promise.resolve([]);
    return this.run.read((q) =>
      q
        .select({ subjectId: auditLog.subjectId, detail: auditLog.detail })
        .from(auditLog)
        .where(and(eq(auditLog.action, action), inArray(auditLog.subjectId, [...subjectIds])))
        .orderBy(asc(auditLog.id)),
    );
  }

  /** The audit entries of a PRD's decisions with these actions, oldest first. */
  async prdDecisionEntries(prdId: string, actions: readonly string[]): Promise<AuditEntry[]> {
    return this.run.read((q) =>
      q
        .select()
        .from(auditLog)
        .where(
          and(eq(auditLog.subjectType, 'prd'), eq(auditLog.subjectId, prdId), inArray(auditLog.action, [...actions])),
        )
        .orderBy(asc(auditLog.id)),
    );
  }

  /** The audit entry of one PRD decision (its detail holds what the approval covered). */
  async prdDecisionEntry(prdId: string, decisionId: number, action: string): Promise<AuditEntry | null> {
    const rows = await this.run.read((q) =>
      q
        .select()
        .from(auditLog)
        .where(
          and(
            eq(auditLog.subjectType, 'prd'),
            eq(auditLog.subjectId, prdId),
            eq(auditLog.action, action),
            sql`(${auditLog.detail} ->> 'decisionId')::bigint = ${decisionId}`,
          ),
        )
        .limit(1),
    );
    return rows[0] ?? null;
  }
}
