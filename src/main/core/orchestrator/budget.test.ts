import { describe, expect, it } from 'vitest';
import { BudgetGuard } from './budget';

describe('BudgetGuard', () => {
  it('warns once at 80 %, reports exhaustion once at 100 %, and then has no room', () => {
    const b = new BudgetGuard(1, 0);
    expect(b.add(0.5)).toEqual([]);
    expect(b.add(0.3)).toEqual([{ kind: 'warning', spentUsd: 0.8, budgetUsd: 1, pct: 80 }]);
    expect(b.hasRoom).toBe(true);
    expect(b.add(0.1)).toEqual([]);
    expect(b.add(0.25)).toEqual([{ kind: 'exceeded', spentUsd: 1.15, budgetUsd: 1 }]);
    expect(b.hasRoom).toBe(false);
    expect(b.add(0.1)).toEqual([]);
  });

  it('reports both thresholds when one phase crosses them together, and nothing without a budget', () => {
    expect(new BudgetGuard(0.01, 0).add(0.02).map((c) => c.kind)).toEqual(['warning', 'exceeded']);
    const none = new BudgetGuard(null, 0);
    expect(none.add(1000)).toEqual([]);
    expect(none.hasRoom).toBe(true);
  });

  it('a resumed run does not warn again, but reports a budget already used up; a raised budget gives room back', () => {
    const resumed = new BudgetGuard(1, 0.9);
    expect(resumed.crossings()).toEqual([]);
    const spent = new BudgetGuard(1, 1.2);
    expect(spent.crossings()).toEqual([{ kind: 'exceeded', spentUsd: 1.2, budgetUsd: 1 }]);
    expect(spent.hasRoom).toBe(false);
    spent.setBudget(5);
    expect(spent.hasRoom).toBe(true);
    expect(spent.crossings()).toEqual([]);
  });
});
