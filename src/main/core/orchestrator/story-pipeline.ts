import { appendFileSync, existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { and, eq, max, sql } from 'drizzle-orm';
import type { EventDraft } from '../../../shared/events';
import type { StoryDocument } from '../../../shared/stories';
import { effectiveExecution } from '../../../shared/stories';
import { gateRuns, storyRuns, usage, type GateId, type StoryRun, type StoryRunStatus, type Store } from '../../store';
import { Checkpointer, nextGate as nextGateOf, type LoadedCheckpoint } from '../checkpointer';
import { ExecutorError, runCommand, type AgentPhase, type AgentRunResult, type Executor, type UsageSummary } from '../executor';
import type { AgentEvent } from '../executor';
import { PrdNotApprovedError, type PrdService } from '../prd';
import type { ResolvedPreset } from './agent-presets';
import type { SessionConfig } from './session-config';
import { SessionFiles } from './session-files';
import { latestDomainOverride } from './domain-override';
import { MERGE_APPROVAL_WAIT, mergeApprovalState, requestMergeApproval } from './merge-approval';
import { pendingReviewFeedback, reviewPromptSection } from '../review/review-feedback';

/** What a story pipeline needs from the session that runs it. */
export interface PipelineHost {
  readonly sessionId: string;
  readonly config: SessionConfig;
  readonly files: SessionFiles;
  readonly executor: Executor;
  readonly checkpointer: Checkpointer;
  readonly preset: ResolvedPreset;
  readonly prds: PrdService;
  readonly store: Store;
  readonly agentEnv: Record<string, string>;
  /** Overrides the story's per-phase timeout (tests). */
  readonly phaseTimeoutMs: number | null;
  /** True once an emergency stop began: no gate starts, in-flight results count as stopped. */
  readonly stopping: boolean;
  readonly stopReason: string;
  /** True once the budget is used up: no agent phase starts. */
  readonly budgetExhausted: boolean;
  /** Pauses the session for the budget (idempotent). */
  pauseForBudget(): void;
  addCost(costUsd: number): void;
  setProgress(storyRunId: string, progress: { message: string; pct: number | null } | null): void;
  storyChanged(storyRunId: string): void;
  publish(draft: EventDraft): Promise<void>;
  notice(kind: 'escalation', title: string, body: string): void;
  log(line: string): void;
}

/** Where a story starts: the gate to run and the checkpoint to continue from (null: fresh). */
export interface StoryStart {
  gate: GateId;
  checkpoint: LoadedCheckpoint | null;
  /** True when the story continues an earlier run: its worktree is brought back to the checkpoint. */
  resumed: boolean;
}

/** The orchestrator's part of a checkpoint (CheckpointState.data). */
interface PipelineData {
  /** Fix phases run by the QA fix loop so far. */
  qaFixes: number;
  /** QA output the next fix phase gets (WAVE_FEEDBACK_FILE); null when none is pending. */
  feedbackFile: string | null;
  /** Times gate-7 sent the story back to gate-6 because the target moved. */
  mergeLoops: number;
  plan: string | null;
}

type Next = 'continue' | 'retry' | 'end' | { goto: GateId };

interface GateOutcome {
  status: 'passed' | 'failed' | 'skipped';
  /** One line for people: why it failed or what was skipped. */
  reason?: string;
  detail?: Record<string, unknown>;
  /** The story's status after this gate (default: running, merged after the last gate, failed on failure). */
  storyStatus?: StoryRunStatus;
  next?: Next;
  /** HEAD to record (the state to resume from); default: HEAD now. */
  headSha?: string | null;
  patch?: { branch?: string; worktreePath?: string; baseSha?: string; mergeSha?: string };
  usage?: UsageSummary[];
  /** Called after the checkpoint is committed. */
  after?: () => Promise<void>;
}

const AGENT_GATES: ReadonlySet<string> = new Set(['gate-1', 'gate-2']);
const MAX_MERGE_LOOPS = 2;
const FEEDBACK_TAIL_CHARS = 16_000;

function oneLine(text: string, max = 300): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

function describeError(e: unknown): string {
  if (e instanceof Error) return e.message;
  return String(e);
}

/**
 * Runs one story through the gates of DESIGN §3, from a start gate to the end, with a
 * checkpoint committed after every gate before anything else happens ("acknowledged =
 * committed"). A failure of the store propagates (the session cannot go on without it);
 * every other failure becomes the gate's result.
 */
export class StoryPipeline {
  private run: StoryRun;
  private readonly story: StoryDocument;
  private data: PipelineData;
  private headSha: string | null;
  /** The commit a person approved for gate-7 (merge.requireApproval), once checked. */
  private approvedHead: string | null = null;
  /** The commit a gate in flight may be rolled back to (its start, or a commit it made on purpose). */
  private cleanHead: string | null = null;
  private readonly attempts = new Map<string, number>();
  private started = false;
  private storyStartedAt = Date.now();

  constructor(
    private readonly host: PipelineHost,
    run: StoryRun,
    story: StoryDocument,
    private readonly start: StoryStart,
  ) {
    this.run = run;
    this.story = story;
    const d = (start.checkpoint?.state.data ?? {}) as Partial<PipelineData>;
    this.data = {
      qaFixes: typeof d.qaFixes === 'number' ? d.qaFixes : 0,
      feedbackFile: typeof d.feedbackFile === 'string' ? d.feedbackFile : null,
      mergeLoops: typeof d.mergeLoops === 'number' ? d.mergeLoops : 0,
      plan: typeof d.plan === 'string' ? d.plan : null,
    };
    this.headSha = start.checkpoint?.state.headSha ?? null;
  }

  private get storyId(): string {
    return this.run.storyId;
  }

  private get worktreePath(): string {
    if (!this.run.worktreePath) throw new ExecutorError('worktree_missing', `Story ${this.storyId} has no worktree yet; gate-0 creates it.`);
    return this.run.worktreePath;
  }

  private get timeoutMs(): number {
    if (this.host.phaseTimeoutMs !== null) return this.host.phaseTimeoutMs;
    return effectiveExecution(this.story, { max_retries: this.host.config.maxRetries, timeout_minutes: this.host.config.timeoutMinutes }).timeout_minutes * 60_000;
  }

  private get maxRetries(): number {
    return effectiveExecution(this.story, { max_retries: this.host.config.maxRetries, timeout_minutes: this.host.config.timeoutMinutes }).max_retries;
  }

  /** Runs gates until the story ends, stops or waits for budget. */
  async execute(): Promise<void> {
    await this.loadAttempts();
    let gate: GateId | null = this.start.gate;
    if (this.start.resumed && gate !== 'gate-0') {
      try {
        await this.restoreWorktree();
      } catch (e) {
        const reason = `Could not bring the worktree of ${this.storyId} back to its checkpoint (${describeError(e)}). Resume it with --strategy restart to start it again from gate-0.`;
        await this.host.store.db
          .update(storyRuns)
          .set({ status: 'failed', reason, endedAt: new Date(), updatedAt: sql`now()` })
          .where(and(eq(storyRuns.id, this.run.id), eq(storyRuns.epoch, this.run.epoch)));
        this.host.storyChanged(this.run.id);
        await this.host.publish({ type: 'story_failed', session: this.host.sessionId, story: this.storyId, reason: oneLine(reason, 2000), gate });
        return;
      }
    }
    while (gate !== null) {
      if (this.host.stopping) {
        await this.markIdle('stopped', `Stopped before ${gate}: ${this.host.stopReason}`, gate);
        return;
      }
      if (this.needsAgent(gate) && this.host.budgetExhausted) {
        this.host.pauseForBudget();
        await this.markIdle('queued', `Waiting at ${gate}: the session budget is used up; raise it and resume.`, gate);
        return;
      }
      if (gate === 'gate-7' && this.host.config.requireMergeApproval && !(await this.mergeApproved())) return;
      const next: Next = await this.runGate(gate);
      if (next === 'end') return;
      if (next === 'retry') continue;
      if (next === 'continue') gate = nextGateOf(gate, this.host.checkpointer.pipeline);
      else gate = next.goto;
    }
  }

  private needsAgent(gate: GateId): boolean {
    return gate === 'gate-0' || AGENT_GATES.has(gate) || (gate === 'gate-4' && this.data.feedbackFile !== null);
  }

  private async loadAttempts(): Promise<void> {
    const rows = await this.host.store.db
      .select({ gate: gateRuns.gate, n: max(gateRuns.attempt) })
      .from(gateRuns)
      .where(and(eq(gateRuns.storyRunId, this.run.id), eq(gateRuns.epoch, this.run.epoch)))
      .groupBy(gateRuns.gate);
    for (const r of rows) this.attempts.set(r.gate, Number(r.n ?? 0));
  }

  /**
   * merge.requireApproval: true when a person approved merging the branch at its current
   * commit; otherwise records the request, parks the story before gate-7 and tells the lead.
   */
  private async mergeApproved(): Promise<boolean> {
    const head = await this.head();
    const { approved } = await mergeApprovalState(this.host.store, this.host.sessionId, this.storyId);
    if (approved && approved.headSha === head) {
      this.approvedHead = head;
      return true;
    }
    const branch = this.run.branch ?? null;
    await requestMergeApproval(this.host.store, { sessionId: this.host.sessionId, storyId: this.storyId, storyRunId: this.run.id, headSha: head, branch });
    const stale = approved ? ` ${approved.actor} approved ${approved.headSha.slice(0, 12)}, but the branch has changed since.` : '';
    const why = `${MERGE_APPROVAL_WAIT} of ${branch ?? 'the story branch'} at ${head.slice(0, 12)} into ${this.host.config.targetBranch}.${stale} Approve it in the story's detail or with: wave approve-merge ${this.host.sessionId} ${this.storyId}`;
    await this.markIdle('blocked', why, 'gate-7');
    await this.host.publish({ type: 'escalation', session: this.host.sessionId, story: this.storyId, reason: oneLine(why, 2000), gate: 'gate-7' });
    this.host.notice('escalation', `Story ${this.storyId} waits for your merge approval`, why);
    return false;
  }

  /** Leaves the story waiting (stopped, queued for budget, blocked for a person) at `gate` without a gate run. */
  private async markIdle(status: 'stopped' | 'queued' | 'blocked', reason: string, gate: GateId): Promise<void> {
    await this.host.store.db
      .update(storyRuns)
      .set({ status, reason, currentGate: gate, updatedAt: sql`now()` })
      .where(and(eq(storyRuns.id, this.run.id), eq(storyRuns.epoch, this.run.epoch)));
    this.host.setProgress(this.run.id, null);
    this.host.storyChanged(this.run.id);
  }

  /**
   * A resumed story continues from its last checkpoint: its worktree (re-created on the
   * branch if it is gone) is reset to the commit recorded there, and untracked leftovers of
   * the gate that was in flight are removed.
   */
  private async restoreWorktree(): Promise<void> {
    const wt = this.host.executor.worktrees;
    const created = await wt.create({ storyId: this.storyId, agent: this.run.agent, sessionId: this.host.sessionId });
    if (this.run.worktreePath !== created.path || this.run.branch !== created.branch) {
      const [row] = await this.host.store.db
        .update(storyRuns)
        .set({ worktreePath: created.path, branch: created.branch })
        .where(eq(storyRuns.id, this.run.id))
        .returning();
      if (row) this.run = row;
    }
    const target = this.headSha ?? (await this.head());
    await wt.git(['reset', '--hard', '--quiet', target], { cwd: created.path });
    await wt.git(['clean', '-fd', '--quiet'], { cwd: created.path });
    this.headSha = target;
  }

  private async head(): Promise<string> {
    return (await this.host.executor.worktrees.git(['rev-parse', 'HEAD'], { cwd: this.worktreePath })).stdout.trim();
  }

  private note(logPath: string, text: string): void {
    try {
      mkdirSync(dirname(logPath), { recursive: true });
      appendFileSync(logPath, `[wave] ${new Date().toISOString()} ${text}\n`);
    } catch {
      // A log line is not worth failing a gate for.
    }
  }

  private async runGate(gate: GateId): Promise<Next> {
    const attempt = (this.attempts.get(gate) ?? 0) + 1;
    this.attempts.set(gate, attempt);
    const logPath = this.host.files.gateLog(this.storyId, gate, attempt);
    const startedAt = new Date();
    const { gateRunId } = await this.host.checkpointer.startGate({ storyRunId: this.run.id, gate, attempt, startedAt, logPath });
    this.host.storyChanged(this.run.id);
    if (!this.started) {
      this.started = true;
      this.storyStartedAt = Date.now();
      await this.host.publish({ type: 'story_started', session: this.host.sessionId, story: this.storyId, wave: this.run.waveNumber, agent: this.run.agent });
    }
    await this.host.publish({ type: 'gate_started', session: this.host.sessionId, story: this.storyId, gate, attempt });
    this.note(logPath, `${gate} attempt ${attempt} of story ${this.storyId} started`);
    this.cleanHead = this.headSha;

    let outcome: GateOutcome;
    try {
      outcome = await this.gate(gate, attempt, logPath);
    } catch (e) {
      outcome = { status: 'failed', reason: describeError(e), storyStatus: 'failed', next: 'end' };
    }
    // Whatever failed while the session was stopping failed because of the stop.
    if (this.host.stopping && outcome.status === 'failed') {
      outcome = { status: 'failed', reason: `stopped: ${this.host.stopReason}`, storyStatus: 'stopped', next: 'end', headSha: this.cleanHead, usage: outcome.usage, detail: { stopped: true } };
    }
    const endedAt = new Date();
    const cost = (outcome.usage ?? []).reduce((s, u) => s + u.knownCostUsd, 0);
    const tokens = (outcome.usage ?? []).flatMap((u) => u.models);
    const last = nextGateOf(gate, this.host.checkpointer.pipeline) === null;
    const storyStatus: StoryRunStatus = outcome.storyStatus ?? (outcome.status === 'failed' ? 'failed' : last ? 'merged' : 'running');
    let headSha = outcome.headSha;
    if (headSha === undefined) headSha = this.run.worktreePath ? await this.head().catch(() => this.headSha) : this.headSha;
    if (outcome.reason) this.note(logPath, `${gate} ${outcome.status}: ${outcome.reason}`);
    else this.note(logPath, `${gate} ${outcome.status}`);

    const recorded = await this.host.checkpointer.recordGate({
      storyRunId: this.run.id,
      gate,
      status: outcome.status,
      gateRunId,
      attempt,
      endedAt,
      durationMs: endedAt.getTime() - startedAt.getTime(),
      inputTokens: tokens.reduce((s, m) => s + m.inputTokens, 0),
      outputTokens: tokens.reduce((s, m) => s + m.outputTokens, 0),
      costUsd: Math.round(cost * 1e6) / 1e6,
      logPath,
      detail: { ...(outcome.detail ?? {}), ...(outcome.reason ? { reason: outcome.reason } : {}) },
      data: { ...this.data },
      headSha: headSha ?? null,
      storyRun: {
        status: storyStatus,
        reason: outcome.status === 'failed' || storyStatus === 'blocked' ? (outcome.reason ?? null) : null,
        ...(outcome.patch ?? {}),
      },
      expectedEpoch: this.run.epoch,
    });
    this.headSha = headSha ?? null;
    // The row as the checkpoint left it (no re-read: the transaction just wrote these).
    const patch = outcome.patch ?? {};
    this.run = {
      ...this.run,
      status: storyStatus,
      currentGate: outcome.status === 'failed' ? gate : (nextGateOf(gate, this.host.checkpointer.pipeline) ?? gate),
      lastPassedGate: outcome.status === 'failed' ? this.run.lastPassedGate : gate,
      attempts: attempt,
      ...(patch.branch !== undefined ? { branch: patch.branch } : {}),
      ...(patch.worktreePath !== undefined ? { worktreePath: patch.worktreePath } : {}),
      ...(patch.baseSha !== undefined ? { baseSha: patch.baseSha } : {}),
      ...(patch.mergeSha !== undefined ? { mergeSha: patch.mergeSha } : {}),
    };

    const durationMs = endedAt.getTime() - startedAt.getTime();
    const next: Next = outcome.next ?? (outcome.status === 'failed' ? 'end' : 'continue');
    if (outcome.status === 'failed') {
      await this.host.publish({
        type: 'gate_failed',
        session: this.host.sessionId,
        story: this.storyId,
        gate,
        attempt,
        reason: oneLine(outcome.reason ?? 'failed', 2000) || 'failed',
        duration_ms: durationMs,
        will_retry: next !== 'end',
      });
    } else {
      await this.host.publish({ type: 'gate_passed', session: this.host.sessionId, story: this.storyId, gate, attempt, duration_ms: durationMs });
    }
    await this.host.publish({ type: 'checkpoint_saved', session: this.host.sessionId, story: this.storyId, gate, checkpoint_id: recorded.checkpointId, state_hash: recorded.stateHash });
    if (next === 'end') await this.finished(storyStatus, gate, outcome.reason);
    this.host.storyChanged(this.run.id);
    if (outcome.after) {
      try {
        await outcome.after();
      } catch (e) {
        this.host.log(`story ${this.storyId}: clean-up after ${gate} failed: ${describeError(e)}`);
      }
    }
    return next;
  }

  private async finished(status: StoryRunStatus, gate: GateId, reason: string | undefined): Promise<void> {
    this.host.setProgress(this.run.id, null);
    const base = { session: this.host.sessionId, story: this.storyId };
    if (status === 'merged' || status === 'passed') {
      const sha = this.run.mergeSha && /^[0-9a-f]{7,64}$/.test(this.run.mergeSha) ? this.run.mergeSha : undefined;
      await this.host.publish({ ...base, type: 'story_completed', ...(sha ? { merge_sha: sha } : {}), duration_ms: Date.now() - this.storyStartedAt });
    } else if (status === 'escalated') {
      const why = reason ?? 'QA kept failing';
      await this.host.publish({ ...base, type: 'escalation', reason: oneLine(why, 2000) || 'escalated', gate, attempts: this.data.qaFixes });
      this.host.notice('escalation', `Story ${this.storyId} needs a person`, why);
    } else if (status === 'failed' || status === 'blocked') {
      await this.host.publish({ ...base, type: 'story_failed', reason: oneLine(reason ?? status, 2000) || status, gate });
    }
  }

  // ---- the gates ----

  private gate(gate: GateId, attempt: number, logPath: string): Promise<GateOutcome> {
    switch (gate) {
      case 'gate-0':
        return this.preflight();
      case 'gate-1':
        return this.agentGate(gate, 'plan', logPath);
      case 'gate-2':
        return this.agentGate(gate, 'develop', logPath);
      case 'gate-3':
        return this.devComplete();
      case 'gate-4':
        return this.qa(attempt, logPath);
      case 'gate-5':
        return this.acceptance(logPath);
      case 'gate-6':
        return this.mergePrep(logPath);
      case 'gate-7':
        return this.merge();
      default:
        return Promise.resolve({ status: 'skipped', reason: `${gate} is not a gate this version of WAVE knows; skipped.` });
    }
  }

  /** gate-0: story valid, PRD approved, dependencies merged, worktree created. */
  private async preflight(): Promise<GateOutcome> {
    const domains = this.host.config.domains;
    if (Object.keys(domains).length > 0 && !(this.story.domain in domains)) {
      return {
        status: 'failed',
        reason: `Story ${this.storyId} has domain "${this.story.domain}", which wave.config.json does not define (known: ${Object.keys(domains).join(', ')}). Add it under "domains" or fix the story, re-import it, then resume.`,
      };
    }
    try {
      await this.host.prds.assertApproved(this.host.config.prdId);
    } catch (e) {
      if (e instanceof PrdNotApprovedError) return { status: 'failed', storyStatus: 'blocked', reason: e.message };
      throw e;
    }
    const deps = this.story.dependencies ?? [];
    if (deps.length > 0) {
      const runs = await this.host.store.db.select().from(storyRuns).where(eq(storyRuns.sessionId, this.host.sessionId));
      const byStory = new Map(runs.map((r) => [r.storyId, r]));
      const unmet = deps
        .map((d) => ({ id: d, run: byStory.get(d) }))
        .filter((d) => d.run && d.run.status !== 'merged' && d.run.status !== 'passed');
      if (unmet.length > 0) {
        const why = unmet
          .map((d) => `${d.id} ${d.run!.status}${d.run!.currentGate ? ` at ${d.run!.currentGate}` : ''}${d.run!.reason ? ` (${oneLine(d.run!.reason, 160)})` : ''}`)
          .join('; ');
        return { status: 'failed', storyStatus: 'blocked', reason: `Blocked: depends on ${why}. Fix ${unmet.length === 1 ? 'that story' : 'those stories'} and resume the session.` };
      }
    }
    const wt = this.host.executor.worktrees;
    const created = await wt.create({ storyId: this.storyId, agent: this.run.agent, sessionId: this.host.sessionId });
    let baseSha = created.baseSha;
    if (created.reused) {
      // Nothing of this story has passed in this run: whatever an earlier run left on the
      // branch is not the story's state. Start again from the target's tip.
      baseSha = (await wt.resolveRef(`refs/heads/${this.host.config.targetBranch}`)) ?? created.baseSha;
      await wt.git(['reset', '--hard', '--quiet', baseSha], { cwd: created.path });
      await wt.git(['clean', '-fd', '--quiet'], { cwd: created.path });
    }
    SessionFiles.write(this.host.files.storyFile(this.storyId), `${JSON.stringify(this.story, null, 2)}\n`);
    return {
      status: 'passed',
      detail: { worktree: created.path, branch: created.branch, reused: created.reused },
      patch: { branch: created.branch, worktreePath: created.path, baseSha },
      headSha: baseSha,
    };
  }

  private writePrompt(phase: AgentPhase, feedbackFile: string | null): string {
    const s = this.story;
    const lines = [
      `# ${s.story_id}: ${s.title}`,
      '',
      `Phase: ${phase}. You work in a git worktree on branch ${this.run.branch ?? '(story branch)'}; change only what this story needs.`,
      `Domain: ${s.domain}${Object.keys(this.host.config.domains).length ? ` (allowed paths: ${(this.host.config.domains[s.domain] ?? []).join(', ') || 'none'}; shared: ${(this.host.config.domains.SHARED ?? []).join(', ') || 'none'})` : ''}`,
      '',
      `As a ${s.objective?.as_a ?? '…'}, I want ${s.objective?.i_want ?? '…'}, so that ${s.objective?.so_that ?? '…'}.`,
      '',
      '## Acceptance criteria',
      ...(s.acceptance_criteria ?? []).map((a) => `- ${a.id}: ${a.description}`),
      '',
      '## Files',
      ...(s.files?.create ?? []).map((f) => `- create ${f}`),
      ...(s.files?.modify ?? []).map((f) => `- modify ${f}`),
      '',
      '## Stop and report (signal "blocked") when',
      ...(s.safety?.stop_conditions ?? []).map((c) => `- ${c}`),
      '',
      phase === 'plan'
        ? 'Write a short plan of the changes. Do not change files yet.'
        : phase === 'fix'
          ? `The project's QA commands failed. Their output is in ${feedbackFile ?? 'WAVE_FEEDBACK_FILE'}. Fix the cause and commit.`
          : feedbackFile ? reviewPromptSection(feedbackFile) : 'Implement the story and commit your changes on the branch.',
      ...(this.data.plan && phase !== 'plan' ? ['', '## Your plan', this.data.plan] : []),
      '',
      `The full story is in ${this.host.files.storyFile(this.storyId)}.`,
      '',
    ];
    const file = this.host.files.promptFile(this.storyId, phase);
    SessionFiles.write(file, lines.join('\n'));
    return file;
  }

  private async runAgent(gate: GateId, phase: AgentPhase, logPath: string, feedbackFile: string | null): Promise<AgentRunResult> {
    const promptFile = this.writePrompt(phase, feedbackFile);
    const storyFile = this.host.files.storyFile(this.storyId);
    if (!existsSync(storyFile)) SessionFiles.write(storyFile, `${JSON.stringify(this.story, null, 2)}\n`);
    const result = await this.host.executor.runner.run({
      sessionId: this.host.sessionId,
      storyId: this.storyId,
      gate,
      phase,
      agentId: this.run.agent,
      worktreePath: this.worktreePath,
      storyFile,
      promptFile,
      ...(feedbackFile ? { feedbackFile } : {}),
      preset: this.host.preset.preset,
      logFile: logPath,
      timeoutMs: this.timeoutMs,
      env: { ...this.host.preset.env, ...this.host.agentEnv },
      onEvent: (e) => this.onAgentEvent(gate, e),
    });
    await this.recordUsage(gate, result.usage);
    return result;
  }

  private onAgentEvent(gate: GateId, e: AgentEvent): void {
    if (e.type === 'progress') {
      this.host.setProgress(this.run.id, { message: e.message.slice(0, 500), pct: e.pct ?? null });
      this.host.storyChanged(this.run.id);
    }
    const base = { session: this.host.sessionId, story: this.storyId, gate, source: `agent:${this.run.agent}` };
    if (e.type === 'progress') void this.host.publish({ ...base, type: 'progress', message: e.message, ...(e.pct !== undefined ? { pct: e.pct } : {}) });
    else if (e.type === 'signal') void this.host.publish({ ...base, type: 'signal', signal: e.signal, ...(e.message ? { message: e.message } : {}) });
    else void this.host.publish({ ...base, type: 'usage', model: e.model, input_tokens: e.input_tokens, output_tokens: e.output_tokens, agent: this.run.agent, ...(e.cache_read_tokens !== undefined ? { cache_read_tokens: e.cache_read_tokens } : {}), ...(e.cache_write_tokens !== undefined ? { cache_write_tokens: e.cache_write_tokens } : {}), ...(e.cost_usd !== undefined ? { cost_usd: e.cost_usd } : {}) });
  }

  /** Usage is written as soon as a phase ends: money spent counts even if the gate never records. */
  private async recordUsage(gate: GateId, summary: UsageSummary): Promise<void> {
    if (summary.models.length === 0) return;
    await this.host.store.db.insert(usage).values(
      summary.models.map((m) => ({
        sessionId: this.host.sessionId,
        storyRunId: this.run.id,
        storyId: this.storyId,
        gate,
        agent: this.run.agent,
        model: m.model,
        inputTokens: m.inputTokens,
        outputTokens: m.outputTokens,
        cacheReadTokens: m.cacheReadTokens,
        cacheWriteTokens: m.cacheWriteTokens,
        costUsd: m.costUsd ?? 0,
      })),
    );
    for (const w of summary.warnings) this.host.log(`story ${this.storyId} ${gate}: ${w}`);
    this.host.addCost(summary.knownCostUsd);
  }

  private agentFailure(result: AgentRunResult, phase: string): GateOutcome {
    const blocked = result.signals.find((s) => s.signal === 'blocked');
    if (blocked) {
      return { status: 'failed', storyStatus: 'blocked', reason: `The agent reported it is blocked in the ${phase} phase: ${blocked.message ?? 'no reason given'}`, usage: [result.usage] };
    }
    const said = result.signals.filter((s) => s.signal === 'error' && s.message).at(-1)?.message;
    const why = `${result.failure?.message ?? `the agent ended with status ${result.status}.`}${said ? ` It said: ${oneLine(said, 300)}.` : ''}`;
    return {
      status: 'failed',
      reason: `The ${phase} phase of story ${this.storyId} failed: ${why} See the gate log ${result.logFile}.`,
      detail: { agentStatus: result.status, exitCode: result.exitCode, signal: result.signal, ending: result.ending ?? null },
      usage: [result.usage],
    };
  }

  /** gate-1 (plan) and gate-2 (develop): an agent phase that must exit 0. */
  private async agentGate(gate: GateId, phase: 'plan' | 'develop', logPath: string): Promise<GateOutcome> {
    const review = phase === 'develop' ? await pendingReviewFeedback(this.host.store, this.run, this.host.files) : null;
    if (review?.headSha) await this.host.executor.worktrees.git(['reset', '--hard', '--quiet', review.headSha], { cwd: this.worktreePath });
    const result = await this.runAgent(gate, phase, logPath, review?.feedbackFile ?? null);
    if (result.status !== 'succeeded' || result.signals.some((s) => s.signal === 'blocked')) return this.agentFailure(result, phase);
    const error = result.signals.find((s) => s.signal === 'error');
    if (error) return { status: 'failed', reason: `The agent exited 0 but reported an error in the ${phase} phase: ${error.message ?? 'no message'}`, usage: [result.usage] };
    if (phase === 'plan') this.data.plan = result.lastProgress?.message ?? null;
    if (phase === 'develop') {
      // The develop phase's work goes into its checkpoint: a resume resets the worktree to it.
      await this.host.executor.worktrees.commitAll(this.storyId, `${this.storyId}: develop (wave gate-2)`);
    }
    return { status: 'passed', usage: [result.usage], detail: { agentStatus: result.status, durationMs: result.durationMs } };
  }

  /** The domain check; null when it passes (or no domains are configured), with the number of changed paths. */
  private async checkBoundaries(): Promise<{ violation: GateOutcome | null; changed: number | null; override?: { by: string; reason: string; paths: string[] } }> {
    if (Object.keys(this.host.config.domains).length === 0) return { violation: null, changed: null };
    const request = {
      storyId: this.storyId,
      sessionId: this.host.sessionId,
      domain: this.story.domain,
      worktreePath: this.worktreePath,
      base: this.host.config.targetBranch,
      ignoreUntracked: this.host.config.copyFiles,
    };
    const check = await this.host.executor.boundaries.check(request);
    if (check.ok) return { violation: null, changed: check.changed.length };
    const detail = { outside: check.outside, escaped: check.escaped, uncommitted: check.uncommitted, domain: check.domain };
    let reason = check.message;
    if (check.outside.length > 0 && check.escaped.length === 0 && check.uncommitted.length === 0) {
      const found = await latestDomainOverride(this.host.store, this.host.sessionId, this.storyId);
      // Only a decision about this very attempt counts: a restarted story is new work.
      const grant = found && found.storyRunId === this.run.id && found.epoch === this.run.epoch ? found : null;
      if (grant) {
        const allowed = new Set(grant.paths);
        const added = check.outside.filter((p) => !allowed.has(p));
        if (added.length === 0) {
          // Checked again with the override: the executor writes it to the audit log before passing.
          const overridden = await this.host.executor.boundaries.check({ ...request, override: { actor: grant.actor, reason: grant.reason } });
          if (overridden.ok) return { violation: null, changed: overridden.changed.length, override: { by: grant.actor, reason: grant.reason, paths: check.outside } };
          reason = overridden.message;
        } else {
          reason = `${check.message} ${grant.actor}'s override covered ${grant.paths.join(', ')} only; ${added.join(', ')} ${added.length === 1 ? 'is' : 'are'} new and need${added.length === 1 ? 's' : ''} a decision of its own.`;
        }
      }
    }
    return { violation: { status: 'failed', reason, detail }, changed: check.changed.length };
  }

  /** gate-3: changes committed on the story branch, every changed path inside the story's domain. */
  private async devComplete(): Promise<GateOutcome> {
    const commit = await this.host.executor.worktrees.commitAll(this.storyId, `${this.storyId}: changes left uncommitted by the agent (wave gate-3)`);
    const { violation, changed, override } = await this.checkBoundaries();
    if (violation) return violation;
    return { status: 'passed', detail: { committedLeftovers: commit !== null, changedFiles: changed, domainCheck: changed !== null, ...(override ? { override } : {}) } };
  }

  private commandEnv(): NodeJS.ProcessEnv {
    return { ...process.env, ...this.host.agentEnv, WAVE_SESSION_ID: this.host.sessionId, WAVE_STORY_ID: this.storyId };
  }

  /** Runs commands in order in the worktree, stopping at the first failure; output goes to the gate log. */
  private async runCommands(gate: GateId, commands: Array<{ name: string; argv: string[] }>, logPath: string): Promise<{ ok: true } | { ok: false; name: string; argv: string[]; output: string; why: string }> {
    for (const c of commands) {
      if (this.host.stopping) return { ok: false, name: c.name, argv: c.argv, output: '', why: 'the session is stopping' };
      this.note(logPath, `$ ${c.name}: ${JSON.stringify(c.argv)}`);
      const r = await runCommand(c.argv, {
        cwd: this.worktreePath,
        env: this.commandEnv(),
        timeoutMs: this.timeoutMs,
        groups: this.host.executor.groups,
        sessionId: this.host.sessionId,
        storyId: this.storyId,
        label: `${gate} ${c.name}`,
      });
      try {
        appendFileSync(logPath, r.output.endsWith('\n') || r.output === '' ? r.output : `${r.output}\n`);
      } catch {
        // Logging is best effort.
      }
      if (r.exitCode !== 0) {
        const why = r.spawnError
          ? `could not start (${r.spawnError})`
          : r.timedOut
            ? `timed out after ${Math.round(this.timeoutMs / 1000)} s`
            : r.signal
              ? `was killed by ${r.signal}`
              : `exited with code ${r.exitCode}`;
        this.note(logPath, `${c.name} ${why}`);
        return { ok: false, name: c.name, argv: c.argv, output: r.output, why };
      }
      this.note(logPath, `${c.name} passed in ${r.durationMs} ms`);
    }
    return { ok: true };
  }

  /** gate-4: the project's QA commands; on failure the agent gets their output and fixes (4.5 loop), then escalation. */
  private async qa(attempt: number, logPath: string): Promise<GateOutcome> {
    const usageList: UsageSummary[] = [];
    if (this.data.feedbackFile) {
      const feedback = this.data.feedbackFile;
      this.note(logPath, `fix phase ${this.data.qaFixes + 1} of ${this.maxRetries} with feedback ${feedback}`);
      const fix = await this.runAgent('gate-4', 'fix', logPath, feedback);
      usageList.push(fix.usage);
      if (this.host.stopping) return { status: 'failed', reason: 'stopped', usage: usageList };
      this.data.qaFixes += 1;
      if (fix.status !== 'succeeded') {
        const failed = this.agentFailure(fix, 'fix');
        if (failed.storyStatus === 'blocked' || this.host.stopping) return failed;
        return this.qaGiveUpOrRetry({ ...failed, usage: usageList }, failed.reason ?? 'the fix phase failed');
      }
      this.data.feedbackFile = null;
      await this.host.executor.worktrees.commitAll(this.storyId, `${this.storyId}: QA fix ${this.data.qaFixes} (wave gate-4)`);
      this.cleanHead = await this.head();
      const { violation } = await this.checkBoundaries();
      if (violation) return { ...violation, reason: `After the QA fix: ${violation.reason}`, usage: usageList };
    }
    const qa = this.host.config.qa;
    const head = usageList.length ? undefined : this.headSha;
    if (qa.length === 0) return { status: 'passed', usage: usageList, headSha: head, detail: { note: 'no QA commands configured (wave.config.json "qa")' } };
    const result = await this.runCommands('gate-4', qa, logPath);
    if (result.ok) return { status: 'passed', usage: usageList, headSha: head, detail: { commands: qa.map((c) => c.name), fixes: this.data.qaFixes } };
    if (this.host.stopping) return { status: 'failed', reason: 'stopped', usage: usageList };
    const feedbackFile = this.host.files.feedbackFile(this.storyId, attempt);
    const tail = result.output.length > FEEDBACK_TAIL_CHARS ? `…${result.output.slice(-FEEDBACK_TAIL_CHARS)}` : result.output;
    SessionFiles.write(
      feedbackFile,
      [`QA command "${result.name}" (${JSON.stringify(result.argv)}) ${result.why} in ${this.worktreePath}.`, '', 'Its output:', '', tail, ''].join('\n'),
    );
    this.data.feedbackFile = feedbackFile;
    const reason = `QA command "${result.name}" ${result.why}: ${oneLine(result.output.split('\n').filter(Boolean).slice(-3).join(' | '), 240)}`;
    return this.qaGiveUpOrRetry({ status: 'failed', reason, usage: usageList, detail: { command: result.name, feedbackFile } }, reason);
  }

  private qaGiveUpOrRetry(outcome: GateOutcome, reason: string): GateOutcome {
    if (this.data.qaFixes >= this.maxRetries) {
      return {
        ...outcome,
        storyStatus: 'escalated',
        next: 'end',
        reason: `QA still fails after ${this.data.qaFixes} fix attempt${this.data.qaFixes === 1 ? '' : 's'} (execution.max_retries = ${this.maxRetries}): ${reason}. A person must look at the story branch ${this.run.branch ?? ''}.`,
      };
    }
    return { ...outcome, storyStatus: 'running', next: 'retry' };
  }

  /** gate-5: the story's own validation commands. */
  private async acceptance(logPath: string): Promise<GateOutcome> {
    const raw = this.story.validation?.commands ?? [];
    const commands = raw
      .map((c, i) => ({ name: `validation-${i + 1}`, argv: Array.isArray(c) ? c.map(String) : String(c).trim().split(/\s+/) }))
      .filter((c) => c.argv.length > 0 && c.argv[0] !== '');
    if (commands.length === 0) return { status: 'passed', headSha: this.headSha, detail: { note: 'the story has no validation commands' } };
    const r = await this.runCommands('gate-5', commands, logPath);
    if (r.ok) return { status: 'passed', headSha: this.headSha, detail: { commands: commands.length } };
    return { status: 'failed', reason: `Validation command ${JSON.stringify(r.argv)} ${r.why}: ${oneLine(r.output.split('\n').filter(Boolean).slice(-3).join(' | '), 240)}` };
  }

  /** gate-6: the target branch merged into the story branch; QA again if the target moved. */
  private async mergePrep(logPath: string): Promise<GateOutcome> {
    const prep = await this.host.executor.merger.mergeTargetIntoStory(this.storyId);
    if (!prep.ok) return { status: 'failed', reason: prep.message, detail: { conflicts: prep.conflicts } };
    if (prep.targetMoved && this.host.config.qa.length > 0) {
      const r = await this.runCommands('gate-6', this.host.config.qa, logPath);
      if (!r.ok) return { status: 'failed', reason: `QA command "${r.name}" ${r.why} after ${this.host.config.targetBranch} was merged into the story: ${oneLine(r.output.split('\n').filter(Boolean).slice(-3).join(' | '), 240)}` };
    }
    return { status: 'passed', headSha: prep.headSha, detail: { targetMoved: prep.targetMoved, targetSha: prep.targetSha } };
  }

  /** gate-7: the story lands on the target branch under the repository lock; the SHA is recorded. */
  private async merge(): Promise<GateOutcome> {
    try {
      const r = await this.host.executor.merger.mergeStoryIntoTarget(this.storyId, {
        strategy: this.host.config.mergeStrategy,
        ...(this.host.config.requireMergeApproval && this.approvedHead ? { expectHead: this.approvedHead } : {}),
      });
      return {
        status: 'passed',
        storyStatus: 'merged',
        patch: { mergeSha: r.sha },
        detail: { sha: r.sha, alreadyMerged: r.alreadyMerged, strategy: r.strategy, previousTargetSha: r.previousTargetSha },
        // Merged: the worktree and branch have done their job.
        after: async () => {
          await this.host.executor.worktrees.remove(this.storyId, { deleteBranch: true });
        },
      };
    } catch (e) {
      // The branch moved between the approval check and the merge: ask for an approval again.
      if (e instanceof ExecutorError && e.code === 'branch_changed') return { status: 'failed', reason: e.message, storyStatus: 'running', next: 'retry' };
      if (e instanceof ExecutorError && (e.code === 'merge_conflict' || e.code === 'not_fast_forward' || e.code === 'target_moved')) {
        if (this.data.mergeLoops < MAX_MERGE_LOOPS) {
          this.data.mergeLoops += 1;
          return { status: 'failed', reason: `${e.message} Going back to gate-6.`, storyStatus: 'running', next: { goto: 'gate-6' } };
        }
      }
      return { status: 'failed', reason: describeError(e) };
    }
  }
}
