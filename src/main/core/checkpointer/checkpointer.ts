import { and, asc, desc, eq, inArray, isNull, sql, type SQL } from 'drizzle-orm';
import {
  checkpoints,
  storyRuns,
  type Checkpoint,
  type GateId,
  type GateRunStatus,
  type StoryRunStatus,
} from '../../store/schema';
import { CommitOutcomeUnknownError } from '../../store/errors';
import type { Store, WaveQueryable, WaveTx } from '../../store/store';
import { canonicalJson, sha256Hex, verifyState, type CheckpointState } from './checkpoint-state';
import { CorruptCheckpointError, RecoveryError, type CheckpointProblem } from './errors';
import { DEFAULT_PIPELINE, gateIndex, nextGate as nextGateOf } from './gates';
import { COMPLETED_GATE_STATUSES, isFinalStory } from '../../../shared/status';

export const DEFAULT_RETAIN = 5;

// Gate statuses after which the story may move on (passed, skipped): their checkpoints are recovery points.
export { COMPLETED_GATE_STATUSES };

export interface CheckpointerOptions {
  /** Checkpoints kept per story run (default 5, at least 1); recovery points are kept on top. */
  retain?: number;
  /** Gate order; default gate-0 … gate-7. */
  pipeline?: readonly GateId[];
  log?: (line: string) => void;
}

export interface StartGateInput {
  storyRunId: string;
  gate: GateId;
  attempt: number;
  startedAt?: Date;
  logPath?: string | null;
}

export interface GateResultInput {
  storyRunId: string;
  gate: GateId;
  status: 'passed' | 'failed' | 'skipped';
  /** The gate run opened by startGate(); without it a finished gate run row is inserted. */
  gateRunId?: number;
  attempt?: number;
  startedAt?: Date;
  endedAt?: Date;
  durationMs?: number;
  inputTokens?: number;
  outputTokens?: number;
  /** Cost of this gate run; added to the story run's total. */
  costUsd?: number;
  logPath?: string | null;
  detail?: Record<string, unknown> | null;
  /** The orchestrator's part of the checkpoint state (any JSON object). */
  data?: Record<string, unknown>;
  headSha?: string | null;
  /** Story run fields to change in the same transaction. */
  storyRun?: {
    status?: StoryRunStatus;
    reason?: string | null;
    branch?: string | null;
    worktreePath?: string | null;
    baseSha?: string | null;
    mergeSha?: string | null;
  };
  /** Refuse the write if the story run was restarted since the caller read it. */
  expectedEpoch?: number;
}

export interface RecordedGate {
  checkpointId: number;
  gateRunId: number;
  stateHash: string;
  state: CheckpointState;
  createdAt: Date;
  /** Checkpoints removed by retention in the same transaction. */
  pruned: number;
}

export interface LoadedCheckpoint {
  id: number;
  sessionId: string;
  storyRunId: string;
  storyId: string;
  gate: GateId;
  gateStatus: GateRunStatus;
  gateRunId: number | null;
  epoch: number;
  createdAt: Date;
  stateHash: string;
  state: CheckpointState;
}

export interface RecoveryPoint {
  checkpointId: number;
  gate: GateId;
  gateStatus: GateRunStatus;
  createdAt: Date;
  /** The gate that runs next when resuming from this point; null when the pipeline is done. */
  resumesAt: GateId | null;
}

export interface StoryRecoveryPoints {
  storyRunId: string;
  storyId: string;
  waveNumber: number;
  status: StoryRunStatus;
  currentGate: GateId | null;
  lastPassedGate: GateId | null;
  epoch: number;
  /** What resume_from_last would use; null when the story has no checkpoint yet. */
  latest: RecoveryPoint | null;
  /** The latest completed checkpoint of each gate, in pipeline order. */
  gates: RecoveryPoint[];
  /** Gates a resume_from_gate can target for this story (gate-0 always; gate-N needs gate-(N-1)). */
  resumableGates: GateId[];
}

/**
 * Writes gate results and checkpoints ("acknowledged = committed": every method resolves
 * only after COMMIT) and reads them back, verified.
 */
export class Checkpointer {
  readonly retain: number;
  readonly pipeline: readonly GateId[];
  /** Per story run, what this Checkpointer last wrote: lets recordGate skip reading it back. */
  private readonly snapshots = new Map<string, StoryRunSnapshot>();

  constructor(
    private readonly store: Store,
    private readonly options: CheckpointerOptions = {},
  ) {
    this.retain = Math.max(1, Math.floor(options.retain ?? DEFAULT_RETAIN));
    this.pipeline = options.pipeline ?? DEFAULT_PIPELINE;
  }

  /**
   * Opens a gate run (status running) and marks the story run as running that gate: one
   * statement, committed when this resolves.
   */
  async startGate(input: StartGateInput): Promise<{ gateRunId: number }> {
    gateIndex(input.gate, this.pipeline);
    const startedAt = input.startedAt ?? new Date();
    const rows = await this.store.execute<SnapshotRow & { gate_run_id: unknown }>(sql`
      with sr as (
        update story_runs set status = 'running', current_gate = ${input.gate}::text, attempts = ${input.attempt}::int,
          started_at = coalesce(started_at, ${startedAt.toISOString()}::timestamptz), ended_at = null, updated_at = now()
        where id = ${input.storyRunId}::text
        returning ${SNAPSHOT_COLUMNS}
      ),
      gr as (
        insert into gate_runs (story_run_id, session_id, gate, attempt, status, epoch, started_at, log_path)
        select sr.id, sr.session_id, ${input.gate}::text, ${input.attempt}::int, 'running', sr.epoch, ${startedAt.toISOString()}::timestamptz, ${input.logPath ?? null}::text
        from sr
        returning id
      )
      select gr.id as gate_run_id, sr.* from gr, sr`);
    const row = rows[0];
    if (!row) throw new RecoveryError(`Story run ${input.storyRunId} does not exist; ${input.gate} was not started.`, 'not_found');
    const gateRunId = Number(row.gate_run_id);
    this.snapshots.set(input.storyRunId, { ...snapshotOf(row), openGateRun: { id: gateRunId, attempt: input.attempt, startedAt } });
    return { gateRunId };
  }

  /**
   * Records a finished gate: the gate run row, the story run's progress, the checkpoint and
   * retention, atomically; resolves after COMMIT.
   *
   * Usually that is ONE statement: the state is built from what this Checkpointer last
   * wrote for the story run, and the statement only applies if the row still holds exactly
   * those values. If anyone else changed it (recovery, another process), it falls back to a
   * transaction that locks the story run and reads it first.
   */
  async recordGate(input: GateResultInput): Promise<RecordedGate> {
    gateIndex(input.gate, this.pipeline);
    const data = input.data ?? {};
    const snap = this.snapshots.get(input.storyRunId);
    const usable =
      snap &&
      (input.gateRunId === undefined || snap.openGateRun?.id === input.gateRunId) &&
      (input.expectedEpoch === undefined || input.expectedEpoch === snap.epoch);
    if (usable) {
      const plan = this.planGate(input, data, snap);
      const recorded = await this.settle(
        () => plan,
        () => this.store.execute<RecordRow>(plan.statement),
      );
      if (recorded) return recorded;
      this.snapshots.delete(input.storyRunId);
    }
    for (let attempt = 1; ; attempt++) {
      let plan: GatePlan | null = null;
      const recorded = await this.settle(
        () => plan,
        () =>
          this.store.transaction(async (tx) => {
            const snapNow = await this.lockSnapshot(tx, input);
            plan = this.planGate(input, data, snapNow);
            const rows = rowsOf<RecordRow>(await tx.execute(plan.statement));
            if (!rows[0]) throw new Error(`Recording ${input.gate} of story ${snapNow.storyId} wrote nothing although its story run was locked; nothing was recorded.`);
            return rows;
          }),
      );
      if (recorded) return recorded;
      // The COMMIT was lost with the connection and nothing was written: write it again.
      if (attempt >= 3) throw new Error(`Recording ${input.gate} of story run ${input.storyRunId} failed three times on a broken connection; nothing was recorded.`);
    }
  }

  /**
   * Runs a planned write; if the connection broke after it was sent, looks (once the store
   * is back) for the checkpoint it would have written, so the answer is never a guess.
   */
  private async settle(planOf: () => GatePlan | null, write: () => Promise<RecordRow[]>): Promise<RecordedGate | null> {
    try {
      const rows = await write();
      return this.finish(planOf()!, rows[0]);
    } catch (e) {
      const plan = planOf();
      if (!(e instanceof CommitOutcomeUnknownError) || !plan) throw e;
      const found = await this.store.transaction(async (tx) => {
        const r = rowsOf<RecordRow>(
          await tx.execute(sql`
            select c.gate_run_id, c.id as checkpoint_id, c.created_at, 0 as pruned from checkpoints c
            where c.story_run_id = ${plan.snap.id}::text and c.state_hash = ${plan.stateHash}::text and c.id > ${plan.snap.lastCheckpointId}::bigint
            order by c.id desc limit 1`),
        );
        return r[0];
      });
      // Committed after all: acknowledge it. Not there: it was not written; the caller's
      // fallback writes it now.
      this.options.log?.(
        `checkpointer: the connection broke while recording ${plan.state.gate} of story ${plan.snap.storyId}; ` +
          (found ? 'it had been committed.' : 'it had not been committed and is written again.'),
      );
      return found ? this.finish(plan, found) : null;
    }
  }

  private finish(plan: GatePlan, row: RecordRow | undefined): RecordedGate | null {
    if (!row) return null;
    const checkpointId = Number(row.checkpoint_id);
    const { state } = plan;
    if (plan.terminal) {
      this.snapshots.delete(plan.snap.id);
    } else {
      this.snapshots.set(plan.snap.id, {
        ...plan.snap,
        lastPassedGate: state.lastPassedGate,
        branch: state.branch,
        worktreePath: state.worktreePath,
        baseSha: state.baseSha,
        costUsd: state.costUsd,
        lastCheckpointId: checkpointId,
        openGateRun: null,
      });
    }
    return {
      checkpointId,
      gateRunId: Number(row.gate_run_id),
      stateHash: plan.stateHash,
      state: JSON.parse(plan.json) as CheckpointState,
      createdAt: row.created_at instanceof Date ? row.created_at : new Date(String(row.created_at)),
      pruned: Number(row.pruned),
    };
  }

  /** Locks the story run (serialising with recovery) and reads what the state is built from. */
  private async lockSnapshot(tx: WaveTx, input: GateResultInput): Promise<StoryRunSnapshot> {
    const gid = input.gateRunId;
    const rows = rowsOf<SnapshotRow & { gr_attempt: unknown; gr_started_ms: unknown }>(
      await tx.execute(sql`
        select ${SNAPSHOT_COLUMNS},
          ${gid !== undefined ? sql`(select g.attempt from gate_runs g where g.id = ${gid}::bigint and g.story_run_id = story_runs.id)` : sql`null`} as gr_attempt,
          ${gid !== undefined ? sql`(select (extract(epoch from g.started_at) * 1000)::float8 from gate_runs g where g.id = ${gid}::bigint and g.story_run_id = story_runs.id)` : sql`null`} as gr_started_ms
        from story_runs where id = ${input.storyRunId}::text
        for update`),
    );
    const row = rows[0];
    if (!row) throw new RecoveryError(`Story run ${input.storyRunId} does not exist; nothing was recorded.`, 'not_found');
    const snap = snapshotOf(row);
    if (input.expectedEpoch !== undefined && input.expectedEpoch !== snap.epoch) {
      throw new RecoveryError(
        `Story ${snap.storyId} of session ${snap.sessionId} was restarted (epoch ${snap.epoch}, caller had ${input.expectedEpoch}); the result of ${input.gate} was not recorded.`,
        'stale',
      );
    }
    if (gid !== undefined) {
      if (row.gr_attempt === null || row.gr_attempt === undefined) {
        throw new RecoveryError(`Gate run ${gid} does not belong to story ${snap.storyId} of session ${snap.sessionId}; nothing was recorded.`, 'not_found');
      }
      snap.openGateRun = { id: gid, attempt: Number(row.gr_attempt), startedAt: new Date(Number(row.gr_started_ms)) };
    }
    return snap;
  }

  /** Builds the state and the single statement that records it, guarded by the snapshot. */
  private planGate(input: GateResultInput, data: Record<string, unknown>, snap: StoryRunSnapshot): GatePlan {
    const completed = input.status !== 'failed';
    const endedAt = input.endedAt ?? new Date();
    const cost = input.costUsd ?? 0;
    const open = input.gateRunId !== undefined ? snap.openGateRun : null;
    const attempt = input.attempt ?? open?.attempt ?? 1;
    const next = completed ? nextGateOf(input.gate, this.pipeline) : input.gate;
    const lastPassedGate = completed ? input.gate : snap.lastPassedGate;
    const patch = input.storyRun ?? {};
    const status: StoryRunStatus = patch.status ?? (completed && next === null ? 'passed' : 'running');
    const totalCost = roundMoney(snap.costUsd + cost);
    const branch = patch.branch !== undefined ? patch.branch : snap.branch;
    const worktreePath = patch.worktreePath !== undefined ? patch.worktreePath : snap.worktreePath;
    const baseSha = patch.baseSha !== undefined ? patch.baseSha : snap.baseSha;
    const startedAt =
      input.startedAt ?? open?.startedAt ?? (input.durationMs !== undefined ? new Date(endedAt.getTime() - input.durationMs) : endedAt);
    const durationMs = input.durationMs ?? Math.max(0, Math.round(endedAt.getTime() - startedAt.getTime()));

    const state: CheckpointState = {
      v: 1,
      sessionId: snap.sessionId,
      storyRunId: snap.id,
      storyId: snap.storyId,
      epoch: snap.epoch,
      gate: input.gate,
      gateStatus: input.status,
      attempt,
      lastPassedGate,
      nextGate: next,
      branch,
      worktreePath,
      baseSha,
      headSha: input.headSha ?? null,
      costUsd: totalCost,
      data,
    };
    const json = canonicalJson(state);
    const stateHash = sha256Hex(json);

    const ended = endedAt.toISOString();
    const detail = input.detail === undefined || input.detail === null ? null : JSON.stringify(input.detail);
    const terminal = isFinalStory(status);
    const optional = (column: string, value: string | null | undefined) => (value !== undefined ? sql`, ${sql.raw(column)} = ${value}::text` : sql``);
    // The statement applies only while the story run still holds what the state was built from.
    const guard = sql`id = ${snap.id}::text and epoch = ${snap.epoch}::int and cost_usd = ${snap.costUsd}::numeric
      and last_passed_gate is not distinct from ${snap.lastPassedGate}::text and branch is not distinct from ${snap.branch}::text
      and worktree_path is not distinct from ${snap.worktreePath}::text and base_sha is not distinct from ${snap.baseSha}::text`;
    const gateRunWrite = open
      ? sql`update gate_runs set
            status = ${input.status}::text, ended_at = ${ended}::timestamptz, duration_ms = ${durationMs}::int,
            input_tokens = ${input.inputTokens ?? 0}::int, output_tokens = ${input.outputTokens ?? 0}::int, cost_usd = ${cost}::numeric,
            log_path = ${input.logPath !== undefined ? sql`${input.logPath}::text` : sql`log_path`}, detail = ${detail}::jsonb, attempt = ${attempt}::int
          where id = ${open.id}::bigint and story_run_id = ${snap.id}::text and exists (select 1 from progress)
          returning id`
      : sql`insert into gate_runs
            (story_run_id, session_id, gate, attempt, status, epoch, started_at, ended_at, duration_ms, input_tokens, output_tokens, cost_usd, log_path, detail)
          select ${snap.id}::text, ${snap.sessionId}::text, ${input.gate}::text, ${attempt}::int, ${input.status}::text, ${snap.epoch}::int,
            ${startedAt.toISOString()}::timestamptz, ${ended}::timestamptz, ${durationMs}::int,
            ${input.inputTokens ?? 0}::int, ${input.outputTokens ?? 0}::int, ${cost}::numeric, ${input.logPath ?? null}::text, ${detail}::jsonb
          from progress
          returning id`;

    // Retention sees the rows as they were before this statement: it keeps the newest
    // retain-1 older checkpoints (the new one makes retain) and, for the current epoch, the
    // newest completed checkpoint of every gate but the one this checkpoint supersedes.
    const statement = sql`
      with progress as (
        update story_runs set
          status = ${status}::text, current_gate = ${next ?? input.gate}::text, last_passed_gate = ${lastPassedGate}::text,
          attempts = ${attempt}::int, cost_usd = ${totalCost}::numeric, branch = ${branch}::text,
          worktree_path = ${worktreePath}::text, base_sha = ${baseSha}::text
          ${optional('merge_sha', patch.mergeSha)} ${optional('reason', patch.reason)},
          ended_at = ${terminal ? sql`${ended}::timestamptz` : sql`null`}, updated_at = now(),
          started_at = coalesce(started_at, ${startedAt.toISOString()}::timestamptz)
        where ${guard}
        returning id
      ),
      gr as (${gateRunWrite}),
      cp as (
        insert into checkpoints (session_id, story_run_id, gate, gate_run_id, gate_status, epoch, state, state_hash)
        select ${snap.sessionId}::text, ${snap.id}::text, ${input.gate}::text, gr.id, ${input.status}::text, ${snap.epoch}::int, ${json}::jsonb, ${stateHash}::text
        from gr
        returning id, created_at
      ),
      pruned as (
        delete from checkpoints c
        where c.story_run_id = ${snap.id}::text and exists (select 1 from cp)
          and c.id not in (select id from checkpoints where story_run_id = ${snap.id}::text order by id desc limit ${this.retain - 1}::int)
          and c.id not in (
            select max(id) from checkpoints
            where story_run_id = ${snap.id}::text and epoch = ${snap.epoch}::int and superseded_at is null
              and gate_status in ('passed', 'skipped') ${completed ? sql`and gate <> ${input.gate}::text` : sql``}
            group by gate)
        returning c.id
      )
      select (select id from gr) as gate_run_id, cp.id as checkpoint_id, cp.created_at, (select count(*) from pruned) as pruned
      from cp`;
    return { snap, state, json, stateHash, statement, terminal };
  }

  /** The newest live checkpoint of the story run (any gate status); null if none. Throws CorruptCheckpointError. */
  async loadLatest(storyRunId: string, db: WaveQueryable = this.store.db): Promise<LoadedCheckpoint | null> {
    const rows = await selectLive(db)
      .where(eq(checkpoints.storyRunId, storyRunId))
      .orderBy(desc(checkpoints.id))
      .limit(1);
    return rows[0] ? verifyRow(rows[0].cp, rows[0].storyId) : null;
  }

  /**
   * The newest completed (passed or skipped) live checkpoint of `gate`: the state to resume
   * from when re-running the gate after it. Null if none. Throws CorruptCheckpointError.
   */
  async loadByGate(storyRunId: string, gate: GateId, db: WaveQueryable = this.store.db): Promise<LoadedCheckpoint | null> {
    const rows = await selectLive(db)
      .where(and(eq(checkpoints.storyRunId, storyRunId), eq(checkpoints.gate, gate), inArray(checkpoints.gateStatus, [...COMPLETED_GATE_STATUSES])))
      .orderBy(desc(checkpoints.id))
      .limit(1);
    return rows[0] ? verifyRow(rows[0].cp, rows[0].storyId) : null;
  }

  /** Every story run of the session with the points it can be resumed from (metadata only). */
  async listRecoveryPoints(sessionId: string, db: WaveQueryable = this.store.db): Promise<StoryRecoveryPoints[]> {
    const runs = await db.select().from(storyRuns).where(eq(storyRuns.sessionId, sessionId)).orderBy(asc(storyRuns.waveNumber), asc(storyRuns.storyId));
    if (runs.length === 0) return [];
    const cps = await db
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
      .orderBy(desc(checkpoints.id));
    const byRun = new Map<string, typeof cps>();
    for (const c of cps) {
      let list = byRun.get(c.storyRunId);
      if (!list) byRun.set(c.storyRunId, (list = []));
      list.push(c);
    }
    return runs.map((r) => {
      const list = byRun.get(r.id) ?? [];
      const point = (c: (typeof cps)[number]): RecoveryPoint => ({
        checkpointId: c.id,
        gate: c.gate,
        gateStatus: c.gateStatus,
        createdAt: c.createdAt,
        resumesAt: c.gateStatus === 'failed' ? c.gate : this.safeNext(c.gate),
      });
      const latest = list[0] ? point(list[0]) : null;
      const perGate = new Map<GateId, RecoveryPoint>();
      for (const c of list) {
        if (c.gateStatus !== 'failed' && !perGate.has(c.gate)) perGate.set(c.gate, point(c));
      }
      const gates = this.pipeline.flatMap((g) => (perGate.has(g) ? [perGate.get(g)!] : []));
      const resumableGates = this.pipeline.filter((g, i) => i === 0 || perGate.has(this.pipeline[i - 1]!));
      return {
        storyRunId: r.id,
        storyId: r.storyId,
        waveNumber: r.waveNumber,
        status: r.status,
        currentGate: r.currentGate,
        lastPassedGate: r.lastPassedGate,
        epoch: r.epoch,
        latest,
        gates,
        resumableGates,
      };
    });
  }

  private safeNext(gate: GateId): GateId | null {
    return this.pipeline.includes(gate) ? nextGateOf(gate, this.pipeline) : null;
  }
}

/** What a checkpoint's state is built from, as this Checkpointer last saw it in the story run row. */
interface StoryRunSnapshot {
  id: string;
  sessionId: string;
  storyId: string;
  epoch: number;
  lastPassedGate: GateId | null;
  branch: string | null;
  worktreePath: string | null;
  baseSha: string | null;
  costUsd: number;
  /** Newest checkpoint id this Checkpointer knows of (to look for an unacknowledged write). */
  lastCheckpointId: number;
  openGateRun: { id: number; attempt: number; startedAt: Date } | null;
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

interface GatePlan {
  snap: StoryRunSnapshot;
  state: CheckpointState;
  json: string;
  stateHash: string;
  statement: SQL;
  /** The story run ends with this gate: nothing more to cache. */
  terminal: boolean;
}

function rowsOf<R>(result: unknown): R[] {
  return ((result as { rows?: R[] }).rows ?? []) as R[];
}

/** Live = in the story run's current epoch and not rewound past. */
function selectLive(db: WaveQueryable) {
  return db
    .select({ cp: checkpoints, storyId: storyRuns.storyId })
    .from(checkpoints)
    .innerJoin(storyRuns, and(eq(storyRuns.id, checkpoints.storyRunId), eq(storyRuns.epoch, checkpoints.epoch), isNull(checkpoints.supersededAt)))
    .$dynamic();
}

/** Verifies hash and schema; throws CorruptCheckpointError naming session, story and gate. */
export function verifyRow(cp: Checkpoint, storyId: string): LoadedCheckpoint {
  const problem = checkRow(cp, storyId);
  if ('reason' in problem) throw new CorruptCheckpointError(problem);
  return problem;
}

/** Like verifyRow, but returns the problem instead of throwing. */
export function checkRow(cp: Checkpoint, storyId: string): LoadedCheckpoint | CheckpointProblem {
  const where = { sessionId: cp.sessionId, storyId, storyRunId: cp.storyRunId, gate: cp.gate, checkpointId: cp.id };
  const v = verifyState(cp.state, cp.stateHash);
  if (!v.ok) return { ...where, reason: v.reason };
  const s = v.state;
  if (s.storyRunId !== cp.storyRunId || s.gate !== cp.gate || s.sessionId !== cp.sessionId || s.epoch !== cp.epoch) {
    return { ...where, reason: `state belongs to ${s.sessionId}/${s.storyRunId}/${s.gate} (epoch ${s.epoch}), not to this row` };
  }
  return {
    id: cp.id,
    sessionId: cp.sessionId,
    storyRunId: cp.storyRunId,
    storyId,
    gate: cp.gate,
    gateStatus: cp.gateStatus,
    gateRunId: cp.gateRunId,
    epoch: cp.epoch,
    createdAt: cp.createdAt,
    stateHash: cp.stateHash,
    state: s,
  };
}

function roundMoney(n: number): number {
  return Math.round(n * 1e6) / 1e6;
}
