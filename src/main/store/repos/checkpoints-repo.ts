import { and, desc, eq, inArray, isNull, max, sql, type SQL, type SQLWrapper } from 'drizzle-orm';
import {
  checkpoints,
  storyRuns,
  type Checkpoint,
  type GateId,
  type GateRunStatus,
  type StoryRunStatus,
} from '../schema';
import { rowsOf, type QueryRunner } from './runner';

/** What a checkpoint's state is built from, as last seen in the story run row. */
export interface StoryRunSnapshot {
  id: string;
  sessionId: string;
  storyId: string;
  epoch: number;
  lastPassedGate: GateId | null;
  branch: string | null;
  worktreePath: string | null;
  baseSha: string | null;
  costUsd: number;
  /** Newest checkpoint id of the story run (to look for an unacknowledged write). */
  lastCheckpointId: number;
  openGateRun: { id: number; attempt: number; startedAt: Date } | null;
}

/** Everything one gate result writes: the story run's progress, the gate run, the checkpoint, retention. */
export interface GateRecordWrite {
  /** The statement applies only while the story run still holds exactly this. */
  snap: StoryRunSnapshot;
  gate: GateId;
  gateStatus: 'passed' | 'failed' | 'skipped';
  /** The gate passed or was skipped (the checkpoint is a recovery point). */
  completed: boolean;
  runStatus: StoryRunStatus;
  currentGate: GateId;
  lastPassedGate: GateId | null;
  attempt: number;
  totalCostUsd: number;
  branch: string | null;
  worktreePath: string | null;
  baseSha: string | null;
  /** undefined = leave the column as it is. */
  mergeSha: string | null | undefined;
  reason: string | null | undefined;
  /** The story run ends with this gate (ended_at is set). */
  terminal: boolean;
  startedAt: Date;
  endedAt: Date;
  durationMs: number;
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
  /** undefined = keep the gate run's log path. */
  logPath: string | null | undefined;
  detail: Record<string, unknown> | null;
  /** The gate run opened by startGate, updated; null = a finished gate run row is inserted. */
  openGateRunId: number | null;
  stateJson: string;
  stateHash: string;
  /** Checkpoints kept per story run besides recovery points. */
  retain: number;
}

export interface RecordedGateRow {
  gateRunId: number;
  checkpointId: number;
  createdAt: Date;
  pruned: number;
}

export interface CheckpointWithStory {
  cp: Checkpoint;
  storyId: string;
}

export interface CheckpointMeta {
  id: number;
  storyRunId: string;
  gate: GateId;
  gateStatus: GateRunStatus;
  createdAt: Date;
}

/**
 * The `checkpoints` table and the gate-result write that goes with it ("acknowledged =
 * committed"). Live = in the story run's current epoch and not rewound past.
 */
export class CheckpointsRepo {
  constructor(private readonly run: QueryRunner) {}

  /**
   * Opens a gate run (status running) and marks the story run as running that gate, in one
   * statement. Null when the story run does not exist.
   */
  async startGate(input: {
    storyRunId: string;
    gate: GateId;
    attempt: number;
    startedAt: Date;
    logPath: string | null;
  }): Promise<{ gateRunId: number; snap: StoryRunSnapshot } | null> {
    const rows = await this.run.write(async (q) =>
      rowsOf<SnapshotRow & { gate_run_id: unknown }>(
        await q.execute(sql`
      with sr as (
        update story_runs set status = 'running', current_gate = ${input.gate}::text, attempts = ${input.attempt}::int,
          started_at = coalesce(started_at, ${input.startedAt.toISOString()}::timestamptz), ended_at = null, updated_at = now()
        where id = ${input.storyRunId}::text
        returning ${SNAPSHOT_COLUMNS}
      ),
      gr as (
        insert into gate_runs (story_run_id, session_id, gate, attempt, status, epoch, started_at, log_path)
        select sr.id, sr.session_id, ${input.gate}::text, ${input.attempt}::int, 'running', sr.epoch, ${input.startedAt.toISOString()}::timestamptz, ${input.logPath}::text
        from sr
        returning id
      )
      select gr.id as gate_run_id, sr.* from gr, sr`),
      ),
    );
    const row = rows[0];
    return row ? { gateRunId: Number(row.gate_run_id), snap: snapshotOf(row) } : null;
  }

  /**
   * Locks the story run (inside a transaction: serialises with recovery) and reads its
   * snapshot, with the attempt and start of `gateRunId` when it belongs to the story run.
   */
  async lockSnapshot(
    storyRunId: string,
    gateRunId: number | undefined,
  ): Promise<{ snap: StoryRunSnapshot; gateRun: { attempt: number; startedMs: number } | null } | null> {
    const gid = gateRunId;
    const rows = await this.run.read(async (q) =>
      rowsOf<SnapshotRow & { gr_attempt: unknown; gr_started_ms: unknown }>(
        await q.execute(sql`
        select ${SNAPSHOT_COLUMNS},
          ${gid !== undefined ? sql`(select g.attempt from gate_runs g where g.id = ${gid}::bigint and g.story_run_id = story_runs.id)` : sql`null`} as gr_attempt,
          ${gid !== undefined ? sql`(select (extract(epoch from g.started_at) * 1000)::float8 from gate_runs g where g.id = ${gid}::bigint and g.story_run_id = story_runs.id)` : sql`null`} as gr_started_ms
        from story_runs where id = ${storyRunId}::text
        for update`),
      ),
    );
    const row = rows[0];
    if (!row) return null;
    const gateRun =
      row.gr_attempt === null || row.gr_attempt === undefined
        ? null
        : { attempt: Number(row.gr_attempt), startedMs: Number(row.gr_started_ms) };
    return { snap: snapshotOf(row), gateRun };
  }

  /**
   * Records a finished gate in ONE statement: story run progress, gate run, checkpoint and
   * retention. Null when the story run no longer holds the snapshot (nothing was written).
   */
  async recordGate(w: GateRecordWrite): Promise<RecordedGateRow | null> {
    const rows = await this.run.write(async (q) => rowsOf<RecordRow>(await q.execute(recordStatement(w))));
    return rows[0] ? toRecorded(rows[0]) : null;
  }

  /** The checkpoint a write whose COMMIT was lost would have made, if it was committed after all. */
  async findRecorded(
    storyRunId: string,
    stateHash: string,
    afterCheckpointId: number,
  ): Promise<RecordedGateRow | null> {
    const rows = await this.run.read(async (q) =>
      rowsOf<RecordRow>(
        await q.execute(sql`
            select c.gate_run_id, c.id as checkpoint_id, c.created_at, 0 as pruned from checkpoints c
            where c.story_run_id = ${storyRunId}::text and c.state_hash = ${stateHash}::text and c.id > ${afterCheckpointId}::bigint
            order by c.id desc limit 1`),
      ),
    );
    return rows[0] ? toRecorded(rows[0]) : null;
  }

  /** The newest live checkpoint of the story run, of any gate status (or of `gate` with one of `statuses`). */
  async latestLive(
    storyRunId: string,
    only?: { gate: GateId; statuses: readonly GateRunStatus[] },
  ): Promise<CheckpointWithStory | null> {
    const rows = await this.run.read((q) =>
      selectLive(q)
        .where(
          only
            ? and(
                eq(checkpoints.storyRunId, storyRunId),
                eq(checkpoints.gate, only.gate),
                inArray(checkpoints.gateStatus, [...only.statuses]),
              )
            : eq(checkpoints.storyRunId, storyRunId),
        )
        .orderBy(desc(checkpoints.id))
        .limit(1),
    );
    return rows[0] ?? null;
  }

  /** Metadata of every live checkpoint of a session, newest first. */
  liveMetaOfSession(sessionId: string): Promise<CheckpointMeta[]> {
    return this.run.read((q) =>
      q
        .select({
          id: checkpoints.id,
          storyRunId: checkpoints.storyRunId,
          gate: checkpoints.gate,
          gateStatus: checkpoints.gateStatus,
          createdAt: checkpoints.createdAt,
        })
        .from(checkpoints)
        .innerJoin(storyRuns, and(eq(storyRuns.id, checkpoints.storyRunId), eq(storyRuns.epoch, checkpoints.epoch)))
        .where(and(eq(storyRuns.sessionId, sessionId), isNull(checkpoints.supersededAt)))
        .orderBy(desc(checkpoints.id)),
    );
  }

  /** The newest live checkpoint of each story run. */
  async newestLivePerRun(runIds: readonly string[]): Promise<CheckpointWithStory[]> {
    if (runIds.length === 0) return [];
    // Pick the ids on the (story_run_id, id) index first, then read only those states: a
    // DISTINCT ON over the rows would drag every retained state through the sort.
    return this.run.read((q) =>
      withIds(
        q,
        q
          .select({ id: max(checkpoints.id) })
          .from(checkpoints)
          .innerJoin(storyRuns, and(eq(storyRuns.id, checkpoints.storyRunId), eq(storyRuns.epoch, checkpoints.epoch)))
          .where(and(inArray(checkpoints.storyRunId, [...runIds]), isNull(checkpoints.supersededAt)))
          .groupBy(checkpoints.storyRunId),
      ),
    );
  }

  /** The newest live checkpoint of the given gate with one of `statuses`, per story run. */
  async newestLiveAt(
    gates: ReadonlyMap<string, GateId>,
    statuses: readonly GateRunStatus[],
  ): Promise<CheckpointWithStory[]> {
    if (gates.size === 0) return [];
    const pairs = [...gates].map(([run, gate]) => sql`(${run}::text, ${gate}::text)`);
    return this.run.read((q) =>
      withIds(
        q,
        q
          .select({ id: max(checkpoints.id) })
          .from(checkpoints)
          .innerJoin(storyRuns, and(eq(storyRuns.id, checkpoints.storyRunId), eq(storyRuns.epoch, checkpoints.epoch)))
          .where(
            and(
              sql`(${checkpoints.storyRunId}, ${checkpoints.gate}) in (${sql.join(pairs, sql`, `)})`,
              inArray(checkpoints.gateStatus, [...statuses]),
              isNull(checkpoints.supersededAt),
            ),
          )
          .groupBy(checkpoints.storyRunId, checkpoints.gate),
      ),
    );
  }

  /** Hides the checkpoints after each given one (a rewind), so a later resume cannot jump past the gates re-run. */
  async supersedeAfter(points: ReadonlyArray<{ storyRunId: string; afterCheckpointId: number }>): Promise<void> {
    if (points.length === 0) return;
    const rv = points.map((p) => ({ story_run_id: p.storyRunId, after_id: p.afterCheckpointId }));
    await this.run.write((q) =>
      q.execute(sql`
      update checkpoints as c set superseded_at = now()
      from jsonb_to_recordset(${JSON.stringify(rv)}::jsonb) as v(story_run_id text, after_id bigint)
      where c.story_run_id = v.story_run_id and c.id > v.after_id and c.superseded_at is null`),
    );
  }
}

interface SnapshotRow {
  id: string;
  session_id: string;
  story_id: string;
  epoch: unknown;
  last_passed_gate: string | null;
  branch: string | null;
  worktree_path: string | null;
  base_sha: string | null;
  cost_usd: unknown;
  last_checkpoint_id: unknown;
}

const SNAPSHOT_COLUMNS = sql.raw(
  'id, session_id, story_id, epoch, last_passed_gate, branch, worktree_path, base_sha, cost_usd, ' +
    '(select coalesce(max(c.id), 0) from checkpoints c where c.story_run_id = story_runs.id) as last_checkpoint_id',
);

function snapshotOf(row: SnapshotRow): StoryRunSnapshot {
  return {
    id: row.id,
    sessionId: row.session_id,
    storyId: row.story_id,
    epoch: Number(row.epoch),
    lastPassedGate: row.last_passed_gate as GateId | null,
    branch: row.branch,
    worktreePath: row.worktree_path,
    baseSha: row.base_sha,
    costUsd: Number(row.cost_usd),
    lastCheckpointId: Number(row.last_checkpoint_id ?? 0),
    openGateRun: null,
  };
}

interface RecordRow {
  gate_run_id: unknown;
  checkpoint_id: unknown;
  created_at: unknown;
  pruned: unknown;
}

function toRecorded(row: RecordRow): RecordedGateRow {
  return {
    gateRunId: Number(row.gate_run_id),
    checkpointId: Number(row.checkpoint_id),
    createdAt: row.created_at instanceof Date ? row.created_at : new Date(String(row.created_at)),
    pruned: Number(row.pruned),
  };
}

/** Live = in the story run's current epoch and not rewound past. */
function selectLive(q: Parameters<Parameters<QueryRunner['read']>[0]>[0]) {
  return q
    .select({ cp: checkpoints, storyId: storyRuns.storyId })
    .from(checkpoints)
    .innerJoin(
      storyRuns,
      and(
        eq(storyRuns.id, checkpoints.storyRunId),
        eq(storyRuns.epoch, checkpoints.epoch),
        isNull(checkpoints.supersededAt),
      ),
    )
    .$dynamic();
}

function withIds(
  q: Parameters<Parameters<QueryRunner['read']>[0]>[0],
  ids: SQLWrapper,
): Promise<CheckpointWithStory[]> {
  return q
    .select({ cp: checkpoints, storyId: storyRuns.storyId })
    .from(checkpoints)
    .innerJoin(storyRuns, eq(storyRuns.id, checkpoints.storyRunId))
    .where(inArray(checkpoints.id, ids as never));
}

/** The single statement that records a gate, guarded by the snapshot it was planned from. */
function recordStatement(w: GateRecordWrite): SQL {
  const { snap } = w;
  const ended = w.endedAt.toISOString();
  const detail = w.detail === null ? null : JSON.stringify(w.detail);
  const optional = (column: string, value: string | null | undefined) =>
    value !== undefined ? sql`, ${sql.raw(column)} = ${value}::text` : sql``;
  // The statement applies only while the story run still holds what the state was built from.
  const guard = sql`id = ${snap.id}::text and epoch = ${snap.epoch}::int and cost_usd = ${snap.costUsd}::numeric
      and last_passed_gate is not distinct from ${snap.lastPassedGate}::text and branch is not distinct from ${snap.branch}::text
      and worktree_path is not distinct from ${snap.worktreePath}::text and base_sha is not distinct from ${snap.baseSha}::text`;
  const gateRunWrite =
    w.openGateRunId !== null
      ? sql`update gate_runs set
            status = ${w.gateStatus}::text, ended_at = ${ended}::timestamptz, duration_ms = ${w.durationMs}::int,
            input_tokens = ${w.inputTokens}::int, output_tokens = ${w.outputTokens}::int, cost_usd = ${w.costUsd}::numeric,
            log_path = ${w.logPath !== undefined ? sql`${w.logPath}::text` : sql`log_path`}, detail = ${detail}::jsonb, attempt = ${w.attempt}::int
          where id = ${w.openGateRunId}::bigint and story_run_id = ${snap.id}::text and exists (select 1 from progress)
          returning id`
      : sql`insert into gate_runs
            (story_run_id, session_id, gate, attempt, status, epoch, started_at, ended_at, duration_ms, input_tokens, output_tokens, cost_usd, log_path, detail)
          select ${snap.id}::text, ${snap.sessionId}::text, ${w.gate}::text, ${w.attempt}::int, ${w.gateStatus}::text, ${snap.epoch}::int,
            ${w.startedAt.toISOString()}::timestamptz, ${ended}::timestamptz, ${w.durationMs}::int,
            ${w.inputTokens}::int, ${w.outputTokens}::int, ${w.costUsd}::numeric, ${w.logPath ?? null}::text, ${detail}::jsonb
          from progress
          returning id`;

  // Retention sees the rows as they were before this statement: it keeps the newest
  // retain-1 older checkpoints (the new one makes retain) and, for the current epoch, the
  // newest completed checkpoint of every gate but the one this checkpoint supersedes.
  return sql`
      with progress as (
        update story_runs set
          status = ${w.runStatus}::text, current_gate = ${w.currentGate}::text, last_passed_gate = ${w.lastPassedGate}::text,
          attempts = ${w.attempt}::int, cost_usd = ${w.totalCostUsd}::numeric, branch = ${w.branch}::text,
          worktree_path = ${w.worktreePath}::text, base_sha = ${w.baseSha}::text
          ${optional('merge_sha', w.mergeSha)} ${optional('reason', w.reason)},
          ended_at = ${w.terminal ? sql`${ended}::timestamptz` : sql`null`}, updated_at = now(),
          started_at = coalesce(started_at, ${w.startedAt.toISOString()}::timestamptz)
        where ${guard}
        returning id
      ),
      gr as (${gateRunWrite}),
      cp as (
        insert into checkpoints (session_id, story_run_id, gate, gate_run_id, gate_status, epoch, state, state_hash)
        select ${snap.sessionId}::text, ${snap.id}::text, ${w.gate}::text, gr.id, ${w.gateStatus}::text, ${snap.epoch}::int, ${w.stateJson}::jsonb, ${w.stateHash}::text
        from gr
        returning id, created_at
      ),
      pruned as (
        delete from checkpoints c
        where c.story_run_id = ${snap.id}::text and exists (select 1 from cp)
          and c.id not in (select id from checkpoints where story_run_id = ${snap.id}::text order by id desc limit ${w.retain - 1}::int)
          and c.id not in (
            select max(id) from checkpoints
            where story_run_id = ${snap.id}::text and epoch = ${snap.epoch}::int and superseded_at is null
              and gate_status in ('passed', 'skipped') ${w.completed ? sql`and gate <> ${w.gate}::text` : sql``}
            group by gate)
        returning c.id
      )
      select (select id from gr) as gate_run_id, cp.id as checkpoint_id, cp.created_at, (select count(*) from pruned) as pruned
      from cp`;
}
