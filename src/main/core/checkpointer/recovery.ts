import os from 'node:os';
import type {
  GateId,
  NewAuditEntry,
  Session,
  SessionStatus,
  Store,
  StoryRun,
  StoryRunStatus,
  WaveQueryable,
} from '../../store';
import { repositories, type CheckpointWithStory, type Repos, type StoreRepos } from '../../store/repos';
import { RECOVERY_STRATEGIES } from '../../../shared/events';
import {
  ACTIVE_SESSION_STATUSES,
  FAILED_STORY_STATUSES,
  isFinalStory,
  UNFINISHED_STORY_STATUSES,
} from '../../../shared/status';
import { checkRow, COMPLETED_GATE_STATUSES, type LoadedCheckpoint } from './checkpointer';
import { describeProblem, RecoveryError, type CheckpointProblem } from './errors';
import { nextGate as nextGateOf, parseGate, pipelineFromConfig, previousGate, runsOnFleet } from './gates';
import { judgeOwner, type LivenessOptions } from './session-lease';

export { RECOVERY_STRATEGIES };
export type RecoveryStrategy = (typeof RECOVERY_STRATEGIES)[number];

/**
 * Active sessions a process has started and should be driving (holding the lease): a session
 * still `created` has no process yet, so there is nothing to recover from.
 */
export const STARTED_SESSION_STATUSES: readonly SessionStatus[] = ACTIVE_SESSION_STATUSES.filter(
  (s) => s !== 'created',
);
// A session-level recovery acts on the unfinished stories (UNFINISHED_STORY_STATUSES), and with
// `includeFailed` on those that ended badly and may be worth another try (FAILED_STORY_STATUSES).
export { FAILED_STORY_STATUSES, UNFINISHED_STORY_STATUSES };

export interface InterruptedStory {
  storyRunId: string;
  storyId: string;
  waveNumber: number;
  /** The gate the story was running (or about to run). */
  gate: GateId | null;
  status: StoryRunStatus;
  lastPassedGate: GateId | null;
}

export interface InterruptedSession {
  sessionId: string;
  projectId: string;
  status: SessionStatus;
  ownerPid: number | null;
  ownerHost: string | null;
  heartbeatAt: Date | null;
  /** Why it counts as interrupted, in words. */
  reason: string;
  /** What the session itself recorded when it paused or stopped (e.g. waiting for merge approvals). */
  stopReason: string | null;
  lastCheckpointAt: Date | null;
  stories: InterruptedStory[];
}

/** A session row and its story runs (those of other sessions are skipped) as a recovery list entry. */
export function toInterruptedSession(
  s: Session,
  runs: readonly StoryRun[],
  reason: string,
  lastCheckpointAt: Date | null,
): InterruptedSession {
  return {
    sessionId: s.id,
    projectId: s.projectId,
    status: s.status,
    ownerPid: s.ownerPid,
    ownerHost: s.ownerHost,
    heartbeatAt: s.heartbeatAt,
    reason,
    stopReason: s.stopReason,
    lastCheckpointAt,
    stories: runs
      .filter((r) => r.sessionId === s.id)
      .map((r) => ({
        storyRunId: r.id,
        storyId: r.storyId,
        waveNumber: r.waveNumber,
        gate: r.currentGate,
        status: r.status,
        lastPassedGate: r.lastPassedGate,
      })),
  };
}

export interface StrategyChoice {
  strategy: RecoveryStrategy;
  /** Required by resume_from_gate: the gate to run again first ("gate-N"). */
  gate?: GateId | string;
}

export interface RecoverSessionOptions extends StrategyChoice {
  /** Per-story overrides, keyed by story id. */
  perStory?: Record<string, StrategyChoice>;
  /** Act only on these stories (by story id); the others are left as they are. */
  onlyStories?: string[];
  /** Also act on failed and escalated stories (default: only queued/running/stopped/blocked). */
  includeFailed?: boolean;
  /** Who asked, for the audit log (default "wave"). */
  actor?: string;
  /**
   * The process that will continue the session right away (the orchestrator): the session
   * becomes `running` owned by it. Without it the session is left `stopped`, ready to be continued.
   */
  claimAs?: { pid: number; host: string };
  /** Recover even if its owner looks alive (the lead says that process is gone). */
  force?: boolean;
}

export type StoryAction = 'resume' | 'restart' | 'skip' | 'complete' | 'unchanged' | 'error';

export interface StoryRecoveryPlan {
  storyRunId: string;
  storyId: string;
  waveNumber: number;
  /** The strategy actually applied (a resume_from_gate falls back to resume_from_last for stories not there yet). */
  strategy: RecoveryStrategy | null;
  action: StoryAction;
  statusBefore: StoryRunStatus;
  statusAfter: StoryRunStatus;
  gateBefore: GateId | null;
  /** The gate the orchestrator runs next; null when there is nothing to run. */
  nextGate: GateId | null;
  /** The state to continue from (null: start the gate fresh). */
  checkpoint: LoadedCheckpoint | null;
  epoch: number;
  note?: string;
  /** Set when action is 'error'. */
  error?: string;
  problem?: CheckpointProblem;
}

export interface SessionRecoveryResult {
  sessionId: string;
  projectId: string;
  strategy: RecoveryStrategy;
  gate: GateId | null;
  sessionStatusBefore: SessionStatus;
  sessionStatusAfter: SessionStatus;
  stories: StoryRecoveryPlan[];
  /** Corrupted checkpoints met on the way; the other stories were recovered regardless. */
  problems: CheckpointProblem[];
}

export interface RecoveryServiceOptions extends LivenessOptions {
  log?: (line: string) => void;
}

/**
 * Finds sessions left behind by a dead process and applies a recovery strategy to their
 * stories, in one transaction per session, with an audit trail.
 */
export class RecoveryService {
  private readonly repos: StoreRepos;

  constructor(
    store: Store,
    private readonly options: RecoveryServiceOptions = {},
  ) {
    this.repos = repositories(store);
  }

  /** Sessions in running/stopping/paused whose owner died (same host) or whose heartbeat lease expired. */
  async findInterrupted(db?: WaveQueryable): Promise<InterruptedSession[]> {
    const q = this.repos.on(db);
    const rows = await q.sessions.withLiveness(STARTED_SESSION_STATUSES);
    const found: Array<{ s: Session; reason: string; lastCheckpointMs: number | null }> = [];
    for (const r of rows) {
      const v = judgeOwner(
        { ownerPid: r.s.ownerPid, ownerHost: r.s.ownerHost, heartbeatAgeMs: r.heartbeatAgeMs },
        this.options,
      );
      if (!v.alive) found.push({ s: r.s, reason: v.reason, lastCheckpointMs: r.lastCheckpointMs });
    }
    if (found.length === 0) return [];
    const ids = found.map((f) => f.s.id);
    const runs = await q.storyRuns.ofSessions(ids);
    return found.map(({ s, reason, lastCheckpointMs }) =>
      toInterruptedSession(s, runs, reason, lastCheckpointMs === null ? null : new Date(Number(lastCheckpointMs))),
    );
  }

  /**
   * Applies a strategy to every unfinished story of a session (per-story overrides allowed)
   * and writes the audit log, all in one transaction. A corrupted checkpoint is reported in
   * `problems` and leaves its story stopped; the other stories are recovered anyway.
   */
  async recoverSession(sessionId: string, opts: RecoverSessionOptions): Promise<SessionRecoveryResult> {
    const actor = opts.actor ?? 'wave';
    const result = await this.repos.transaction((tx) => this.recoverIn(tx, sessionId, opts, actor));
    for (const p of result.problems) this.options.log?.(`recovery: ${describeProblem(p)}`);
    return result;
  }

  private async recoverIn(
    tx: Repos,
    sessionId: string,
    opts: RecoverSessionOptions,
    actor: string,
  ): Promise<SessionRecoveryResult> {
    const row = await tx.sessions.lockWithHeartbeat(sessionId);
    if (!row)
      throw new RecoveryError(
        `Session ${sessionId} does not exist. List the sessions that can be resumed with: wave recover --list`,
        'not_found',
      );
    const session = row.s;
    const pipeline = pipelineFromConfig(session.config);
    if (session.status === 'completed') {
      throw new RecoveryError(
        `Session ${sessionId} completed${session.endedAt ? ` at ${session.endedAt.toISOString()}` : ''}; there is nothing to resume.`,
        'finished',
      );
    }
    // Its workers take over one another's story runs after a lease; running them here as well
    // could land a story twice.
    if (runsOnFleet(session.config))
      throw new RecoveryError(
        `Session ${sessionId} runs on the fleet: its story runs belong to wave worker processes, which take over ` +
          "a lost worker's runs by themselves after its lease. Resuming it in this process could run a story beside " +
          `a worker and land it twice, so it is not recovered here. Continue it on the fleet: wave resume ${sessionId} ` +
          'with DATABASE_URL and REDIS_URL set, or Resume in a window on the same Postgres and Redis.',
        'fleet',
      );
    // A malformed request is answered before anything about the session's state.
    const defaultChoice = normaliseChoice(opts, pipeline);
    const perStory = new Map(Object.entries(opts.perStory ?? {}).map(([k, c]) => [k, normaliseChoice(c, pipeline)]));
    const claimer = opts.claimAs;
    const ownedByClaimer = claimer && session.ownerPid === claimer.pid && session.ownerHost === claimer.host;
    if (STARTED_SESSION_STATUSES.includes(session.status) && !opts.force && !ownedByClaimer) {
      const v = judgeOwner(
        { ownerPid: session.ownerPid, ownerHost: session.ownerHost, heartbeatAgeMs: row.heartbeatAgeMs },
        this.options,
      );
      if (v.alive) {
        throw new RecoveryError(
          `Session ${sessionId} is ${session.status} and owned by live process ${session.ownerPid} on ${session.ownerHost}. ` +
            `Stop it first (wave stop ${sessionId}); if that process is really gone, wait ${Math.round((this.options.leaseMs ?? 15_000) / 1000)} s for its lease to expire.`,
          'busy',
        );
      }
    }

    const runs = await tx.storyRuns.ofSession(sessionId, { forUpdate: true });
    const only = opts.onlyStories ? new Set(opts.onlyStories) : null;
    for (const id of [...perStory.keys(), ...(only ?? [])]) {
      if (!runs.some((r) => r.storyId === id))
        throw new RecoveryError(`Story ${id} is not part of session ${sessionId}.`, 'bad_request');
    }
    const actOn = new Set<StoryRunStatus>([
      ...UNFINISHED_STORY_STATUSES,
      ...(opts.includeFailed ? FAILED_STORY_STATUSES : []),
    ]);

    // Everything the plans need, fetched in two queries whatever the number of stories.
    const touched = runs.filter((r) => (only ? only.has(r.storyId) : actOn.has(r.status) || perStory.has(r.storyId)));
    const latest = await loadLatestPerRun(
      tx,
      touched.map((r) => r.id),
    );
    const gateTargets = new Map<string, GateId>();
    for (const r of touched) {
      const c = perStory.get(r.storyId) ?? defaultChoice;
      if (c.strategy === 'resume_from_gate' && c.gate) {
        const prev = previousGate(c.gate, pipeline);
        if (prev) gateTargets.set(r.id, prev);
      }
    }
    const bases = await loadCompletedAt(tx, gateTargets);

    const plans: StoryRecoveryPlan[] = [];
    const problems: CheckpointProblem[] = [];
    for (const r of runs) {
      const choice = perStory.get(r.storyId) ?? defaultChoice;
      if (!touched.includes(r)) {
        plans.push(unchangedPlan(r));
        continue;
      }
      const plan = planStory(
        r,
        choice,
        pipeline,
        latest.get(r.id) ?? null,
        bases.get(r.id) ?? null,
        gateTargets.get(r.id) ?? null,
      );
      if (plan.problem) problems.push(plan.problem);
      plans.push(plan);
    }

    await applyPlans(tx, plans, runs);

    const hasWork = plans.some((p) => p.nextGate !== null && (p.action === 'resume' || p.action === 'restart'));
    const pending = plans.some((p) => p.action === 'error' || !isFinalStory(p.statusAfter));
    const statusAfter: SessionStatus = claimer ? 'running' : hasWork || pending ? 'stopped' : 'completed';
    const choiceText = `${defaultChoice.strategy}${defaultChoice.gate ? ` ${defaultChoice.gate}` : ''}`;
    await tx.sessions.markRecovered(sessionId, {
      status: statusAfter,
      claimer: claimer ?? null,
      stopReason: claimer
        ? null
        : hasWork || pending
          ? `recovered with ${choiceText}; ready to continue`
          : 'recovered: nothing left to run',
    });

    const audit: NewAuditEntry[] = plans
      .filter((p) => p.action !== 'unchanged')
      .map((p) => ({
        actor,
        action: `story_run.recover.${p.action}`,
        subjectType: 'story_run',
        subjectId: p.storyRunId,
        detail: {
          sessionId,
          storyId: p.storyId,
          strategy: p.strategy,
          statusBefore: p.statusBefore,
          statusAfter: p.statusAfter,
          gateBefore: p.gateBefore,
          nextGate: p.nextGate,
          checkpointId: p.checkpoint?.id ?? null,
          epoch: p.epoch,
          ...(p.note ? { note: p.note } : {}),
          ...(p.error ? { error: p.error } : {}),
        },
      }));
    audit.push({
      actor,
      action: 'session.recover',
      subjectType: 'session',
      subjectId: sessionId,
      detail: {
        strategy: defaultChoice.strategy,
        gate: defaultChoice.gate ?? null,
        perStory: Object.fromEntries(
          [...perStory].map(([k, c]) => [k, c.gate ? `${c.strategy} ${c.gate}` : c.strategy]),
        ),
        statusBefore: session.status,
        statusAfter,
        counts: countActions(plans),
        problems: problems.map((p) => ({
          storyId: p.storyId,
          gate: p.gate,
          checkpointId: p.checkpointId,
          reason: p.reason,
        })),
        claimedBy: claimer ? `${claimer.pid}@${claimer.host}` : null,
        host: os.hostname(),
      },
    });
    await tx.audit.appendMany(audit);

    return {
      sessionId,
      projectId: session.projectId,
      strategy: defaultChoice.strategy,
      gate: defaultChoice.gate ?? null,
      sessionStatusBefore: session.status,
      sessionStatusAfter: statusAfter,
      stories: plans,
      problems,
    };
  }
}

function normaliseChoice(
  c: StrategyChoice,
  pipeline: readonly GateId[],
): { strategy: RecoveryStrategy; gate: GateId | null } {
  if (!RECOVERY_STRATEGIES.includes(c.strategy)) {
    throw new RecoveryError(
      `Unknown recovery strategy "${c.strategy}"; use one of ${RECOVERY_STRATEGIES.join(', ')}.`,
      'bad_request',
    );
  }
  if (c.strategy === 'resume_from_gate') {
    if (!c.gate) throw new RecoveryError('resume_from_gate needs a gate: --gate gate-N.', 'bad_request');
    try {
      return { strategy: c.strategy, gate: parseGate(c.gate, pipeline) };
    } catch (e) {
      throw new RecoveryError((e as Error).message, 'bad_request');
    }
  }
  if (c.gate) throw new RecoveryError(`--gate only goes with resume_from_gate, not with ${c.strategy}.`, 'bad_request');
  return { strategy: c.strategy, gate: null };
}

function unchangedPlan(r: StoryRun): StoryRecoveryPlan {
  return {
    storyRunId: r.id,
    storyId: r.storyId,
    waveNumber: r.waveNumber,
    strategy: null,
    action: 'unchanged',
    statusBefore: r.status,
    statusAfter: r.status,
    gateBefore: r.currentGate,
    nextGate: null,
    checkpoint: null,
    epoch: r.epoch,
    note: `already ${r.status}`,
  };
}

type Loaded = LoadedCheckpoint | CheckpointProblem;

function planStory(
  r: StoryRun,
  choice: { strategy: RecoveryStrategy; gate: GateId | null },
  pipeline: readonly GateId[],
  latest: Loaded | null,
  base: Loaded | null,
  baseGate: GateId | null,
): StoryRecoveryPlan {
  const plan: StoryRecoveryPlan = {
    storyRunId: r.id,
    storyId: r.storyId,
    waveNumber: r.waveNumber,
    strategy: choice.strategy,
    action: 'resume',
    statusBefore: r.status,
    statusAfter: 'queued',
    gateBefore: r.currentGate,
    nextGate: null,
    checkpoint: null,
    epoch: r.epoch,
  };
  const first = pipeline[0]!;
  const fail = (message: string, problem?: CheckpointProblem): StoryRecoveryPlan => ({
    ...plan,
    action: 'error',
    // Nothing drives it any more; `stopped` keeps it in the next recovery.
    statusAfter: r.status === 'running' || r.status === 'queued' ? 'stopped' : r.status,
    nextGate: null,
    error: message,
    ...(problem ? { problem } : {}),
  });

  switch (choice.strategy) {
    case 'skip':
      return { ...plan, action: 'skip', statusAfter: 'cancelled', nextGate: null };
    case 'restart':
      return {
        ...plan,
        action: 'restart',
        nextGate: first,
        epoch: r.epoch + 1,
        note: 'earlier gate runs and checkpoints are kept for the audit trail',
      };
    case 'resume_from_gate': {
      const target = choice.gate!;
      if (target === first) return { ...plan, nextGate: first, note: `rewound to ${first}` };
      const lastIdx = r.lastPassedGate ? pipeline.indexOf(r.lastPassedGate) : -1;
      const targetIdx = pipeline.indexOf(target);
      if (base === null) {
        if (lastIdx < targetIdx - 1) {
          // The story has not reached the gate yet: going on from where it is gets there.
          const p = resumeFromLast(plan, r, pipeline, latest, fail);
          return p.action === 'error'
            ? p
            : {
                ...p,
                strategy: 'resume_from_last',
                note: `has not passed ${baseGate} yet; resumed from its last checkpoint instead`,
              };
        }
        return fail(
          `no checkpoint of ${baseGate} passing is left for story ${r.storyId}, so it cannot resume at ${target}; use resume_from_last or restart.`,
        );
      }
      if ('reason' in base) return fail(describeProblem(base), base);
      return {
        ...plan,
        nextGate: target,
        checkpoint: base,
        note: `rewound to ${target} from the checkpoint of ${base.gate}`,
      };
    }
    case 'resume_from_last':
      return resumeFromLast(plan, r, pipeline, latest, fail);
  }
}

function resumeFromLast(
  plan: StoryRecoveryPlan,
  r: StoryRun,
  pipeline: readonly GateId[],
  latest: Loaded | null,
  fail: (m: string, p?: CheckpointProblem) => StoryRecoveryPlan,
): StoryRecoveryPlan {
  if (latest === null) {
    const gate = r.currentGate && pipeline.includes(r.currentGate) ? r.currentGate : pipeline[0]!;
    return { ...plan, nextGate: gate, note: 'no checkpoint yet: the gate starts fresh' };
  }
  if ('reason' in latest) return fail(describeProblem(latest), latest);
  const next =
    latest.gateStatus === 'failed'
      ? latest.gate
      : pipeline.includes(latest.gate)
        ? nextGateOf(latest.gate, pipeline)
        : null;
  if (next === null) {
    return {
      ...plan,
      action: 'complete',
      statusAfter: 'passed',
      nextGate: null,
      checkpoint: latest,
      note: 'every gate had passed',
    };
  }
  return { ...plan, nextGate: next, checkpoint: latest };
}

/** The newest live checkpoint per story run, verified; problems instead of exceptions. */
async function loadLatestPerRun(tx: Repos, runIds: string[]): Promise<Map<string, Loaded>> {
  return verifiedByRun(await tx.checkpoints.newestLivePerRun(runIds));
}

/** The newest live completed checkpoint of the given gate, per story run. */
async function loadCompletedAt(tx: Repos, gates: Map<string, GateId>): Promise<Map<string, Loaded>> {
  return verifiedByRun(await tx.checkpoints.newestLiveAt(gates, COMPLETED_GATE_STATUSES));
}

function verifiedByRun(rows: CheckpointWithStory[]): Map<string, Loaded> {
  return new Map(rows.map((r) => [r.cp.storyRunId, checkRow(r.cp, r.storyId)]));
}

/** Writes every plan with a fixed number of statements, whatever the number of stories. */
async function applyPlans(tx: Repos, plans: StoryRecoveryPlan[], runs: StoryRun[]): Promise<void> {
  const acted = plans.filter((p) => p.action !== 'unchanged');
  if (acted.length === 0) return;
  const byId = new Map(runs.map((r) => [r.id, r]));

  // Gate runs whose process died stay "running" forever unless closed here.
  await tx.gateRuns.failRunning(acted.map((p) => p.storyRunId));

  const values = acted.map((p) => {
    const r = byId.get(p.storyRunId)!;
    return {
      id: p.storyRunId,
      status: p.statusAfter,
      current_gate: p.action === 'error' || p.action === 'skip' ? r.currentGate : (p.nextGate ?? r.currentGate),
      last_passed_gate: lastPassedAfter(p, r),
      epoch: p.epoch,
      attempts: p.action === 'restart' ? 0 : r.attempts,
      reason:
        p.action === 'error'
          ? p.error!
          : p.action === 'skip'
            ? `skipped during recovery of session ${r.sessionId}`
            : null,
      ended: isFinalStory(p.statusAfter),
    };
  });
  await tx.storyRuns.applyRecovery(values);

  // A rewind hides the checkpoints after its base point, so a later resume_from_last
  // cannot jump forward past the gates that are being re-run.
  const rewinds = acted.filter((p) => p.action === 'resume' && p.strategy === 'resume_from_gate');
  await tx.checkpoints.supersedeAfter(
    rewinds.map((p) => ({ storyRunId: p.storyRunId, afterCheckpointId: p.checkpoint?.id ?? 0 })),
  );
}

function lastPassedAfter(p: StoryRecoveryPlan, r: StoryRun): GateId | null {
  switch (p.action) {
    case 'restart':
      return null;
    case 'resume':
    case 'complete':
      return p.checkpoint
        ? p.checkpoint.state.lastPassedGate
        : p.strategy === 'resume_from_gate'
          ? null
          : r.lastPassedGate;
    default:
      return r.lastPassedGate;
  }
}

function countActions(plans: StoryRecoveryPlan[]): Record<StoryAction, number> {
  const counts: Record<StoryAction, number> = { resume: 0, restart: 0, skip: 0, complete: 0, unchanged: 0, error: 0 };
  for (const p of plans) counts[p.action]++;
  return counts;
}
