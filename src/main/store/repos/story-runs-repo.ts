import { and, asc, inArray, notInArray } from 'drizzle-orm';
import { storyRuns, type StoryRun, type StoryRunStatus } from '../schema';
import type { QueryRunner } from './runner';

export interface StoryRunTiming {
  cost: string | number | null;
  started: Date | null;
  ended: Date | null;
  status: StoryRunStatus;
}

/** The `story_runs` table: one row per story in a session. */
export class StoryRunsRepo {
  constructor(private readonly run: QueryRunner) {}

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

  /** Cost, start, end and status of every story run (what a forecast is made from). */
  timings(): Promise<StoryRunTiming[]> {
    return this.run.read((q) => q.select({ cost: storyRuns.costUsd, started: storyRuns.startedAt, ended: storyRuns.endedAt, status: storyRuns.status }).from(storyRuns));
  }
}
