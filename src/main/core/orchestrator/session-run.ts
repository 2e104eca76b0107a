import os from 'node:os';
import { and, asc, eq, inArray, sql } from 'drizzle-orm';
import type { EventDraft } from '../../../shared/events';
import type { EventName, EventOf, Notice, StoryRunView } from '../../../shared/ipc';
import type { StoryDocument } from '../../../shared/stories';
import { auditLog, sessions, stories, storyRuns, usage, type GateId, type Session, type StoryRun, type Store } from '../../store';
import { Checkpointer, pipelineFromConfig, SessionLease, type SessionRecoveryResult } from '../checkpointer';
import type { EventBus, Subscription } from '../events';
import { createExecutor, type Executor } from '../executor';
import type { PrdService } from '../prd';
import { resolveAgentPreset, type ResolvedPreset } from './agent-presets';
import { BudgetGuard, type BudgetCrossing } from './budget';
import { ChangeThrottle } from './change-throttle';
import { ControlFiles, readKillSwitch } from './control-files';
import type { SessionConfig } from './session-config';
import { isAwaitingMergeApproval } from './merge-approval';
import { SessionFiles } from './session-files';
import { toSessionOutcome, type SessionOutcome } from './session-outcome';
import type { LiveSessionFacts, SessionViewReader, StoryMeta } from './session-views';
import { StoryPipeline, type PipelineHost, type StoryStart } from './story-pipeline';

/** Where pushed UI events go (the app's EventHub, or a CLI's progress renderer). */
export interface EventSink {
  publish<E extends EventName>(name: E, payload: EventOf<E>): unknown;
}

export interface ResolvedOrchestratorOptions {
  agentEnv: Record<string, string>;
  phaseTimeoutMs: number | null;
  graceMs: number;
  controlIntervalMs: number;
  heartbeatMs: number;
  leaseMs: number;
  storyChangeIntervalMs: number;
  metricsIntervalMs: number;
  priceFile: string | undefined;
  committer: { name: string; email: string };
}

/** What every session run of one orchestrator shares. */
export interface OrchestratorEnv {
  store: Store;
  bus: EventBus;
  hub: EventSink | null;
  dataDir: string;
  env: NodeJS.ProcessEnv;
  log: (line: string) => void;
  options: ResolvedOrchestratorOptions;
  prds: PrdService;
  views: SessionViewReader;
}

export type SessionMode = { kind: 'start' } | { kind: 'resume'; recovery: SessionRecoveryResult };

export interface StopSummary {
  sessionId: string;
  /** Agent (and QA command) process groups that were running and got stopped. */
  stoppedAgents: number;
  /** Processes of the session still alive afterwards, by a /proc scan: should be 0. */
  aliveAfter: number;
  /** Story runs left in `stopped`, each at its last checkpoint. */
  storiesCheckpointed: number;
}

class Deferred {
  resolve!: () => void;
  readonly promise = new Promise<void>((r) => (this.resolve = r));
}

/**
 * One session being driven by this process: its lease, executor, budget and the waves of
 * stories. Created by the Orchestrator; `done` settles when the session completes, fails,
 * pauses or stops, with every resource released.
 */
export class SessionRun implements PipelineHost {
  readonly sessionId: string;
  readonly files: SessionFiles;
  readonly checkpointer: Checkpointer;
  readonly done: Promise<SessionOutcome>;
  private readonly control: ControlFiles;
  private readonly budget: BudgetGuard;
  private readonly throttle: ChangeThrottle;
  private readonly progress = new Map<string, StoryRunView['progress']>();
  private readonly meta = new Map<string, StoryMeta>();
  private readonly loopDone = new Deferred();
  private readonly subscriptions: Subscription[] = [];
  private readonly storyErrors: string[] = [];
  private currentWave: number | null = null;
  private stopRequest: { reason: string; by: string } | null = null;
  private stopPromise: Promise<StopSummary> | null = null;
  private pausing = false;
  /** Set once the waves are over without a stop: a stop request then has nothing left to stop. */
  private closing = false;
  private pauseWrite: Promise<void> = Promise.resolve();
  private lost = false;
  private controlTimer: NodeJS.Timeout | null = null;
  private metricsTimer: NodeJS.Timeout | null = null;
  private controlBusy = false;
  private controlTicks = 0;
  private eventsSinceTick = 0;
  private lastTickAt = Date.now();
  private viewDirty = true;
  private publishErrors = 0;

  private constructor(
    private readonly o: OrchestratorEnv,
    private readonly session: Session,
    readonly config: SessionConfig,
    readonly executor: Executor,
    readonly preset: ResolvedPreset,
    private readonly lease: SessionLease,
    spentUsd: number,
    mode: SessionMode,
  ) {
    this.sessionId = session.id;
    this.files = new SessionFiles(o.dataDir, session.id);
    this.control = new ControlFiles(o.dataDir);
    this.checkpointer = new Checkpointer(o.store, { pipeline: pipelineFromConfig(config), log: o.log });
    this.budget = new BudgetGuard(session.budgetUsd === null ? null : Number(session.budgetUsd), spentUsd);
    this.throttle = new ChangeThrottle(o.options.storyChangeIntervalMs, (key) => this.emitChange(key));
    this.done = this.main(mode);
  }

  /** Takes the session's lease and its executor, then starts driving it. */
  static async open(o: OrchestratorEnv, session: Session, config: SessionConfig, mode: SessionMode): Promise<SessionRun> {
    const preset = resolveAgentPreset(config.agent.preset, config.agent.command, o.env);
    let onLost: (reason: string) => void = () => {};
    const lease = await SessionLease.acquire(o.store, session.id, {
      status: 'running',
      heartbeatMs: o.options.heartbeatMs,
      leaseMs: o.options.leaseMs,
      log: o.log,
      onLost: (r) => onLost(r),
    });
    let executor: Executor;
    try {
      executor = await createExecutor({
        repoPath: config.repoPath,
        dataDir: o.dataDir,
        targetBranch: config.targetBranch,
        domains: config.domains,
        audit: {
          record: async (e) => {
            await o.store.db.insert(auditLog).values({
              actor: e.actor,
              action: e.action,
              subjectType: 'story',
              subjectId: `${session.id}/${e.storyId}`,
              detail: { reason: e.reason, ...e.detail },
            });
          },
        },
        concurrency: config.concurrency,
        graceMs: o.options.graceMs,
        mergeStrategy: config.mergeStrategy,
        copyFiles: config.copyFiles,
        setupCommand: config.setup ?? undefined,
        committer: o.options.committer,
        priceFile: o.options.priceFile,
        redisUrl: o.env.REDIS_URL || undefined,
      });
    } catch (e) {
      await lease.release({ status: 'failed', stopReason: `Could not prepare the repository ${config.repoPath}: ${(e as Error).message}` }).catch(() => undefined);
      throw e;
    }
    const [spent] = await o.store.db
      .select({ total: sql<string>`coalesce(sum(${usage.costUsd}), 0)` })
      .from(usage)
      .where(eq(usage.sessionId, session.id));
    const run = new SessionRun(o, { ...session, status: 'running' }, config, executor, preset, lease, Number(spent?.total ?? 0), mode);
    onLost = (reason) => run.onLeaseLost(reason);
    return run;
  }

  // ---- PipelineHost ----

  get store(): Store {
    return this.o.store;
  }

  get prds(): PrdService {
    return this.o.prds;
  }

  get agentEnv(): Record<string, string> {
    return this.o.options.agentEnv;
  }

  get phaseTimeoutMs(): number | null {
    return this.o.options.phaseTimeoutMs;
  }

  get stopping(): boolean {
    return this.stopRequest !== null;
  }

  get stopReason(): string {
    return this.stopRequest?.reason ?? '';
  }

  get budgetExhausted(): boolean {
    return !this.budget.hasRoom;
  }

  get isPaused(): boolean {
    return this.pausing;
  }

  log(line: string): void {
    this.o.log(`[${this.sessionId}] ${line}`);
  }

  setProgress(storyRunId: string, progress: StoryRunView['progress']): void {
    if (progress) this.progress.set(storyRunId, progress);
    else this.progress.delete(storyRunId);
  }

  progressOf(storyRunId: string): StoryRunView['progress'] {
    return this.progress.get(storyRunId) ?? null;
  }

  storyChanged(storyRunId: string): void {
    this.viewDirty = true;
    this.throttle.request(storyRunId);
  }

  liveFacts(): LiveSessionFacts {
    return { currentWave: this.currentWave };
  }

  async publish(draft: EventDraft): Promise<void> {
    try {
      await this.o.bus.publish({ source: 'orchestrator', ...draft } as EventDraft);
    } catch (e) {
      // The bus is for observers; the store holds the truth. Say it, do not fail the gate.
      if (this.publishErrors++ < 5) this.log(`could not publish ${draft.type} to the event bus: ${(e as Error).message}`);
    }
  }

  notice(kind: Notice['kind'], title: string, body: string): void {
    this.hub('notice', { kind, title, body, sessionId: this.sessionId, at: new Date().toISOString() });
  }

  addCost(costUsd: number): void {
    this.handleCrossings(this.budget.add(costUsd));
  }

  pauseForBudget(): void {
    if (this.pausing) return;
    this.pausing = true;
    const reason =
      `Budget used up: $${this.budget.spentUsd.toFixed(4)} of $${(this.budget.budgetUsd ?? 0).toFixed(2)}. ` +
      'Gates already running finish; no new agent phase starts. Raise the budget and resume the session.';
    this.pauseWrite = (async () => {
      if (!this.lost && !this.stopping) {
        await this.o.store.db.update(sessions).set({ status: 'paused', stopReason: reason }).where(eq(sessions.id, this.sessionId));
      }
      await this.publish({ type: 'session_paused', session: this.sessionId, reason, by: 'budget' });
      this.publishSession();
    })().catch((e) => this.log(`could not record the budget pause: ${(e as Error).message}`));
  }

  // ---- lifecycle ----

  private hub<E extends EventName>(name: E, payload: EventOf<E>): void {
    if (!this.o.hub) return;
    try {
      this.o.hub.publish(name, payload);
    } catch (e) {
      this.log(`could not push ${name} to the UI: ${(e as Error).message}`);
    }
  }

  private handleCrossings(crossings: BudgetCrossing[]): void {
    for (const c of crossings) {
      if (c.kind === 'warning') {
        void this.publish({ type: 'budget_warning', session: this.sessionId, spent_usd: c.spentUsd, budget_usd: c.budgetUsd, pct: c.pct });
        this.notice('budget_warning', `Session ${this.sessionId} has used ${c.pct}% of its budget`, `$${c.spentUsd.toFixed(4)} of $${c.budgetUsd.toFixed(2)} spent. At 100% no new agent phase starts and the session pauses.`);
      } else {
        void this.publish({ type: 'budget_exceeded', session: this.sessionId, spent_usd: c.spentUsd, budget_usd: c.budgetUsd });
        this.notice('budget_exceeded', `Session ${this.sessionId} is out of budget`, `$${c.spentUsd.toFixed(4)} of $${c.budgetUsd.toFixed(2)} spent. Running gates finish, no new agent phase starts, and the session pauses. Raise the budget and resume it.`);
        this.pauseForBudget();
      }
    }
  }

  private async main(mode: SessionMode): Promise<SessionOutcome> {
    let fatal: unknown = null;
    try {
      await this.startControl();
      this.publishSession();
      if (mode.kind === 'resume') {
        await this.publish({ type: 'session_resumed', session: this.sessionId, strategy: mode.recovery.strategy, by: 'orchestrator' });
      }
      const starts = await this.plan(mode);
      this.handleCrossings(this.budget.crossings());
      await this.runWaves(starts);
    } catch (e) {
      fatal = e;
    }
    if (!this.stopPromise) this.closing = true;
    this.loopDone.resolve();
    try {
      if (this.stopPromise) await this.stopPromise;
      else if (!this.lost) await this.finish(fatal);
    } catch (e) {
      this.log(`could not record how the session ended: ${(e as Error).message}`);
    } finally {
      await this.cleanup();
    }
    const view = await this.o.views.sessionView(this.sessionId, null, () => null);
    if (!view) throw new Error(`Session ${this.sessionId} disappeared from the store.`);
    return toSessionOutcome(view);
  }

  /** Where each story starts: gate-0 for a new session; the recovery plan on resume. */
  private async plan(mode: SessionMode): Promise<Map<string, StoryStart>> {
    const starts = new Map<string, StoryStart>();
    if (mode.kind === 'start') {
      const runs = await this.o.store.db.select().from(storyRuns).where(eq(storyRuns.sessionId, this.sessionId));
      for (const r of runs) if (r.status === 'queued') starts.set(r.storyId, { gate: (r.currentGate as GateId | null) ?? 'gate-0', checkpoint: null, resumed: false });
      return starts;
    }
    // Leftovers of the process that ran this session before: its agents first, then
    // worktrees and branches of stories that will not continue.
    const leftovers = await this.executor.groups.stopSession(this.sessionId, this.o.options.graceMs);
    if (leftovers.stopped > 0) this.log(`stopped ${leftovers.stopped} agent process group(s) left by the previous run (${leftovers.aliveAfter} still alive)`);
    const plans = mode.recovery.stories;
    const continuing = plans.filter((p) => (p.action === 'resume' || p.action === 'restart') && p.nextGate !== null);
    const report = await this.executor.worktrees.reconcile({ keep: continuing.map((p) => p.storyId) });
    if (report.removedWorktrees.length || report.deletedBranches.length) {
      this.log(`reconciled the repository: removed worktrees ${report.removedWorktrees.join(', ') || 'none'}, deleted branches ${report.deletedBranches.join(', ') || 'none'}`);
    }
    // "Every gate had passed": a story whose merge was recorded is merged.
    const complete = plans.filter((p) => p.action === 'complete').map((p) => p.storyRunId);
    if (complete.length) {
      await this.o.store.db
        .update(storyRuns)
        .set({ status: 'merged' })
        .where(and(inArray(storyRuns.id, complete), sql`${storyRuns.mergeSha} is not null`));
    }
    for (const p of continuing) starts.set(p.storyId, { gate: p.nextGate!, checkpoint: p.checkpoint, resumed: true });
    return starts;
  }

  private async runWaves(starts: Map<string, StoryStart>): Promise<void> {
    for (const wave of this.config.waves) {
      if (this.stopping || this.pausing) break;
      const ids = wave.storyIds.filter((id) => starts.has(id));
      if (ids.length === 0) continue;
      this.currentWave = wave.number;
      this.publishSession();
      const runs = await this.o.store.db
        .select()
        .from(storyRuns)
        .where(and(eq(storyRuns.sessionId, this.sessionId), inArray(storyRuns.storyId, ids)))
        .orderBy(asc(storyRuns.storyId));
      const byId = new Map(runs.map((r) => [r.storyId, r]));
      const docs = await this.loadStories(ids);
      const tasks = ids.map((id) =>
        this.executor.pool.submit(() => this.runStory(byId.get(id)!, docs.get(id) ?? null, starts.get(id)!), { id }),
      );
      const results = await Promise.allSettled(tasks);
      results.forEach((r, i) => {
        if (r.status === 'rejected') {
          const e = r.reason as { code?: string; message?: string };
          if (e?.code === 'pool_cancelled' || e?.code === 'pool_closed') return;
          this.storyErrors.push(`${ids[i]}: ${e?.message ?? String(e)}`);
          this.log(`story ${ids[i]} stopped on an error: ${e?.message ?? String(e)}`);
        }
      });
    }
    this.currentWave = null;
  }

  /**
   * True when every unfinished story waits for a merge approval, or is held at gate-0 only by
   * dependencies that (in turn) do: then approving is all it takes for the session to go on.
   * A dependency that failed, was cancelled or blocked for another reason makes it false.
   */
  private async onlyWaitingForApprovals(unfinished: StoryRun[], all: StoryRun[]): Promise<boolean> {
    const docs = await this.loadStories(unfinished.map((r) => r.storyId));
    const byStory = new Map(unfinished.map((r) => [r.storyId, r]));
    const landed = new Set(all.filter((r) => r.status === 'merged' || r.status === 'passed').map((r) => r.storyId));
    const memo = new Map<string, boolean>();
    const waits = (storyId: string, path: Set<string>): boolean => {
      const known = memo.get(storyId);
      if (known !== undefined) return known;
      const r = byStory.get(storyId);
      let ok = false;
      if (r && isAwaitingMergeApproval(r)) ok = true;
      else if (r && r.status === 'blocked' && r.currentGate === 'gate-0' && !path.has(storyId)) {
        // Every dependency has landed or waits (in turn) for an approval; a cancelled one never will.
        const unmet = (docs.get(storyId)?.dependencies ?? []).filter((d) => !landed.has(d));
        const next = new Set(path).add(storyId);
        ok = unmet.length > 0 && unmet.every((d) => waits(d, next));
      }
      memo.set(storyId, ok);
      return ok;
    };
    return unfinished.every((r) => waits(r.storyId, new Set()));
  }

  private async loadStories(ids: string[]): Promise<Map<string, StoryDocument>> {
    const rows = await this.o.store.db
      .select()
      .from(stories)
      .where(and(eq(stories.projectId, this.session.projectId), inArray(stories.storyId, ids)));
    // Keyed like story run ids (`<session>:<story>`).
    for (const r of rows) this.meta.set(`${this.sessionId}:${r.storyId}`, { title: r.title, domain: r.domain });
    return new Map(rows.map((r) => [r.storyId, { ...(r.content as StoryDocument), story_id: r.storyId, domain: r.domain, dependencies: r.dependencies }]));
  }

  private async runStory(run: StoryRun | undefined, story: StoryDocument | null, start: StoryStart): Promise<void> {
    if (!run) return;
    if (!story) {
      await this.o.store.db
        .update(storyRuns)
        .set({ status: 'failed', reason: `Story ${run.storyId} is no longer imported in this project; import it again and resume.`, endedAt: new Date() })
        .where(eq(storyRuns.id, run.id));
      await this.throttle.flush(run.id);
      return;
    }
    try {
      await new StoryPipeline(this, run, story, start).execute();
    } finally {
      await this.throttle.flush(run.id);
    }
  }

  /** The normal end: completed when every story merged, paused for budget, failed otherwise. */
  private async finish(fatal: unknown): Promise<void> {
    await this.pauseWrite;
    const runs = await this.o.store.db.select().from(storyRuns).where(eq(storyRuns.sessionId, this.sessionId));
    const done = runs.filter((r) => r.status === 'merged' || r.status === 'passed' || r.status === 'cancelled');
    const bad = runs.filter((r) => !done.includes(r));
    let status: 'completed' | 'failed' | 'paused';
    let reason: string | null;
    if (fatal || this.storyErrors.length) {
      status = 'failed';
      const what = fatal ? (fatal as Error).message : this.storyErrors.join('; ');
      reason = `The session stopped on an error: ${what}. Fix the cause, then resume it (its checkpoints are intact).`;
    } else if (this.pausing) {
      status = 'paused';
      reason = `Paused: the budget of $${(this.budget.budgetUsd ?? 0).toFixed(2)} is used up ($${this.budget.spentUsd.toFixed(4)} spent); ${bad.length} stor${bad.length === 1 ? 'y waits' : 'ies wait'}. Raise the budget and resume.`;
    } else if (bad.some((r) => isAwaitingMergeApproval(r)) && (await this.onlyWaitingForApprovals(bad, runs))) {
      // Nothing failed: the session waits for a person (merge.requireApproval) and goes on after the approval.
      status = 'paused';
      const waiting = bad.filter((r) => isAwaitingMergeApproval(r)).map((r) => r.storyId);
      reason = `Waiting for merge approval of ${waiting.join(', ')}: approve in the story's detail or with wave approve-merge; the session then continues.`;
    } else if (bad.length === 0) {
      status = 'completed';
      reason = `All ${runs.length} stor${runs.length === 1 ? 'y' : 'ies'} merged into ${this.config.targetBranch}.`;
    } else {
      status = 'failed';
      const counts = new Map<string, string[]>();
      for (const r of bad) counts.set(r.status, [...(counts.get(r.status) ?? []), r.storyId]);
      reason = `${done.length} of ${runs.length} stories merged; ${[...counts].map(([s, ids]) => `${s}: ${ids.join(', ')}`).join('; ')}.`;
    }
    await this.o.store.db
      .update(sessions)
      .set({ status, stopReason: reason, endedAt: status === 'paused' ? null : new Date() })
      .where(eq(sessions.id, this.sessionId));
    await this.o.store.db.insert(auditLog).values({ actor: 'orchestrator', action: `session.${status}`, subjectType: 'session', subjectId: this.sessionId, detail: { reason } });
    if (status === 'paused' && !this.pausing) this.notice('escalation', `Session ${this.sessionId} waits for merge approvals`, reason);
    if (status !== 'paused') this.notice(status, status === 'completed' ? `Session ${this.sessionId} completed` : `Session ${this.sessionId} failed`, reason);
  }

  // ---- emergency stop ----

  /**
   * Emergency stop: the session is marked stopping in the store first, then every agent
   * group of the session is stopped, each running story records a checkpoint, and the
   * session ends `stopped`. Calling it again returns the same promise.
   */
  emergencyStop(reason: string, by: string): Promise<StopSummary> {
    if (this.stopPromise) return this.stopPromise;
    if (this.closing) return Promise.resolve({ sessionId: this.sessionId, stoppedAgents: 0, aliveAfter: this.countAlive().processes, storiesCheckpointed: 0 });
    // Set synchronously: from here no gate, agent phase or command starts.
    this.stopRequest = { reason: reason.trim() || 'emergency stop', by };
    this.stopPromise = this.doStop();
    return this.stopPromise;
  }

  private countAlive(): { groups: number; processes: number } {
    const records = this.executor.groups.forSession(this.sessionId);
    let groups = 0;
    let processes = 0;
    for (const list of this.executor.groups.members(records).values()) {
      if (list.length > 0) groups += 1;
      processes += list.length;
    }
    return { groups, processes };
  }

  private stopProgress(phase: 'stopping' | 'stopped' | 'failed', total: number, stopped: number, alive: number, message: string): void {
    this.hub('stop.progress', { sessionId: this.sessionId, phase, total, stopped, alive, message });
  }

  private async doStop(): Promise<StopSummary> {
    const { reason, by } = this.stopRequest!;
    this.log(`emergency stop by ${by}: ${reason}`);
    if (!this.lost) {
      await this.o.store.db.update(sessions).set({ status: 'stopping', stopReason: `Stopping: ${reason}` }).where(eq(sessions.id, this.sessionId));
    }
    this.publishSession();
    const before = this.countAlive();
    this.stopProgress('stopping', before.groups, 0, before.processes, `Stopping ${before.groups} agent process group(s) of session ${this.sessionId}…`);
    // Every process of the session hears it — unless another process took the session over.
    if (!this.lost) await this.publish({ type: 'emergency_stop', session: this.sessionId, reason, by, host: os.hostname(), pid: process.pid });
    this.executor.pool.cancelPending();
    const report = await this.executor.runner.stopAll(this.sessionId, { graceMs: this.o.options.graceMs });
    const total = Math.max(before.groups, report.stopped);
    this.stopProgress('stopping', total, report.stopped, report.aliveAfter, `Stopped ${report.stopped} of ${total}; waiting for each story to record its checkpoint…`);
    await this.loopDone.promise;
    const after = this.countAlive();
    let storiesCheckpointed = 0;
    if (!this.lost) {
      // A gate that finished normally while the stop ran has its checkpoint: the story just stops there.
      await this.o.store.db
        .update(storyRuns)
        .set({ status: 'stopped', reason: `Stopped: ${reason}`, updatedAt: sql`now()` })
        .where(and(eq(storyRuns.sessionId, this.sessionId), eq(storyRuns.status, 'running')));
      const runs = await this.o.store.db.select({ id: storyRuns.id, status: storyRuns.status }).from(storyRuns).where(eq(storyRuns.sessionId, this.sessionId));
      storiesCheckpointed = runs.filter((r) => r.status === 'stopped').length;
      const detail = { reason, by, stoppedAgents: report.stopped, killed: report.killed, aliveAfter: after.processes, storiesCheckpointed, host: os.hostname(), pid: process.pid };
      await this.o.store.transaction(async (tx) => {
        await tx.update(sessions).set({ status: 'stopped', stopReason: `Stopped by ${by}: ${reason}`, endedAt: new Date() }).where(eq(sessions.id, this.sessionId));
        await tx.insert(auditLog).values({ actor: by, action: 'session.emergency_stop', subjectType: 'session', subjectId: this.sessionId, detail });
      });
    }
    const summary: StopSummary = { sessionId: this.sessionId, stoppedAgents: report.stopped, aliveAfter: after.processes, storiesCheckpointed };
    this.control.writeStopResult({ ...summary, reason, by, at: new Date().toISOString() });
    this.control.clearStop(this.sessionId);
    const ok = after.processes === 0;
    this.stopProgress(
      ok ? 'stopped' : 'failed',
      total,
      report.stopped,
      after.processes,
      ok
        ? `Session ${this.sessionId} stopped: ${report.stopped} agent group(s) stopped, none alive, ${storiesCheckpointed} stor${storiesCheckpointed === 1 ? 'y' : 'ies'} checkpointed.`
        : `${after.processes} process(es) of session ${this.sessionId} are still alive after SIGKILL; check them with ps and kill them by hand.`,
    );
    this.notice(
      'stopped',
      `Session ${this.sessionId} stopped`,
      `${by}: ${reason}. ${report.stopped} agent group(s) stopped, ${after.processes} alive after, ${storiesCheckpointed} stor${storiesCheckpointed === 1 ? 'y' : 'ies'} checkpointed. Resume it to continue from the checkpoints.`,
    );
    this.publishSession();
    return summary;
  }

  private onLeaseLost(reason: string): void {
    this.lost = true;
    this.log(`lost the session lease (${reason}): stopping its agents here without touching its state`);
    void this.emergencyStop(reason, 'lease');
  }

  // ---- control loop, subscriptions, UI ----

  private async startControl(): Promise<void> {
    this.control.register({ sessionId: this.sessionId, pid: process.pid, host: os.hostname(), repoPath: this.config.repoPath, startedAt: new Date().toISOString() });
    try {
      this.subscriptions.push(
        await this.o.bus.subscribeSystem(this.sessionId, (e) => {
          if (e.type === 'emergency_stop') void this.emergencyStop(e.reason, e.by);
        }),
      );
      this.subscriptions.push(
        await this.o.bus.subscribe(
          'orchestrator',
          (e) => {
            this.eventsSinceTick += 1;
            // Events from elsewhere (wave signal, remote agents) show as the story's progress.
            const remote = !e.source || (!e.source.startsWith('agent:') && e.source !== 'orchestrator');
            if (remote && e.story && (e.type === 'progress' || e.type === 'signal')) {
              const id = `${this.sessionId}:${e.story}`;
              const message = e.type === 'progress' ? e.message : `signal ${e.signal}${e.message ? `: ${e.message}` : ''} (from ${e.source ?? 'elsewhere'})`;
              this.setProgress(id, { message: message.slice(0, 500), pct: e.type === 'progress' ? (e.pct ?? null) : null });
              this.storyChanged(id);
            }
          },
          { session: this.sessionId, from: 'new' },
        ),
      );
    } catch (e) {
      this.log(`could not subscribe to the session's events (${(e as Error).message}); stop requests still arrive through the store and the kill switch`);
    }
    this.controlTimer = setInterval(() => void this.controlTick(), this.o.options.controlIntervalMs);
    this.controlTimer.unref();
    this.lastTickAt = Date.now();
    this.metricsTimer = setInterval(() => void this.metricsTick(), this.o.options.metricsIntervalMs);
    this.metricsTimer.unref();
  }

  /** Stop requests that do not come through the bus: the kill switch, `wave stop` via the store or a control file. */
  private async controlTick(): Promise<void> {
    if (this.controlBusy || this.stopping) return;
    this.controlBusy = true;
    try {
      const kill = readKillSwitch(this.config.repoPath);
      if (kill !== null) {
        void this.emergencyStop(kill ? `kill switch .wave/STOP: ${kill}` : 'kill switch .wave/STOP is set', 'kill-switch');
        return;
      }
      const req = this.control.pendingStop(this.sessionId);
      if (req) {
        void this.emergencyStop(req.reason, req.by);
        return;
      }
      if (this.controlTicks++ % 2 === 0) {
        const [row] = await this.o.store.db.select({ status: sessions.status, stopReason: sessions.stopReason }).from(sessions).where(eq(sessions.id, this.sessionId));
        if (row?.status === 'stopping') void this.emergencyStop(row.stopReason?.replace(/^Stopping: /, '') || 'stop requested through the store', 'wave stop');
      }
    } catch (e) {
      this.log(`stop check failed: ${(e as Error).message}`);
    } finally {
      this.controlBusy = false;
    }
  }

  private async metricsTick(): Promise<void> {
    const now = Date.now();
    const perSecond = this.eventsSinceTick / Math.max(0.001, (now - this.lastTickAt) / 1000);
    this.eventsSinceTick = 0;
    this.lastTickAt = now;
    const at = new Date(now).toISOString();
    const overall = this.o.bus.latencySnapshot().overall;
    this.hub('metrics.tick', {
      sessionId: this.sessionId,
      at,
      latency: overall.count > 0 ? { p50Ms: overall.p50Ms, p95Ms: overall.p95Ms, p99Ms: overall.p99Ms, count: overall.count } : null,
      eventsPerSecond: Math.max(0, perSecond),
      costUsd: this.budget.spentUsd,
    });
    if (this.viewDirty && this.o.store.kind === 'pglite') {
      // `wave status` in another process cannot open the embedded store while we hold it.
      this.viewDirty = false;
      await this.writeViewFile().catch(() => undefined);
    }
  }

  private async writeViewFile(): Promise<void> {
    const view = await this.o.views.sessionView(this.sessionId, this.liveFacts(), (id) => this.progressOf(id));
    if (view) this.control.writeView(this.sessionId, { outcome: toSessionOutcome(view), view, writtenAt: new Date().toISOString(), pid: process.pid });
  }

  private async emitChange(key: string): Promise<void> {
    if (key === '#session') {
      const [row] = await this.o.store.db.select().from(sessions).where(eq(sessions.id, this.sessionId));
      if (!row) return;
      const [summary] = await this.o.views.summaries([row], () => this.liveFacts());
      if (summary) this.hub('session.changed', summary);
      return;
    }
    const view = await this.o.views.storyView(key, this.meta.get(key), this.progressOf(key));
    if (view) this.hub('story.changed', view);
  }

  /** Pushes session.changed (coalesced like story changes). */
  publishSession(): void {
    this.viewDirty = true;
    this.throttle.request('#session');
  }

  private async cleanup(): Promise<void> {
    for (const t of [this.controlTimer, this.metricsTimer]) if (t) clearInterval(t);
    this.controlTimer = this.metricsTimer = null;
    for (const s of this.subscriptions.splice(0).reverse()) await s.close().catch(() => undefined);
    await this.executor.dispose().catch((e) => this.log(`closing the executor failed: ${(e as Error).message}`));
    await this.lease.release().catch((e) => this.log(`releasing the session lease failed: ${(e as Error).message}`));
    await this.throttle.flush('#session').catch(() => undefined);
    await this.throttle.flushAll().catch(() => undefined);
    this.throttle.dispose();
    if (this.o.store.kind === 'pglite') await this.writeViewFile().catch(() => undefined);
    this.control.unregister(this.sessionId);
  }
}

