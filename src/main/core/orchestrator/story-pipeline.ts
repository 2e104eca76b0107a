import type { StoryDocument } from '../../../shared/stories';
import { effectiveExecution } from '../../../shared/stories';
import type { GateId, StoryRun } from '../../store';
import { nextGate as nextGateOf, type LoadedCheckpoint } from '../checkpointer';
import { ExecutorError } from '../executor';
import { activityOf, escalationReason, type GateContext, type GatePorts, type GateResult } from './gates';
import { MERGE_APPROVAL_WAIT } from './merge-approval';
import { storyPorts } from './ports';
import { noteInLog, type StoryEnv } from './story-env';
import { StoryEvents } from './story-events';
import {
  advance,
  isFinal,
  startWorkflow,
  storyStatusOf,
  type Input,
  type Step,
  type StoryRunState,
  type WorkflowData,
} from './workflow/story-workflow';

/** Where a story starts: the gate to run and the checkpoint to continue from (null: fresh). */
export interface StoryStart {
  gate: GateId;
  checkpoint: LoadedCheckpoint | null;
  /** True when the story continues an earlier run: its worktree is brought back to the checkpoint. */
  resumed: boolean;
}

function describeError(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function dataFrom(checkpoint: LoadedCheckpoint | null): WorkflowData {
  const d = (checkpoint?.state.data ?? {}) as Partial<WorkflowData>;
  return {
    qaFixes: typeof d.qaFixes === 'number' ? d.qaFixes : 0,
    feedbackFile: typeof d.feedbackFile === 'string' ? d.feedbackFile : null,
    mergeLoops: typeof d.mergeLoops === 'number' ? d.mergeLoops : 0,
    plan: typeof d.plan === 'string' ? d.plan : null,
  };
}

/**
 * Runs one story from a start gate to its end: the workflow (workflow/story-workflow.ts) says
 * what comes next, each gate's activity (gates/) does the work, and a checkpoint is committed
 * after every gate before anything else happens ("acknowledged = committed"). A failure of
 * the store propagates (the session cannot go on without it); every other failure becomes the
 * gate's result.
 */
export class StoryPipeline {
  private run: StoryRun;
  private state: StoryRunState;
  private headSha: string | null;
  /** The commit a person approved for gate-7 (merge.requireApproval), once checked. */
  private approvedHead: string | null = null;
  /** The approval check that left the story waiting: the commit asked about and a stale approval. */
  private approvalAsk: { head: string; stale: { actor: string; headSha: string } | null } | null = null;
  /** The commit a gate in flight may be rolled back to (its start, or a commit it made on purpose). */
  private cleanHead: string | null = null;
  private attempts = new Map<string, number>();
  private readonly ports: GatePorts;
  private readonly events: StoryEvents;
  private readonly timeoutMs: number;
  private readonly maxRetries: number;

  constructor(
    private readonly env: StoryEnv,
    run: StoryRun,
    private readonly story: StoryDocument,
    private readonly start: StoryStart,
  ) {
    this.run = run;
    const execution = effectiveExecution(story, {
      max_retries: env.config.maxRetries,
      timeout_minutes: env.config.timeoutMinutes,
    });
    this.timeoutMs = env.phaseTimeoutMs ?? execution.timeout_minutes * 60_000;
    this.maxRetries = execution.max_retries;
    this.state = startWorkflow(env.checkpointer.pipeline, start.gate, dataFrom(start.checkpoint), {
      maxRetries: this.maxRetries,
      requireMergeApproval: env.config.requireMergeApproval,
    });
    this.headSha = start.checkpoint?.state.headSha ?? null;
    this.ports = storyPorts(
      env,
      story,
      () => this.run,
      () => this.worktreePath,
      this.timeoutMs,
    );
    this.events = new StoryEvents(env, () => this.run);
  }

  private get storyId(): string {
    return this.run.storyId;
  }

  private get worktreePath(): string {
    if (!this.run.worktreePath)
      throw new ExecutorError('worktree_missing', `Story ${this.storyId} has no worktree yet; gate-0 creates it.`);
    return this.run.worktreePath;
  }

  private ready(): Input {
    return { type: 'ready', stopping: this.env.signals.stopping, budgetExhausted: this.env.signals.budgetExhausted };
  }

  /** Runs gates until the story ends, stops or waits (budget, a person). */
  async execute(): Promise<void> {
    this.attempts = await this.env.repo.attemptsByGate(this.run.id, this.run.epoch);
    if (this.start.resumed && this.start.gate !== 'gate-0' && !(await this.restore())) return;
    let [state, step] = advance(this.state, this.ready());
    for (;;) {
      this.state = state;
      switch (step.kind) {
        case 'run':
          [state, step] = await this.runGate(step.gate);
          break;
        case 'check-approval':
          [state, step] = advance(state, { type: 'approval', approved: await this.mergeApproved() });
          break;
        case 'next':
        case 'retry':
        case 'back':
          [state, step] = advance(state, this.ready());
          break;
        case 'park':
          await this.park(step);
          return;
        default:
          return;
      }
    }
  }

  /**
   * A resumed story continues from its last checkpoint: its worktree (re-created on the branch
   * if it is gone) is brought back to the commit recorded there. False when that failed: the
   * story is failed with a reason saying how to go on.
   */
  private async restore(): Promise<boolean> {
    try {
      const created = await this.ports.worktree.create();
      if (this.run.worktreePath !== created.path || this.run.branch !== created.branch) {
        const row = await this.env.repo.setWorktree(this.run.id, created.path, created.branch);
        if (row) this.run = row;
      }
      const target = this.headSha ?? (await this.ports.worktree.head());
      await this.ports.worktree.restore(target, {
        reason: `resume at ${this.start.gate}: back to the checkpoint ${target.slice(0, 12)}`,
        gate: this.start.gate,
      });
      this.headSha = target;
      return true;
    } catch (e) {
      const reason = `Could not bring the worktree of ${this.storyId} back to its checkpoint (${describeError(e)}). Resume it with --strategy restart to start it again from gate-0.`;
      await this.env.repo.markFailed(this.run.id, this.run.epoch, reason);
      this.env.out.storyChanged(this.run.id);
      await this.events.failedBeforeStart(reason, this.start.gate);
      return false;
    }
  }

  /** merge.requireApproval: true when a person approved merging the branch at its current commit. */
  private async mergeApproved(): Promise<boolean> {
    const head = await this.ports.worktree.head();
    const approved = await this.env.decisions.approvedMerge(this.storyId);
    if (approved && approved.headSha === head) {
      this.approvedHead = head;
      return true;
    }
    this.approvalAsk = { head, stale: approved ? { actor: approved.actor, headSha: approved.headSha } : null };
    return false;
  }

  /** Leaves the story waiting at the step's gate without a gate run. */
  private async park(step: Extract<Step, { kind: 'park' }>): Promise<void> {
    const gate = step.gate;
    if (step.decision === 'stop')
      return this.markIdle('stopped', `Stopped before ${gate}: ${this.env.signals.stopReason}`, gate);
    if (step.decision === 'budget') {
      this.env.signals.pauseForBudget();
      return this.markIdle('queued', `Waiting at ${gate}: the session budget is used up; raise it and resume.`, gate);
    }
    // Waits for a person: the request is recorded and the lead told.
    const { head, stale } = this.approvalAsk!;
    const branch = this.run.branch ?? null;
    await this.env.decisions.requestMergeApproval({
      storyId: this.storyId,
      storyRunId: this.run.id,
      headSha: head,
      branch,
    });
    const staleNote = stale
      ? ` ${stale.actor} approved ${stale.headSha.slice(0, 12)}, but the branch has changed since.`
      : '';
    const why = `${MERGE_APPROVAL_WAIT} of ${branch ?? 'the story branch'} at ${head.slice(0, 12)} into ${this.env.config.targetBranch}.${staleNote} Approve it in the story's detail or with: wave approve-merge ${this.env.sessionId} ${this.storyId}`;
    await this.markIdle('blocked', why, gate);
    await this.events.waitsForMergeApproval(why);
  }

  private async markIdle(status: 'stopped' | 'queued' | 'blocked', reason: string, gate: GateId): Promise<void> {
    await this.env.repo.markIdle(this.run.id, this.run.epoch, status, reason, gate);
    this.env.out.setProgress(this.run.id, null);
    this.env.out.storyChanged(this.run.id);
  }

  private context(gate: GateId, gateRunId: number, attempt: number, logPath: string): GateContext {
    return {
      gate,
      gateRunId,
      attempt,
      logPath,
      story: this.story,
      run: this.run,
      data: this.state.data,
      headSha: this.headSha,
      config: this.env.config,
      files: this.env.files,
      maxRetries: this.maxRetries,
      approvedHead: this.approvedHead,
      ports: this.ports,
      stopping: () => this.env.signals.stopping,
      note: (text) => noteInLog(logPath, text),
      markClean: (head) => {
        this.cleanHead = head;
      },
    };
  }

  /** The reason recorded for a gate, once the workflow decided what its result means. */
  private explain(result: GateResult, step: Step, data: WorkflowData): GateResult {
    if (step.kind === 'fail' && step.status === 'stopped') {
      // Whatever failed while the session was stopping failed because of the stop.
      return {
        verdict: result.verdict,
        reason: `stopped: ${this.env.signals.stopReason}`,
        headSha: this.cleanHead,
        usage: result.usage,
        detail: { stopped: true },
      };
    }
    if (step.kind === 'escalate')
      return { ...result, reason: escalationReason(result, data, this.maxRetries, this.run.branch ?? null) };
    if (step.kind === 'back') return { ...result, reason: `${result.reason ?? ''} Going back to ${step.gate}.`.trim() };
    return result;
  }

  private async runGate(gate: GateId): Promise<[StoryRunState, Step]> {
    const attempt = (this.attempts.get(gate) ?? 0) + 1;
    this.attempts.set(gate, attempt);
    const logPath = this.env.files.gateLog(this.storyId, gate, attempt);
    const startedAt = new Date();
    const { gateRunId } = await this.env.checkpointer.startGate({
      storyRunId: this.run.id,
      gate,
      attempt,
      startedAt,
      logPath,
    });
    this.env.out.storyChanged(this.run.id);
    await this.events.gateStarted(gate, attempt);
    noteInLog(logPath, `${gate} attempt ${attempt} of story ${this.storyId} started`);
    this.cleanHead = this.headSha;

    let result: GateResult;
    try {
      result = await activityOf(gate)(this.context(gate, gateRunId, attempt, logPath));
    } catch (e) {
      result = { verdict: { kind: 'failed' }, reason: describeError(e) };
    }
    const [state, step] = advance(this.state, { type: 'outcome', report: result, stopping: this.env.signals.stopping });
    result = this.explain(result, step, state.data);
    const status =
      result.verdict.kind === 'passed' || result.verdict.kind === 'skipped' ? result.verdict.kind : 'failed';
    const storyStatus = storyStatusOf(step);
    const endedAt = new Date();
    const usage = result.usage ?? [];
    const cost = usage.reduce((s, u) => s + u.knownCostUsd, 0);
    const tokens = usage.flatMap((u) => u.models);
    let headSha = result.headSha;
    if (headSha === undefined)
      headSha = this.run.worktreePath ? await this.ports.worktree.head().catch(() => this.headSha) : this.headSha;
    noteInLog(logPath, result.reason ? `${gate} ${status}: ${result.reason}` : `${gate} ${status}`);

    const patch = result.patch ?? {};
    const recorded = await this.env.checkpointer.recordGate({
      storyRunId: this.run.id,
      gate,
      status,
      gateRunId,
      attempt,
      endedAt,
      durationMs: endedAt.getTime() - startedAt.getTime(),
      inputTokens: tokens.reduce((s, m) => s + m.inputTokens, 0),
      outputTokens: tokens.reduce((s, m) => s + m.outputTokens, 0),
      costUsd: Math.round(cost * 1e6) / 1e6,
      logPath,
      detail: {
        ...(result.detail ?? {}),
        ...(result.reason ? { reason: result.reason } : {}),
        env: this.env.executor.envNames(this.env.preset.preset.name),
      },
      data: { ...state.data },
      headSha: headSha ?? null,
      storyRun: {
        status: storyStatus,
        reason: status === 'failed' || storyStatus === 'blocked' ? (result.reason ?? null) : null,
        ...patch,
      },
      expectedEpoch: this.run.epoch,
    });
    this.headSha = headSha ?? null;
    // The row as the checkpoint left it (no re-read: the transaction just wrote these).
    this.run = {
      ...this.run,
      status: storyStatus,
      currentGate: status === 'failed' ? gate : (nextGateOf(gate, this.env.checkpointer.pipeline) ?? gate),
      lastPassedGate: status === 'failed' ? this.run.lastPassedGate : gate,
      attempts: attempt,
      ...(patch.branch !== undefined ? { branch: patch.branch } : {}),
      ...(patch.worktreePath !== undefined ? { worktreePath: patch.worktreePath } : {}),
      ...(patch.baseSha !== undefined ? { baseSha: patch.baseSha } : {}),
      ...(patch.mergeSha !== undefined ? { mergeSha: patch.mergeSha } : {}),
    };

    const final = isFinal(step);
    await this.events.gateEnded({
      gate,
      attempt,
      failed: status === 'failed',
      reason: result.reason,
      durationMs: endedAt.getTime() - startedAt.getTime(),
      willRetry: !final,
      checkpointId: recorded.checkpointId,
      stateHash: recorded.stateHash,
    });
    if (final) await this.events.finished(storyStatus, gate, result.reason, state.data.qaFixes);
    this.env.out.storyChanged(this.run.id);
    if (result.after) {
      try {
        await result.after();
      } catch (e) {
        this.env.out.log(`story ${this.storyId}: clean-up after ${gate} failed: ${describeError(e)}`);
      }
    }
    return [state, step];
  }
}
