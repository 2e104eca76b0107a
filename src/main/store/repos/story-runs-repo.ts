import { and, asc, eq, inArray, notInArray, sql } from 'drizzle-orm';
import { storyRuns, type GateId, type StoryRun, type StoryRunStatus } from '../schema';
import type { QueryRunner } from './runner';

/** One story run's state after a recovery. */
export interface RecoveredStoryRun {
  id: string;
  status: StoryRunStatus;
  current_gate: GateId | null;
  last_passed_gate: GateId | null;
  epoch: number;
  attempts: number;
  reason: string | null;
  /** ended_at = now() when true, null otherwise. */
  ended: boolean;
}

export interface StoryRunTiming {
  cost: string | number | null;
  started: Date | null;
  ended: Date | null;
  status: StoryRunStatus;
}

/** The `story_runs` table: one row per story in a session. */
export class StoryRunsRepo {
  constructor(private readonly run: QueryRunner) {}

  async byId(storyRunId: string): Promise<StoryRun | null> {
    const [row] = await this.run.read((q) => q.select().from(storyRuns).where(eq(storyRuns.id, storyRunId)));
    return row ?? null;
  }

  /** The run of one story in a session; null when the story is not part of it. */
  async ofStory(sessionId: string, storyId: string): Promise<StoryRun | null> {
    const [row] = await this.run.read((q) =>
      q
        .select()
        .from(storyRuns)
        .where(and(eq(storyRuns.sessionId, sessionId), eq(storyRuns.storyId, storyId))),
    );
    return row ?? null;
  }

  /** Marks a session's `running` story runs `stopped` with this reason. */
  async stopRunning(sessionId: string, reason: string): Promise<void> {
    await this.run.write((q) =>
      q
        .update(storyRuns)
        .set({ status: 'stopped', reason, updatedAt: sql`now()` })
        .where(and(eq(storyRuns.sessionId, sessionId), eq(storyRuns.status, 'running'))),
    );
  }

  /**
   * A fleet session continued: its stopped and blocked story runs wait for a worker again, which
   * resumes each from its last checkpoint (as a local resume runs them again: a blocked story
   * finds the lead's decision recorded since, or blocks again).
   */
  async requeueHalted(sessionId: string): Promise<number> {
    const rows = await this.run.write((q) =>
      q
        .update(storyRuns)
        .set({ status: 'queued', reason: null, updatedAt: sql`now()` })
        .where(and(eq(storyRuns.sessionId, sessionId), inArray(storyRuns.status, ['stopped', 'blocked'])))
        .returning({ id: storyRuns.id }),
    );
    return rows.length;
  }

  /** A session's story runs by wave then story; `forUpdate` locks them (inside a transaction). */
  ofSession(sessionId: string, opts: { forUpdate?: boolean } = {}): Promise<StoryRun[]> {
    return this.run.read((q) => {
      const base = q
        .select()
        .from(storyRuns)
        .where(eq(storyRuns.sessionId, sessionId))
        .orderBy(asc(storyRuns.waveNumber), asc(storyRuns.storyId));
      return opts.forUpdate ? base.for('update') : base;
    });
  }

  /** The story runs of these sessions, by wave then story. */
  ofSessions(sessionIds: readonly string[]): Promise<StoryRun[]> {
    if (sessionIds.length === 0) return Promise.resolve([]);
    return this.run.read((q) =>
      q
        .select()
        .from(storyRuns)
        .where(inArray(storyRuns.sessionId, [...sessionIds]))
        .orderBy(asc(storyRuns.waveNumber), asc(storyRuns.storyId)),
    );
  }

  /** The story runs of these sessions whose status is not in `except`, by wave then story. */
  ofSessionsExcept(sessionIds: readonly string[], except: readonly StoryRunStatus[]): Promise<StoryRun[]> {
    if (sessionIds.length === 0) return Promise.resolve([]);
    return this.run.read((q) =>
      q
        .select()
        .from(storyRuns)
        .where(and(inArray(storyRuns.sessionId, [...sessionIds]), notInArray(storyRuns.status, [...except])))
        .orderBy(asc(storyRuns.waveNumber), asc(storyRuns.storyId)),
    );
  }

  /** Writes the state of many story runs after a recovery in one statement, whatever their number. */
  async applyRecovery(values: readonly RecoveredStoryRun[]): Promise<void> {
    if (values.length === 0) return;
    await this.run.write((q) =>
      q.execute(sql`
    update story_runs as sr set
      status = v.status, current_gate = v.current_gate, last_passed_gate = v.last_passed_gate, epoch = v.epoch,
      attempts = v.attempts, reason = v.reason, ended_at = case when v.ended then now() else null end, updated_at = now()
    from jsonb_to_recordset(${JSON.stringify(values)}::jsonb)
      as v(id text, status text, current_gate text, last_passed_gate text, epoch int, attempts int, reason text, ended boolean)
    where sr.id = v.id`),
    );
  }

  /** Cost, start, end and status of every story run (what a forecast is made from). */
  timings(): Promise<StoryRunTiming[]> {
    return this.run.read((q) =>
      q
        .select({
          cost: storyRuns.costUsd,
          started: storyRuns.startedAt,
          ended: storyRuns.endedAt,
          status: storyRuns.status,
        })
        .from(storyRuns),
    );
  }
}
