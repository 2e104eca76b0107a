import { and, asc, eq, inArray, max, sql } from 'drizzle-orm';
import { auditLog, gateRuns, projects, sessions, stories, storyRuns, usage } from '../schema';
import type {
  GateId,
  NewContextPackRow,
  NewStoryRun,
  Project,
  Session,
  SessionStatus,
  Story,
  StoryRun,
  StoryRunStatus,
} from '../schema';
import type { Store, WaveTx } from '../store';
import { ContextPacksRepo } from './context-packs-repo';

/*
 * Every read and write the orchestrator makes, behind small ports, in this one file. Writes go
 * through the store's retrying `transaction` (a dropped connection before COMMIT is retried);
 * reads use the database directly. The orchestrator only sees the interfaces.
 */

export interface AuditEntry {
  actor: string;
  action: string;
  subjectType: string;
  subjectId: string;
  detail: Record<string, unknown>;
}

export interface UsageRow {
  sessionId: string;
  storyRunId: string;
  storyId: string;
  gate: GateId;
  agent: string;
  model: string;
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  costUsd: number;
}

/** What a story pipeline reads and writes about its own story run. */
export interface StoryRunPort {
  /** The highest attempt of each gate of this run (epoch), so attempts keep counting on resume. */
  attemptsByGate(storyRunId: string, epoch: number): Promise<Map<string, number>>;
  /** Leaves the story at `gate` without a gate run (stopped, queued, blocked), with a reason. */
  markIdle(
    storyRunId: string,
    epoch: number,
    status: 'stopped' | 'queued' | 'blocked',
    reason: string,
    gate: string,
  ): Promise<void>;
  /** Ends the story run as failed (epoch: only if it is still this run). */
  markFailed(storyRunId: string, epoch: number | null, reason: string): Promise<void>;
  /** Records where the story's worktree and branch are; returns the row. */
  setWorktree(storyRunId: string, worktreePath: string, branch: string): Promise<StoryRun | null>;
  /** Every story run of the session (dependency checks). */
  storyRunsOf(sessionId: string): Promise<StoryRun[]>;
  /** Token usage of an agent phase, written as soon as the phase ends. */
  addUsage(rows: UsageRow[]): Promise<void>;
  /** The context pack an agent phase was given, with its gate run. */
  addContextPack(row: NewContextPackRow): Promise<void>;
}

/** What a running session reads and writes. */
export interface SessionRunPort extends StoryRunPort {
  session(sessionId: string): Promise<Session | null>;
  /** Money spent by the session so far (its usage rows). */
  spentUsd(sessionId: string): Promise<number>;
  setStatus(
    sessionId: string,
    status: SessionStatus,
    stopReason: string | null,
    opts?: { endedAt?: Date | null },
  ): Promise<void>;
  audit(entry: AuditEntry): Promise<void>;
  /** Sets the status, then writes the audit entry, in one transaction. */
  endSession(sessionId: string, status: SessionStatus, stopReason: string, entry: AuditEntry): Promise<void>;
  /** The story runs of a wave, ordered by story id. */
  storyRunsIn(sessionId: string, storyIds: string[]): Promise<StoryRun[]>;
  /** Stories with a recorded merge are merged (recovery found every gate passed). */
  markMergedWhereRecorded(storyRunIds: string[]): Promise<void>;
  /** Running stories of a stopped session become stopped at their checkpoint. */
  stopRunningStories(sessionId: string, reason: string): Promise<void>;
  stories(projectId: string, storyIds: string[]): Promise<Story[]>;
}

/** What starting and continuing sessions reads and writes. */
export interface SessionAdminPort {
  session(sessionId: string): Promise<Session | null>;
  project(projectId: string): Promise<Project | null>;
  projectStories(projectId: string): Promise<Story[]>;
  /** The session, its story runs and the audit entry, in one transaction. */
  createSession(
    session: {
      id: string;
      projectId: string;
      prdId: string;
      budgetUsd: number | null;
      config: Record<string, unknown>;
    },
    runs: NewStoryRun[],
    entry: AuditEntry,
  ): Promise<Session>;
  updateConfig(sessionId: string, config: Record<string, unknown>, budgetUsd?: number | null): Promise<Session | null>;
  /** Gives up a claim this process holds on a running session, leaving it stopped. */
  releaseClaim(sessionId: string, reason: string, owner: { pid: number; host: string }): Promise<void>;
}

export type PipelineRepo = SessionRunPort & SessionAdminPort;

export function pipelineRepo(store: Store): PipelineRepo {
  const db = store.db;
  const write = <T>(fn: (tx: WaveTx) => PromiseLike<T>): Promise<T> => store.transaction(async (tx) => await fn(tx));
  return {
    async attemptsByGate(storyRunId, epoch) {
      const rows = await db
        .select({ gate: gateRuns.gate, n: max(gateRuns.attempt) })
        .from(gateRuns)
        .where(and(eq(gateRuns.storyRunId, storyRunId), eq(gateRuns.epoch, epoch)))
        .groupBy(gateRuns.gate);
      return new Map(rows.map((r) => [r.gate as string, Number(r.n ?? 0)]));
    },
    async markIdle(storyRunId, epoch, status, reason, gate) {
      await write((tx) =>
        tx
          .update(storyRuns)
          .set({ status, reason, currentGate: gate as StoryRun['currentGate'], updatedAt: sql`now()` })
          .where(and(eq(storyRuns.id, storyRunId), eq(storyRuns.epoch, epoch))),
      );
    },
    async markFailed(storyRunId, epoch, reason) {
      const where =
        epoch === null ? eq(storyRuns.id, storyRunId) : and(eq(storyRuns.id, storyRunId), eq(storyRuns.epoch, epoch));
      await write((tx) =>
        tx
          .update(storyRuns)
          .set({ status: 'failed' as StoryRunStatus, reason, endedAt: new Date(), updatedAt: sql`now()` })
          .where(where),
      );
    },
    async setWorktree(storyRunId, worktreePath, branch) {
      const [row] = await write((tx) =>
        tx.update(storyRuns).set({ worktreePath, branch }).where(eq(storyRuns.id, storyRunId)).returning(),
      );
      return row ?? null;
    },
    storyRunsOf(sessionId) {
      return db.select().from(storyRuns).where(eq(storyRuns.sessionId, sessionId));
    },
    async addUsage(rows) {
      if (rows.length === 0) return;
      await write((tx) => tx.insert(usage).values(rows));
    },
    addContextPack: (row) => new ContextPacksRepo(store).add(row),
    async session(sessionId) {
      const [row] = await db.select().from(sessions).where(eq(sessions.id, sessionId));
      return row ?? null;
    },
    async spentUsd(sessionId) {
      const [spent] = await db
        .select({ total: sql<string>`coalesce(sum(${usage.costUsd}), 0)` })
        .from(usage)
        .where(eq(usage.sessionId, sessionId));
      return Number(spent?.total ?? 0);
    },
    async setStatus(sessionId, status, stopReason, opts = {}) {
      await write((tx) =>
        tx
          .update(sessions)
          .set({ status, stopReason, ...(opts.endedAt !== undefined ? { endedAt: opts.endedAt } : {}) })
          .where(eq(sessions.id, sessionId)),
      );
    },
    async audit(entry) {
      await write((tx) => tx.insert(auditLog).values(entry));
    },
    async endSession(sessionId, status, stopReason, entry) {
      await write(async (tx) => {
        await tx
          .update(sessions)
          .set({ status, stopReason, endedAt: status === 'paused' ? null : new Date() })
          .where(eq(sessions.id, sessionId));
        await tx.insert(auditLog).values(entry);
      });
    },
    storyRunsIn(sessionId, storyIds) {
      return db
        .select()
        .from(storyRuns)
        .where(and(eq(storyRuns.sessionId, sessionId), inArray(storyRuns.storyId, storyIds)))
        .orderBy(asc(storyRuns.storyId));
    },
    async markMergedWhereRecorded(storyRunIds) {
      if (storyRunIds.length === 0) return;
      await write((tx) =>
        tx
          .update(storyRuns)
          .set({ status: 'merged' })
          .where(and(inArray(storyRuns.id, storyRunIds), sql`${storyRuns.mergeSha} is not null`)),
      );
    },
    async stopRunningStories(sessionId, reason) {
      await write((tx) =>
        tx
          .update(storyRuns)
          .set({ status: 'stopped', reason, updatedAt: sql`now()` })
          .where(and(eq(storyRuns.sessionId, sessionId), eq(storyRuns.status, 'running'))),
      );
    },
    stories(projectId, storyIds) {
      return db
        .select()
        .from(stories)
        .where(and(eq(stories.projectId, projectId), inArray(stories.storyId, storyIds)));
    },
    async project(projectId) {
      const [row] = await db.select().from(projects).where(eq(projects.id, projectId));
      return row ?? null;
    },
    projectStories(projectId) {
      return db.select().from(stories).where(eq(stories.projectId, projectId));
    },
    async createSession(session, runs, entry) {
      return write(async (tx) => {
        const [row] = await tx
          .insert(sessions)
          .values({ ...session, status: 'created' })
          .returning();
        if (runs.length) await tx.insert(storyRuns).values(runs);
        await tx.insert(auditLog).values(entry);
        return row!;
      });
    },
    async updateConfig(sessionId, config, budgetUsd) {
      const [row] = await write((tx) =>
        tx
          .update(sessions)
          .set({ config, ...(budgetUsd !== undefined ? { budgetUsd } : {}) })
          .where(eq(sessions.id, sessionId))
          .returning(),
      );
      return row ?? null;
    },
    async releaseClaim(sessionId, reason, owner) {
      await write((tx) =>
        tx
          .update(sessions)
          .set({ status: 'stopped', stopReason: reason, ownerPid: null, ownerHost: null, heartbeatAt: null })
          .where(
            and(
              eq(sessions.id, sessionId),
              eq(sessions.ownerPid, owner.pid),
              eq(sessions.ownerHost, owner.host),
              eq(sessions.status, 'running'),
            ),
          ),
      );
    },
  };
}
