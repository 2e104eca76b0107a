import { isSettledStory } from '../../../shared/status';
import type { Store, StoryRun } from '../../store';
import { repositories } from '../../store/repos';
import { pipelineRepo } from '../../store/repos/pipeline-repo';
import type { EventBus, Subscription } from '../events';
import type { SessionConfig } from '../orchestrator/session-config';
import { BudgetGuard, type BudgetCrossing } from '../orchestrator/budget';
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
 *
 * The budget is the session's, whatever worker spends it: the coordinator reads the session's
 * spending at every turn, warns at 80 % and announces 100 % once (BudgetGuard, as a local run),
 * hands out nothing more once it is used up, and pauses the session when no worker runs any of
 * its story runs any more (a worker's story parks before its next agent phase when it sees the
 * budget used up).
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

  /** Tells the windows (and the log) that the session crossed 80 % or 100 % of its budget. */
  private announce(crossings: BudgetCrossing[]): void {
    for (const c of crossings) {
      const spent = `$${c.spentUsd.toFixed(4)} of $${c.budgetUsd.toFixed(2)} spent`;
      const [kind, title, body] =
        c.kind === 'warning'
          ? ([
              'budget_warning',
              `Session ${this.o.sessionId} has used ${c.pct}% of its budget`,
              `${spent}. At 100% no new agent phase starts on any worker and the session pauses.`,
            ] as const)
          : ([
              'budget_exceeded',
              `Session ${this.o.sessionId} is out of budget`,
              `${spent}. Gates running on workers finish, no new agent phase starts, and the session pauses.`,
            ] as const);
      this.o.log(`${title}: ${body}`);
      this.o.ui?.notice(kind, title, body);
    }
  }

  /** Runs the session to its end; resolves with how it ended, or null when closed first. */
  async run(): Promise<FleetSessionEnd | null> {
    const repo = pipelineRepo(this.o.store);
    const sessionId = this.o.sessionId;
    const ui = this.o.ui;
    await repo.setStatus(sessionId, 'running', null);
    const first = await repo.session(sessionId);
    const budget = new BudgetGuard(
      first?.budgetUsd == null ? null : Number(first.budgetUsd),
      await repo.spentUsd(sessionId),
    );
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
        this.announce(budget.add((await repo.spentUsd(sessionId)) - budget.spentUsd));
        // Out of budget: nothing more is handed out; paused once no worker runs a story run of it.
        const pausedForBudget =
          !budget.hasRoom &&
          open.length > 0 &&
          (await repositories(this.o.store).storyRunLeases.live(open.map((r) => r.id))).size === 0;
        if (open.length === 0 || open.every((r) => !RUNNABLE.has(r.status)) || pausedForBudget) {
          const end = decideSessionEnd(sessionId, {
            runs,
            errors: [],
            pausedForBudget,
            budget: { spentUsd: budget.spentUsd, budgetUsd: budget.budgetUsd },
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
        const due = budget.hasRoom ? await this.due(runs) : [];
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
