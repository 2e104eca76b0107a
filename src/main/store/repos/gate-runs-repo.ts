import { and, asc, desc, eq, inArray, isNotNull, sql } from 'drizzle-orm';
import { gateRuns, type GateId, type GateRun, type GateRunStatus } from '../schema';
import type { QueryRunner } from './runner';

/** The `gate_runs` table: one row per attempt of a gate. */
export class GateRunsRepo {
  constructor(private readonly run: QueryRunner) {}

  /** Where a gate run's log is and whether it still runs; null when there is no such gate run. */
  async logOf(gateRunId: number): Promise<{ logPath: string | null; status: GateRunStatus } | null> {
    const [row] = await this.run.read((q) =>
      q.select({ logPath: gateRuns.logPath, status: gateRuns.status }).from(gateRuns).where(eq(gateRuns.id, gateRunId)),
    );
    return row ?? null;
  }

  /** Every gate run of a session, oldest first. */
  ofSession(sessionId: string): Promise<GateRun[]> {
    return this.run.read((q) =>
      q.select().from(gateRuns).where(eq(gateRuns.sessionId, sessionId)).orderBy(asc(gateRuns.id)),
    );
  }

  /** Every gate run of a story run, oldest first. */
  ofStoryRun(storyRunId: string): Promise<GateRun[]> {
    return this.run.read((q) =>
      q.select().from(gateRuns).where(eq(gateRuns.storyRunId, storyRunId)).orderBy(asc(gateRuns.id)),
    );
  }

  /** The latest run of a gate in one attempt (epoch) of a story run, or null. */
  async latest(storyRunId: string, gate: GateId, epoch: number): Promise<GateRun | null> {
    const [row] = await this.run.read((q) =>
      q
        .select()
        .from(gateRuns)
        .where(and(eq(gateRuns.storyRunId, storyRunId), eq(gateRuns.gate, gate), eq(gateRuns.epoch, epoch)))
        .orderBy(desc(gateRuns.id))
        .limit(1),
    );
    return row ?? null;
  }

  /** When a story run last passed a gate (its latest passed attempt's end), or null. */
  async lastPassedAt(storyRunId: string, gate: GateId): Promise<Date | null> {
    const [row] = await this.run.read((q) =>
      q
        .select({ endedAt: gateRuns.endedAt })
        .from(gateRuns)
        .where(and(eq(gateRuns.storyRunId, storyRunId), eq(gateRuns.gate, gate), eq(gateRuns.status, 'passed')))
        .orderBy(desc(gateRuns.endedAt))
        .limit(1),
    );
    return row?.endedAt ?? null;
  }

  /** Closes the gate runs still `running` of these story runs as failed (interrupted): their process is gone. */
  async failRunning(storyRunIds: readonly string[]): Promise<void> {
    if (storyRunIds.length === 0) return;
    await this.run.write((q) =>
      q
        .update(gateRuns)
        .set({
          status: 'failed',
          endedAt: sql`now()`,
          detail: sql`coalesce(${gateRuns.detail}, '{}'::jsonb) || '{"interrupted":true}'::jsonb`,
        })
        .where(and(inArray(gateRuns.storyRunId, [...storyRunIds]), eq(gateRuns.status, 'running'))),
    );
  }

  /** Every finished gate run's duration in a session, oldest first. */
  durationsOf(sessionId: string): Promise<Array<{ gate: string; durationMs: number | null }>> {
    return this.run.read((q) =>
      q
        .select({ gate: gateRuns.gate, durationMs: gateRuns.durationMs })
        .from(gateRuns)
        .where(and(eq(gateRuns.sessionId, sessionId), isNotNull(gateRuns.durationMs)))
        .orderBy(asc(gateRuns.id)),
    );
  }
}
