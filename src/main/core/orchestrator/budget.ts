import { roundUsd } from '../pricing';

export const BUDGET_WARNING_RATIO = 0.8;

export type BudgetCrossing =
  | { kind: 'warning'; spentUsd: number; budgetUsd: number; pct: number }
  | { kind: 'exceeded'; spentUsd: number; budgetUsd: number };

/**
 * A session's spending against its budget. Each threshold (80 %, 100 %) is reported once
 * per run; at 100 % no new agent phase may start.
 */
export class BudgetGuard {
  private spent: number;
  private warned: boolean;
  private exceededReported = false;

  constructor(
    private budget: number | null,
    spentUsd: number,
  ) {
    this.spent = roundUsd(spentUsd);
    // A run resumed above 80 % has been warned already (in the run that crossed it).
    this.warned = budget !== null && this.spent >= budget * BUDGET_WARNING_RATIO;
  }

  get spentUsd(): number {
    return this.spent;
  }

  get budgetUsd(): number | null {
    return this.budget;
  }

  /** False once the budget is used up: no new agent phase starts. */
  get hasRoom(): boolean {
    return this.budget === null || this.spent < this.budget;
  }

  /** Raises (or removes) the limit, e.g. when a paused session is resumed with more money. */
  setBudget(budget: number | null): void {
    this.budget = budget;
    this.exceededReported = false;
    this.warned = budget !== null && this.spent >= budget * BUDGET_WARNING_RATIO;
  }

  /** Adds spending; returns the thresholds this addition crossed, in order. */
  add(costUsd: number): BudgetCrossing[] {
    if (!(costUsd > 0)) return [];
    this.spent = roundUsd(this.spent + costUsd);
    return this.crossings();
  }

  /** Thresholds not reported yet (also useful right after start). */
  crossings(): BudgetCrossing[] {
    const out: BudgetCrossing[] = [];
    if (this.budget === null) return out;
    if (!this.warned && this.spent >= this.budget * BUDGET_WARNING_RATIO) {
      this.warned = true;
      out.push({
        kind: 'warning',
        spentUsd: this.spent,
        budgetUsd: this.budget,
        pct: Math.round((this.spent / this.budget) * 1000) / 10,
      });
    }
    if (!this.exceededReported && this.spent >= this.budget) {
      this.exceededReported = true;
      out.push({ kind: 'exceeded', spentUsd: this.spent, budgetUsd: this.budget });
    }
    return out;
  }
}
