import {
  CommitOutcomeUnknownError,
  type Checkpoint,
  type GateId,
  type GateRunStatus,
  type Store,
  type StoryRunStatus,
  type WaveQueryable,
} from '../../store';
import {
  repositories,
  type CheckpointWithStory,
  type GateRecordWrite,
  type RecordedGateRow,
  type Repos,
  type StoreRepos,
  type StoryRunSnapshot,
} from '../../store/repos';
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
  /**
   * A check run first in the transaction of every write (a fleet worker's lease: it throws
   * LeaseLostError when the lease is gone, and nothing is written). With a fence, every write
   * is a transaction; without one (a local session), recordGate is usually one statement.
   */
  fence?: (tx: Repos, storyRunId: string) => Promise<void>;
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
  private readonly repos: StoreRepos;

  constructor(
    store: Store,
    private readonly options: CheckpointerOptions = {},
  ) {
    this.repos = repositories(store);
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
    const row = {
      storyRunId: input.storyRunId,
      gate: input.gate,
      attempt: input.attempt,
      startedAt,
      logPath: input.logPath ?? null,
    };
    const fence = this.options.fence;
    const started = fence
      ? await this.repos.transaction(async (tx) => {
          await fence(tx, input.storyRunId);
          return tx.checkpoints.startGate(row);
        })
      : await this.repos.checkpoints.startGate(row);
    if (!started)
      throw new RecoveryError(
        `Story run ${input.storyRunId} does not exist; ${input.gate} was not started.`,
        'not_found',
      );
    const { gateRunId } = started;
    this.snapshots.set(input.storyRunId, {
      ...started.snap,
      openGateRun: { id: gateRunId, attempt: input.attempt, startedAt },
    });
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
      !this.options.fence &&
      snap &&
      (input.gateRunId === undefined || snap.openGateRun?.id === input.gateRunId) &&
      (input.expectedEpoch === undefined || input.expectedEpoch === snap.epoch);
    if (usable) {
      const plan = this.planGate(input, data, snap);
      const recorded = await this.settle(
        () => plan,
        () => this.repos.checkpoints.recordGate(plan.write),
      );
      if (recorded) return recorded;
      this.snapshots.delete(input.storyRunId);
    }
    for (let attempt = 1; ; attempt++) {
      let plan: GatePlan | null = null;
      const recorded = await this.settle(
        () => plan,
        () =>
          this.repos.transaction(async (tx) => {
            await this.options.fence?.(tx, input.storyRunId);
            const snapNow = await this.lockSnapshot(tx, input);
            plan = this.planGate(input, data, snapNow);
            const row = await tx.checkpoints.recordGate(plan.write);
            if (!row)
              throw new Error(
                `Recording ${input.gate} of story ${snapNow.storyId} wrote nothing although its story run was locked; nothing was recorded.`,
              );
            return row;
          }),
      );
      if (recorded) return recorded;
      // The COMMIT was lost with the connection and nothing was written: write it again.
      if (attempt >= 3)
        throw new Error(
          `Recording ${input.gate} of story run ${input.storyRunId} failed three times on a broken connection; nothing was recorded.`,
        );
    }
  }

  /**
   * Runs a planned write; if the connection broke after it was sent, looks (once the store
   * is back) for the checkpoint it would have written, so the answer is never a guess.
   */
  private async settle(
    planOf: () => GatePlan | null,
    write: () => Promise<RecordedGateRow | null>,
  ): Promise<RecordedGate | null> {
    try {
      const row = await write();
      return this.finish(planOf()!, row);
    } catch (e) {
      const plan = planOf();
      if (!(e instanceof CommitOutcomeUnknownError) || !plan) throw e;
      const found = await this.repos.transaction((tx) =>
        tx.checkpoints.findRecorded(plan.snap.id, plan.stateHash, plan.snap.lastCheckpointId),
      );
      // Committed after all: acknowledge it. Not there: it was not written; the caller's
      // fallback writes it now.
      this.options.log?.(
        `checkpointer: the connection broke while recording ${plan.state.gate} of story ${plan.snap.storyId}; ` +
          (found ? 'it had been committed.' : 'it had not been committed and is written again.'),
      );
      return found ? this.finish(plan, found) : null;
    }
  }

  private finish(plan: GatePlan, row: RecordedGateRow | null): RecordedGate | null {
    if (!row) return null;
    const { checkpointId } = row;
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
      gateRunId: row.gateRunId,
      stateHash: plan.stateHash,
      state: JSON.parse(plan.json) as CheckpointState,
      createdAt: row.createdAt,
      pruned: row.pruned,
    };
  }

  /** Locks the story run (serialising with recovery) and reads what the state is built from. */
  private async lockSnapshot(tx: Repos, input: GateResultInput): Promise<StoryRunSnapshot> {
    const gid = input.gateRunId;
    const locked = await tx.checkpoints.lockSnapshot(input.storyRunId, gid);
    if (!locked)
      throw new RecoveryError(`Story run ${input.storyRunId} does not exist; nothing was recorded.`, 'not_found');
    const { snap } = locked;
    if (input.expectedEpoch !== undefined && input.expectedEpoch !== snap.epoch) {
      throw new RecoveryError(
        `Story ${snap.storyId} of session ${snap.sessionId} was restarted (epoch ${snap.epoch}, caller had ${input.expectedEpoch}); the result of ${input.gate} was not recorded.`,
        'stale',
      );
    }
    if (gid !== undefined) {
      if (!locked.gateRun) {
        throw new RecoveryError(
          `Gate run ${gid} does not belong to story ${snap.storyId} of session ${snap.sessionId}; nothing was recorded.`,
          'not_found',
        );
      }
      snap.openGateRun = { id: gid, attempt: locked.gateRun.attempt, startedAt: new Date(locked.gateRun.startedMs) };
    }
    return snap;
  }

  /** Builds the state and the single write that records it, guarded by the snapshot. */
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
      input.startedAt ??
      open?.startedAt ??
      (input.durationMs !== undefined ? new Date(endedAt.getTime() - input.durationMs) : endedAt);
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

    const terminal = isFinalStory(status);
    const write: GateRecordWrite = {
      snap,
      gate: input.gate,
      gateStatus: input.status,
      completed,
      runStatus: status,
      currentGate: next ?? input.gate,
      lastPassedGate,
      attempt,
      totalCostUsd: totalCost,
      branch,
      worktreePath,
      baseSha,
      mergeSha: patch.mergeSha,
      reason: patch.reason,
      terminal,
      startedAt,
      endedAt,
      durationMs,
      inputTokens: input.inputTokens ?? 0,
      outputTokens: input.outputTokens ?? 0,
      costUsd: cost,
      logPath: input.logPath,
      detail: input.detail ?? null,
      openGateRunId: open ? open.id : null,
      stateJson: json,
      stateHash,
      retain: this.retain,
    };
    return { snap, state, json, stateHash, write, terminal };
  }

  /** The newest live checkpoint of the story run (any gate status); null if none. Throws CorruptCheckpointError. */
  async loadLatest(storyRunId: string, db?: WaveQueryable): Promise<LoadedCheckpoint | null> {
    return verified(await this.repos.on(db).checkpoints.latestLive(storyRunId));
  }

  /**
   * The newest completed (passed or skipped) live checkpoint of `gate`: the state to resume
   * from when re-running the gate after it. Null if none. Throws CorruptCheckpointError.
   */
  async loadByGate(storyRunId: string, gate: GateId, db?: WaveQueryable): Promise<LoadedCheckpoint | null> {
    return verified(
      await this.repos.on(db).checkpoints.latestLive(storyRunId, { gate, statuses: COMPLETED_GATE_STATUSES }),
    );
  }

  /** Every story run of the session with the points it can be resumed from (metadata only). */
  async listRecoveryPoints(sessionId: string, db?: WaveQueryable): Promise<StoryRecoveryPoints[]> {
    const q = this.repos.on(db);
    const runs = await q.storyRuns.ofSession(sessionId);
    if (runs.length === 0) return [];
    const cps = await q.checkpoints.liveMetaOfSession(sessionId);
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

interface GatePlan {
  snap: StoryRunSnapshot;
  state: CheckpointState;
  json: string;
  stateHash: string;
  write: GateRecordWrite;
  /** The story run ends with this gate: nothing more to cache. */
  terminal: boolean;
}

function verified(row: CheckpointWithStory | null): LoadedCheckpoint | null {
  return row ? verifyRow(row.cp, row.storyId) : null;
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
    return {
      ...where,
      reason: `state belongs to ${s.sessionId}/${s.storyRunId}/${s.gate} (epoch ${s.epoch}), not to this row`,
    };
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
