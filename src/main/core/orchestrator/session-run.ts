import os from 'node:os';
import type { EventDraft } from '../../../shared/events';
import type { Session } from '../../store';
import { Checkpointer, pipelineFromConfig, type SessionLease } from '../checkpointer';
import type { Subscription } from '../events';
import type { Executor } from '../executor';
import type { ResolvedPreset } from './agent-presets';
import { ControlFiles } from './control-files';
import {
  budgetPause,
  mayStartWave,
  pausedForBudget,
  requestStop,
  RUNNING,
  stopRequestOf,
  wavesOver,
  type RunState,
} from './run-state';
import type { SessionConfig } from './session-config';
import { SessionBudget } from './session-budget';
import { SessionFiles } from './session-files';
import { openSessionParts } from './session-open';
import { SessionMetrics } from './session-metrics';
import { toSessionOutcome, type SessionOutcome } from './session-outcome';
import { planStarts, type SessionMode } from './session-plan';
import { countAlive, performStop, type StopSummary } from './session-stop';
import { SessionProjection } from './session-ui';
import type { LiveSessionFacts } from './session-views';
import { StopChannels } from './stop-channels';
import { storyEnvOf, type StoryEnv } from './story-env';
import { recordSessionEnd, runWaves, type WaveRunner } from './session-waves';

export type { EventSink } from './session-ui';
export type { SessionMode } from './session-plan';
export type { StopSummary } from './session-stop';

import type { OrchestratorEnv } from './orchestrator-env';
export type { OrchestratorEnv, ResolvedOrchestratorOptions } from './orchestrator-env';

/**
 * One session being driven by this process: its lease, executor, budget and the waves of
 * stories. Its state is one RunState (run-state.ts); stop channels, the UI projection,
 * metrics and the end policy are units of their own. `done` settles when the session
 * completes, fails, pauses or stops, with every resource released.
 */
export class SessionRun {
  readonly sessionId: string;
  readonly done: Promise<SessionOutcome>;
  private readonly files: SessionFiles;
  private readonly checkpointer: Checkpointer;
  private readonly control: ControlFiles;
  private readonly budget: SessionBudget;
  private readonly ui: SessionProjection;
  private readonly metrics: SessionMetrics;
  private readonly stops: StopChannels;
  private readonly storyEnv: StoryEnv;
  private wavesEnded!: () => void;
  /** Settles once no wave runs any more (the stop waits for it before checkpointing). */
  private readonly loopDone = new Promise<void>((r) => (this.wavesEnded = r));
  private readonly storyErrors: string[] = [];
  private state: RunState = RUNNING;
  private stopPromise: Promise<StopSummary> | null = null;
  /** Another process took the session over: stop here without touching its state. */
  private leaseLost = false;
  private events: Subscription | null = null;
  private publishErrors = 0;

  private constructor(
    private readonly o: OrchestratorEnv,
    private readonly session: Session,
    readonly config: SessionConfig,
    private readonly executor: Executor,
    private readonly preset: ResolvedPreset,
    private readonly lease: SessionLease,
    spentUsd: number,
    mode: SessionMode,
  ) {
    this.sessionId = session.id;
    this.files = new SessionFiles(o.dataDir, session.id);
    this.control = new ControlFiles(o.dataDir);
    this.checkpointer = new Checkpointer(o.store, { pipeline: pipelineFromConfig(config), log: o.log });
    const log = (line: string) => this.log(line);
    this.ui = new SessionProjection(session.id, {
      sink: o.hub,
      views: o.views,
      repo: o.repo,
      control: this.control,
      storeKind: o.store.kind,
      changeIntervalMs: o.options.storyChangeIntervalMs,
      log,
    });
    this.budget = new SessionBudget(
      session.id,
      session.budgetUsd === null ? null : Number(session.budgetUsd),
      spentUsd,
      {
        ui: this.ui,
        publish: (d) => this.publish(d),
        pause: () => {
          const { state, changed, record } = budgetPause(this.state);
          this.state = state;
          return { changed, record: record && !this.leaseLost };
        },
        recordPause: (reason) => o.repo.setStatus(session.id, 'paused', reason),
        log,
      },
    );
    this.metrics = new SessionMetrics(session.id, o.bus, this.ui, () => this.budget.spentUsd);
    this.stops = new StopChannels(session.id, {
      bus: o.bus,
      channel: o.control,
      control: this.control,
      repo: o.repo,
      repoPath: config.repoPath,
      stopping: () => this.stopping,
      onStop: (reason, by) => void this.emergencyStop(reason, by),
      log,
    });
    this.storyEnv = storyEnvOf({
      sessionId: session.id,
      store: o.store,
      repo: o.repo,
      config,
      files: this.files,
      checkpointer: this.checkpointer,
      executor,
      preset,
      prds: o.prds,
      agentEnv: o.options.agentEnv,
      phaseTimeoutMs: o.options.phaseTimeoutMs,
      signals: {
        stopRequest: () => stopRequestOf(this.state),
        budget: this.budget,
      },
      out: {
        publish: (d) => this.publish(d),
        setProgress: (id, p) => this.ui.setProgress(id, p),
        progressed: (id, storyId, p) => this.ui.progressed(id, storyId, p),
        storyChanged: (id) => this.ui.storyChanged(id),
        notice: (k, t, b) => this.ui.notice(k, t, b),
        log,
      },
    });
    this.done = this.main(mode);
  }

  /** Takes the session's lease and its executor (session-open.ts), then starts driving it. */
  static async open(
    o: OrchestratorEnv,
    session: Session,
    config: SessionConfig,
    mode: SessionMode,
  ): Promise<SessionRun> {
    const parts = await openSessionParts(o, session, config);
    const run = new SessionRun(
      o,
      { ...session, status: 'running' },
      config,
      parts.executor,
      parts.preset,
      parts.lease,
      parts.spentUsd,
      mode,
    );
    parts.onLost((reason) => run.onLeaseLost(reason));
    return run;
  }

  private get stopping(): boolean {
    return stopRequestOf(this.state) !== null;
  }

  liveFacts(): LiveSessionFacts {
    return this.ui.liveFacts();
  }

  progressOf(storyRunId: string) {
    return this.ui.progressOf(storyRunId);
  }

  private log(line: string): void {
    this.o.log(`[${this.sessionId}] ${line}`);
  }

  private async publish(draft: EventDraft): Promise<void> {
    try {
      await this.o.bus.publish({ source: 'orchestrator', ...draft } as EventDraft);
    } catch (e) {
      // The bus is for observers; the store holds the truth. Say it, do not fail the gate.
      if (this.publishErrors++ < 5)
        this.log(`could not publish ${draft.type} to the event bus: ${(e as Error).message}`);
    }
  }

  // ---- the run ----

  private waveRunner(): WaveRunner {
    return {
      sessionId: this.sessionId,
      projectId: this.session.projectId,
      config: this.config,
      repo: this.o.repo,
      executor: this.executor,
      ui: this.ui,
      storyEnv: this.storyEnv,
      mayStartWave: () => mayStartWave(this.state),
      log: (l) => this.log(l),
    };
  }

  private async main(mode: SessionMode): Promise<SessionOutcome> {
    let fatal: unknown = null;
    try {
      await this.startChannels();
      this.ui.sessionChanged();
      if (mode.kind === 'resume')
        await this.publish({
          type: 'session_resumed',
          session: this.sessionId,
          strategy: mode.recovery.strategy,
          by: 'orchestrator',
        });
      const starts = await planStarts(this.sessionId, mode, {
        repo: this.o.repo,
        executor: this.executor,
        graceMs: this.o.options.graceMs,
        log: (l) => this.log(l),
      });
      this.budget.checkAtStart();
      this.storyErrors.push(...(await runWaves(this.waveRunner(), starts)));
    } catch (e) {
      fatal = e;
    }
    this.state = wavesOver(this.state);
    this.wavesEnded();
    try {
      if (this.stopPromise) await this.stopPromise;
      else if (!this.leaseLost) await this.finish(fatal);
    } catch (e) {
      this.log(`could not record how the session ended: ${(e as Error).message}`);
    } finally {
      await this.cleanup();
    }
    const view = await this.o.views.sessionView(this.sessionId, null, () => null);
    if (!view) throw new Error(`Session ${this.sessionId} disappeared from the store.`);
    return toSessionOutcome(view);
  }

  /** The normal end, as the end policy (session-end.ts) decides it. */
  private async finish(fatal: unknown): Promise<void> {
    await this.budget.written;
    await recordSessionEnd(this.waveRunner(), {
      errors: fatal ? [(fatal as Error).message] : this.storyErrors,
      pausedForBudget: pausedForBudget(this.state),
      budget: { spentUsd: this.budget.spentUsd, budgetUsd: this.budget.budgetUsd },
    });
  }

  // ---- emergency stop ----

  /** Emergency stop (session-stop.ts). Calling it again returns the same promise. */
  emergencyStop(reason: string, by: string): Promise<StopSummary> {
    if (this.stopPromise) return this.stopPromise;
    const { state, answer } = requestStop(this.state, { reason: reason.trim() || 'emergency stop', by });
    if (answer === 'closed')
      return Promise.resolve({
        sessionId: this.sessionId,
        stoppedAgents: 0,
        aliveAfter: countAlive(this.executor, this.sessionId).processes,
        storiesCheckpointed: 0,
      });
    // Set synchronously: from here no gate, agent phase or command starts.
    this.state = state;
    this.stopPromise = performStop(
      {
        sessionId: this.sessionId,
        executor: this.executor,
        repo: this.o.repo,
        control: this.control,
        ui: this.ui,
        graceMs: this.o.options.graceMs,
        leaseLost: () => this.leaseLost,
        wavesEnded: this.loopDone,
        publish: (d) => this.publish(d),
        log: (l) => this.log(l),
      },
      stopRequestOf(state)!,
    ).then((summary) => {
      // Whoever asked from another process (wave stop, a window) hears it at once.
      this.o.control
        ?.publish({
          kind: 'stopped',
          sessionId: this.sessionId,
          stoppedAgents: summary.stoppedAgents,
          aliveAfter: summary.aliveAfter,
          storiesCheckpointed: summary.storiesCheckpointed,
        })
        .catch(() => undefined);
      return summary;
    });
    return this.stopPromise;
  }

  private onLeaseLost(reason: string): void {
    this.leaseLost = true;
    this.log(`lost the session lease (${reason}): stopping its agents here without touching its state`);
    void this.emergencyStop(reason, 'lease');
  }

  // ---- channels and clean-up ----

  private async startChannels(): Promise<void> {
    this.control.register({
      sessionId: this.sessionId,
      pid: process.pid,
      host: os.hostname(),
      repoPath: this.config.repoPath,
      startedAt: new Date().toISOString(),
    });
    try {
      await this.stops.subscribe();
      this.events = await this.o.bus.subscribe(
        'orchestrator',
        (e) => {
          this.metrics.count();
          this.ui.onBusEvent(e);
        },
        { session: this.sessionId, from: 'new' },
      );
    } catch (e) {
      this.log(
        `could not subscribe to the session's events (${(e as Error).message}); stop requests still arrive through the store and the kill switch`,
      );
    }
    this.stops.startPolling(this.o.options.controlIntervalMs);
    this.metrics.start(this.o.options.metricsIntervalMs);
  }

  private async cleanup(): Promise<void> {
    await this.metrics.stop().catch((e) => this.log(`the last metrics tick failed: ${(e as Error).message}`));
    await this.events?.close().catch(() => undefined);
    await this.stops.close();
    await this.executor.dispose().catch((e) => this.log(`closing the executor failed: ${(e as Error).message}`));
    await this.lease.release().catch((e) => this.log(`releasing the session lease failed: ${(e as Error).message}`));
    await this.ui.close();
    this.control.unregister(this.sessionId);
  }
}
