import type { EventDraft } from '../../../shared/events';
import { BudgetGuard, type BudgetCrossing } from './budget';
import type { SessionProjection } from './session-ui';

/**
 * A running session's money: what it spent against its budget, the 80 % warning and the
 * 100 % pause (running gates finish, no new agent phase starts, the session pauses), each
 * announced once.
 */
export class SessionBudget {
  private readonly guard: BudgetGuard;
  /** The pause's store write and announcement; the session's end waits for it. */
  written: Promise<void> = Promise.resolve();

  constructor(
    private readonly sessionId: string,
    budgetUsd: number | null,
    spentUsd: number,
    private readonly deps: {
      ui: SessionProjection;
      publish: (draft: EventDraft) => Promise<void>;
      /** The run state's answer to a pause: announce it (first time), record it in the store. */
      pause: () => { changed: boolean; record: boolean };
      recordPause: (reason: string) => Promise<void>;
      log: (line: string) => void;
    },
  ) {
    this.guard = new BudgetGuard(budgetUsd, spentUsd);
  }

  get spentUsd(): number {
    return this.guard.spentUsd;
  }

  get budgetUsd(): number | null {
    return this.guard.budgetUsd;
  }

  get exhausted(): boolean {
    return !this.guard.hasRoom;
  }

  add(costUsd: number): void {
    this.handle(this.guard.add(costUsd));
  }

  /** Thresholds already crossed when the run starts (spent before a resume). */
  checkAtStart(): void {
    this.handle(this.guard.crossings());
  }

  pause(): void {
    const { changed, record } = this.deps.pause();
    if (!changed) return;
    const reason =
      `Budget used up: $${this.guard.spentUsd.toFixed(4)} of $${(this.guard.budgetUsd ?? 0).toFixed(2)}. ` +
      'Gates already running finish; no new agent phase starts. Raise the budget and resume the session.';
    this.written = (async () => {
      if (record) await this.deps.recordPause(reason);
      await this.deps.publish({ type: 'session_paused', session: this.sessionId, reason, by: 'budget' });
      this.deps.ui.sessionChanged();
    })().catch((e) => this.deps.log(`could not record the budget pause: ${(e as Error).message}`));
  }

  private handle(crossings: BudgetCrossing[]): void {
    const { ui, publish } = this.deps;
    for (const c of crossings) {
      if (c.kind === 'warning') {
        void publish({
          type: 'budget_warning',
          session: this.sessionId,
          spent_usd: c.spentUsd,
          budget_usd: c.budgetUsd,
          pct: c.pct,
        });
        ui.notice(
          'budget_warning',
          `Session ${this.sessionId} has used ${c.pct}% of its budget`,
          `$${c.spentUsd.toFixed(4)} of $${c.budgetUsd.toFixed(2)} spent. At 100% no new agent phase starts and the session pauses.`,
        );
      } else {
        void publish({
          type: 'budget_exceeded',
          session: this.sessionId,
          spent_usd: c.spentUsd,
          budget_usd: c.budgetUsd,
        });
        ui.notice(
          'budget_exceeded',
          `Session ${this.sessionId} is out of budget`,
          `$${c.spentUsd.toFixed(4)} of $${c.budgetUsd.toFixed(2)} spent. Running gates finish, no new agent phase starts, and the session pauses. Raise the budget and resume it.`,
        );
        this.pause();
      }
    }
  }
}
