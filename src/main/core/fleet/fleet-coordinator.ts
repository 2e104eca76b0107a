import { isSettledStory } from '../../../shared/status';
import type { Store, StoryRun } from '../../store';
import { repositories } from '../../store/repos';
import { pipelineRepo } from '../../store/repos/pipeline-repo';
import type { EventBus, Subscription } from '../events';
import type { SessionConfig } from '../orchestrator/session-config';
import { decideSessionEnd } from '../orchestrator/session-end';
import type { SessionProjection } from '../orchestrator/session-ui';
import type { FleetDispatcher } from './dispatch';

/** Story runs a worker may take now: not ended, not parked for a person or a stop. */
const RUNNABLE = new Set(['queued', 'running']);

export interface FleetCoordinatorOptions {
  store: Store;
  bus: EventBus;
  dispatcher: FleetDispatcher;
  sessionId: string;
  config: SessionConfig;
  /** What the windows see of the session: its workers' events, its stories re-read from the store (pushed). */
  ui?: SessionProjection;
  /** The slow fallback: re-enqueue runnable story runs with no live lease (Redis lost its queue). */
  reconcileMs?: number;
  log(line: string): void;
}

/** How a fleet session ended (the coordinator recorded it, or a STOP did). */
export interface FleetSessionEnd {
  status: string;
  reason: string;
}

/**
 * Drives a `wave run --fleet` session: its story runs are handed to workers (the queue,
 * dispatch.ts) wave by wave, a wave once every story of the waves before it has settled
 * (its dependencies landed or ended), and the session ends, as a local run ends it
 * (session-end.ts), when every story run has settled. Woken by the session's bus events;
 * a periodic reconcile re-enqueues what lost its job.
 */
export class FleetCoordinator {
  private wake: () => void = () => undefined;
  private closed = false;

  constructor(private readonly o: FleetCoordinatorOptions) {}

  /** Story runs of the first wave that has unsettled ones, runnable and without a live lease. */
  private async due(runs: StoryRun[]): Promise<StoryRun[]> {
    const repos = repositories(this.o.store);
    for (const wave of this.o.config.waves) {
      const mine = runs.filter((r) => r.waveNumber === wave.number);
      if (mine.every((r) => isSettledStory(r.status))) continue;
      if (this.o.ui && this.o.ui.currentWave !== wave.number) {
        this.o.ui.currentWave = wave.number;
        this.o.ui.sessionChanged();
      }
      const runnable = mine.filter((r) => RUNNABLE.has(r.status));
      const live = await repos.storyRunLeases.live(runnable.map((r) => r.id));
      return runnable.filter((r) => !live.has(r.id));
    }
    return [];
  }

  /**
   * Stops coordinating (the window or process closes): run() resolves with null at its next
   * turn; the session and its enqueued story runs stay as they are.
   */
  close(): void {
    this.closed = true;
    this.wake();
  }

  /** Runs the session to its end; resolves with how it ended, or null when closed first. */
  async run(): Promise<FleetSessionEnd | null> {
    const repo = pipelineRepo(this.o.store);
    const sessionId = this.o.sessionId;
    const ui = this.o.ui;
    await repo.setStatus(sessionId, 'running', null);
    let sub: Subscription | null = null;
    try {
      sub = await this.o.bus.subscribe(
        'fleet-coordinator',
        (e) => {
          ui?.onFleetEvent(e);
          this.wake();
        },
        { session: sessionId, from: 'new' },
      );
    } catch (e) {
      this.o.log(`could not subscribe to the session's events (${(e as Error).message}); reconciling only`);
    }
    try {
      if (ui) {
        // The session first, so a window shows it before its stories arrive.
        await ui.sessionChangedNow();
        for (const r of await repo.storyRunsOf(sessionId)) ui.storyChanged(r.id);
      }
      for (;;) {
        if (this.closed) return null;
        const session = await repo.session(sessionId);
        const runs = await repo.storyRunsOf(sessionId);
        if (session && (session.status === 'stopping' || session.status === 'stopped'))
          return { status: session.status, reason: session.stopReason ?? '' };
        const open = runs.filter((r) => !isSettledStory(r.status));
        if (open.length === 0 || open.every((r) => !RUNNABLE.has(r.status))) {
          const end = decideSessionEnd(sessionId, {
            runs,
            errors: [],
            pausedForBudget: false,
            budget: { spentUsd: await repo.spentUsd(sessionId), budgetUsd: null },
            targetBranch: this.o.config.targetBranch,
            dependencies: new Map(),
          });
          await repo.endSession(sessionId, end.status, end.reason, {
            actor: 'fleet',
            action: `session.${end.status}`,
            subjectType: 'session',
            subjectId: sessionId,
            detail: { reason: end.reason },
          });
          return end;
        }
        const due = await this.due(runs);
        // A queue that cannot be reached now is tried again at the next wake or reconcile.
        if (due.length)
          await this.o.dispatcher
            .enqueue(due.map((r) => ({ storyRunId: r.id, sessionId })))
            .catch((e: unknown) => this.o.log(`could not enqueue story runs: ${(e as Error).message}`));
        if (this.closed) return null;
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, this.o.reconcileMs ?? 5_000);
          this.wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
    } finally {
      this.wake = () => undefined;
      await sub?.close().catch(() => undefined);
      // The last state of the session and its stories, then no more pushes.
      if (ui) {
        ui.sessionChanged();
        await ui.close();
      }
    }
  }
}
