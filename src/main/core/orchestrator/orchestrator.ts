import os from 'node:os';
import type { Session, Store } from '../../store';
import { repositories } from '../../store/repos';
import { pipelineRepo } from '../../store/repos/pipeline-repo';
import {
  RecoveryService,
  resumeSession,
  type InterruptedSession,
  type RecoveryStrategy,
  type SessionRecoveryResult,
} from '../checkpointer';
import { teeToChannel } from '../control';
import { PrdService } from '../prd';
import { ControlFiles } from './control-files';
import { grantDomainOverride, type DomainOverrideGrant } from './domain-override';
import { OrchestratorError } from './errors';
import { approveMerge as approveMergeRecord, type MergeApproval } from './merge-approval';
import { configFromWaveConfig, parseSessionConfig, type SessionConfig } from './session-config';
import { toSessionOutcome } from './session-outcome';
import { SessionRun, type OrchestratorEnv, type StopSummary } from './session-run';
import { resolveOrchestratorOptions } from './orchestrator-env';
import {
  assertApprovedFor,
  assertPresetUsable,
  assertRepoFree,
  createSession,
  loadProjectConfig,
  type StartSessionRequest,
} from './session-start';
import { SessionProjection } from './session-ui';
import { SessionViewReader, type LiveSessionFacts } from './session-views';
import {
  recordedButNotResumed,
  recoveryToOrchestrator,
  type OrchestratorDeps,
  type ResumeRequest,
  type SessionHandle,
} from './orchestrator-api';

export type { StartSessionRequest } from './session-start';
export type { OrchestratorDeps, OrchestratorOptions, ResumeRequest, SessionHandle } from './orchestrator-api';

/**
 * Drives sessions: an approved PRD's stories in waves, each story through the 8 gates
 * with a checkpoint after every gate, within budget, stoppable at any moment and
 * resumable after a stop or a crash. One instance per process (the app, `wave run`).
 */
export class Orchestrator {
  readonly store: Store;
  private readonly o: OrchestratorEnv;
  private readonly runs = new Map<string, SessionRun>();
  private disposed: Promise<void> | null = null;

  constructor(deps: OrchestratorDeps) {
    const options = resolveOrchestratorOptions(deps.options);
    this.store = deps.store;
    this.o = {
      store: deps.store,
      bus: deps.bus,
      hub: teeToChannel(deps.hub ?? null, deps.control ?? null),
      control: deps.control ?? null,
      dataDir: deps.dataDir,
      env: deps.env ?? process.env,
      log: deps.log ?? (() => {}),
      options,
      prds: new PrdService(deps.store),
      repo: pipelineRepo(deps.store),
      views: new SessionViewReader(repositories(deps.store)),
    };
  }

  get views(): SessionViewReader {
    return this.o.views;
  }

  /** Sessions this process is driving right now. */
  runningSessionIds(): string[] {
    return [...this.runs.keys()];
  }

  isRunning(sessionId: string): boolean {
    return this.runs.has(sessionId);
  }

  handle(sessionId: string): SessionHandle | null {
    const run = this.runs.get(sessionId);
    return run ? { sessionId, done: run.done } : null;
  }

  liveFacts(sessionId: string): LiveSessionFacts | null {
    return this.runs.get(sessionId)?.liveFacts() ?? null;
  }

  progressOf(storyRunId: string): { message: string; pct: number | null } | null {
    const sessionId = storyRunId.slice(0, storyRunId.lastIndexOf(':'));
    return this.runs.get(sessionId)?.progressOf(storyRunId) ?? null;
  }

  /** Sessions left running by a process that is gone (crash, kill -9). */
  findInterrupted(): Promise<InterruptedSession[]> {
    return new RecoveryService(this.store, { leaseMs: this.o.options.leaseMs, log: this.o.log }).findInterrupted();
  }

  private assertOpen(): void {
    if (this.disposed) throw new OrchestratorError('conflict', 'WAVE is shutting down; no session can start now.');
  }

  private assertRepoFree(repoPath: string, except?: string): void {
    assertRepoFree(this.runs, repoPath, except);
  }

  private track(run: SessionRun): SessionHandle {
    this.runs.set(run.sessionId, run);
    // Registered first, so it runs before any caller's `await done` continues.
    const forget = () => {
      this.runs.delete(run.sessionId);
    };
    run.done.then(forget, (e) => {
      forget();
      this.o.log(`session ${run.sessionId} ended with an error: ${(e as Error).message}`);
    });
    return { sessionId: run.sessionId, done: run.done };
  }

  /**
   * Starts a session over an approved PRD: refuses when the approval is missing or no
   * longer matches the PRD's content, then runs every wave in the background.
   */
  async startSession(req: StartSessionRequest): Promise<SessionHandle> {
    this.assertOpen();
    const { row, config } = await createSession(this.o, req, (repoPath) => this.assertRepoFree(repoPath));
    const run = await SessionRun.open(this.o, row, config, { kind: 'start' });
    return this.track(run);
  }

  /**
   * Creates and plans a session as startSession does, without running it here: a fleet
   * coordinator (src/main/core/fleet) hands its story runs to workers. Needs project.remote.
   * `ui` is what this process's windows (or the CLI's renderer) see of it, fed by the coordinator.
   */
  async createFleetSession(
    req: StartSessionRequest,
  ): Promise<{ sessionId: string; config: SessionConfig; ui: SessionProjection }> {
    this.assertOpen();
    const { row, config } = await createSession(this.o, req, (repoPath) => this.assertRepoFree(repoPath), true);
    if (!config.remote) {
      await this.o.repo.setStatus(row.id, 'failed', 'A fleet session needs project.remote in wave.config.json.');
      throw new OrchestratorError(
        'precondition_failed',
        `A session on the fleet needs project.remote in ${config.repoPath}/wave.config.json: the git remote (path or URL) workers clone and push to.`,
      );
    }
    return { sessionId: row.id, config, ui: this.projection(row.id) };
  }

  /**
   * The checks every way of continuing a session makes, for a fleet session's new coordinator
   * (src/main/core/fleet/fleet-session.ts), with what this process's windows see of it.
   */
  async continueOnFleet(sessionId: string): Promise<{ row: Session; config: SessionConfig; ui: SessionProjection }> {
    const { row, config } = await this.prepareContinue(sessionId);
    return { row, config, ui: this.projection(sessionId) };
  }

  private projection(sessionId: string): SessionProjection {
    return new SessionProjection(sessionId, {
      sink: this.o.hub,
      views: this.o.views,
      repo: this.o.repo,
      control: new ControlFiles(this.o.dataDir),
      storeKind: this.store.kind,
      changeIntervalMs: this.o.options.storyChangeIntervalMs,
      log: this.o.log,
    });
  }

  /** What every way of continuing a session checks first; returns the config to run with. */
  private async prepareContinue(sessionId: string): Promise<{ row: Session; config: SessionConfig }> {
    this.assertOpen();
    if (this.runs.has(sessionId))
      throw new OrchestratorError('conflict', `Session ${sessionId} is already running in this process.`);
    const row = await this.o.repo.session(sessionId);
    if (!row)
      throw new OrchestratorError('not_found', `Session ${sessionId} does not exist. List sessions with: wave status`);
    let config = parseSessionConfig(sessionId, row.config);
    this.assertRepoFree(config.repoPath, sessionId);
    // The session's own preset, recorded when it started, is the one the approval must cover.
    await assertApprovedFor(this.o, config.prdId, config.agent.preset, `Session ${sessionId} not resumed`);
    // What a lead may have fixed in between (a QA command, a domain) applies on resume.
    const loaded = await loadProjectConfig(config.repoPath);
    config = {
      ...config,
      ...configFromWaveConfig(loaded.config),
      agent: { ...config.agent, command: loaded.config.agent.command ?? config.agent.command },
    };
    assertPresetUsable(config, this.o.env);
    return { row, config };
  }

  private async openContinued(
    sessionId: string,
    config: SessionConfig,
    recovery: SessionRecoveryResult,
    budgetUsd: number | null | undefined,
  ): Promise<SessionHandle> {
    const fresh = await this.o.repo.updateConfig(sessionId, config as unknown as Record<string, unknown>, budgetUsd);
    if (!fresh) throw new OrchestratorError('not_found', `Session ${sessionId} disappeared from the store.`);
    const run = await SessionRun.open(this.o, fresh, config, { kind: 'resume', recovery });
    return this.track(run);
  }

  /**
   * Continues a stopped, paused or interrupted session: applies the recovery strategy
   * (claiming the session for this process), stops what a dead owner left running,
   * reconciles worktrees and branches, then runs each story from its recovery point.
   */
  async resume(sessionId: string, req: ResumeRequest): Promise<SessionHandle> {
    const { row, config } = await this.prepareContinue(sessionId);
    if (row.status === 'completed')
      throw new OrchestratorError('precondition_failed', `Session ${sessionId} completed; there is nothing to resume.`);
    const recovery = await resumeSession(
      this.store,
      sessionId,
      {
        strategy: req.strategy as RecoveryStrategy,
        gate: req.gate,
        perStory: req.perStory,
        onlyStories: req.onlyStories,
        includeFailed: req.includeFailed,
        force: req.force,
        actor: req.actor ?? 'wave',
        claimAs: { pid: process.pid, host: os.hostname() },
      },
      { leaseMs: this.o.options.leaseMs, log: this.o.log },
    ).catch(recoveryToOrchestrator);
    return this.openContinued(sessionId, config, recovery, req.budgetUsd);
  }

  /**
   * A lead's override of a story's failed domain check: records it (who, why, which paths)
   * and resumes the session with that story from gate-3, where the override lets exactly
   * those paths through and the executor writes it to the audit log. The rest of the
   * session resumes from its last checkpoints as on any resume.
   */
  async overrideDomain(
    sessionId: string,
    storyId: string,
    req: { reason: string; actor: string; force?: boolean },
  ): Promise<{ grant: DomainOverrideGrant; handle: SessionHandle }> {
    this.assertOpen();
    if (this.runs.has(sessionId))
      throw new OrchestratorError(
        'conflict',
        `Session ${sessionId} is running in this process; stop it or let it end before overriding a domain check.`,
      );
    const grant = await grantDomainOverride(this.store, { sessionId, storyId, reason: req.reason, actor: req.actor });
    const handle = await this.resume(sessionId, {
      strategy: 'resume_from_last',
      perStory: { [storyId]: { strategy: 'resume_from_gate', gate: 'gate-3' } },
      force: req.force,
      actor: req.actor,
    }).catch(recordedButNotResumed('override'));
    return { grant, handle };
  }

  /**
   * A person approves merging a story that waits at gate-7 (merge.requireApproval): the
   * approval, bound to the commit gate-7 asked about, goes to the audit log and the session
   * resumes; the story merges if its branch is still at that commit.
   */
  async approveMerge(
    sessionId: string,
    storyId: string,
    req: { actor: string; comment?: string; headSha?: string; force?: boolean },
  ): Promise<{ approval: MergeApproval; handle: SessionHandle }> {
    this.assertOpen();
    if (this.runs.has(sessionId))
      throw new OrchestratorError(
        'conflict',
        `Session ${sessionId} is running in this process; approve the merge once it has paused for the approval.`,
      );
    const approval = await approveMergeRecord(this.store, {
      sessionId,
      storyId,
      actor: req.actor,
      comment: req.comment,
      headSha: req.headSha,
    });
    const handle = await this.resume(sessionId, {
      strategy: 'resume_from_last',
      force: req.force,
      actor: req.actor,
    }).catch(recordedButNotResumed('approval'));
    return { approval, handle };
  }

  /**
   * Continues a session whose recovery was already applied (by `wave resume`, with or
   * without claiming it for this process): the same as resume() from there on. If it
   * cannot run here, a claim this process holds is released and the session left stopped.
   */
  async continueRecovered(
    recovery: SessionRecoveryResult,
    opts: { budgetUsd?: number | null } = {},
  ): Promise<SessionHandle> {
    const sessionId = recovery.sessionId;
    let prepared;
    try {
      prepared = await this.prepareContinue(sessionId);
    } catch (e) {
      await this.o.repo.releaseClaim(sessionId, (e as Error).message, { pid: process.pid, host: os.hostname() });
      throw e;
    }
    if (prepared.row.status === 'completed') {
      // The recovery found nothing left to run.
      const view = await this.o.views.sessionView(sessionId, null, () => null);
      return { sessionId, done: Promise.resolve(toSessionOutcome(view!)) };
    }
    return this.openContinued(sessionId, prepared.config, recovery, opts.budgetUsd);
  }

  /**
   * Emergency stop of sessions this process drives (one, or all when no id is given).
   * Resolves once each is `stopped` with its report.
   */
  async stop(sessionId?: string, opts: { reason?: string; by?: string } = {}): Promise<StopSummary[]> {
    const targets = sessionId
      ? [this.runs.get(sessionId)].filter((r): r is SessionRun => !!r)
      : [...this.runs.values()];
    const reason = opts.reason?.trim() || 'emergency stop';
    const by = opts.by?.trim() || 'lead';
    const reports = await Promise.all(targets.map((r) => r.emergencyStop(reason, by)));
    await Promise.all(targets.map((r) => r.done.catch(() => undefined)));
    return reports;
  }

  /** Stops every session this process drives (each ends `stopped`, resumable) and releases them. Safe to call twice. */
  dispose(): Promise<void> {
    this.disposed ??= (async () => {
      await this.stop(undefined, { reason: 'WAVE is shutting down', by: 'wave' }).catch((e) =>
        this.o.log(`stopping sessions on shutdown failed: ${(e as Error).message}`),
      );
    })();
    return this.disposed;
  }
}
