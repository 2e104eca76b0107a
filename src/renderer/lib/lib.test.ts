import { describe, expect, it } from 'vitest';
import type { GateAttemptView } from '../../shared/ipc/views';
import { budgetLevel, shownBudget } from './budget';
import { duration, tokens, usd } from './format';
import { gateCells, stripDescription } from './gates';

const a = (
  gate: GateAttemptView['gate'],
  attempt: number,
  status: GateAttemptView['status'],
  id: number,
): GateAttemptView => ({
  gateRunId: id,
  gate,
  attempt,
  status,
  startedAt: '2026-01-01T00:00:00Z',
  endedAt: null,
  durationMs: null,
  inputTokens: 0,
  outputTokens: 0,
  costUsd: 0,
  reason: null,
});

describe('gate strip', () => {
  it('shows each of the 8 gates from its latest attempt; a running attempt after a failure is a retry', () => {
    const cells = gateCells({
      gates: [
        a('gate-0', 1, 'passed', 1),
        a('gate-4', 1, 'failed', 2),
        a('gate-4', 2, 'running', 3),
        a('gate-5', 1, 'skipped', 4),
        a('gate-6', 1, 'failed', 5),
      ],
    });
    expect(cells.map((c) => c.state)).toEqual([
      'passed',
      'pending',
      'pending',
      'pending',
      'retrying',
      'skipped',
      'failed',
      'pending',
    ]);
    expect(cells[4]?.attempts).toBe(2);
    expect(stripDescription(cells)).toContain('gate-4 qa: retrying (2 attempts)');
  });

  it('a gate cut short by STOP reads stopped, not failed', () => {
    const cells = gateCells({ gates: [a('gate-1', 1, 'passed', 1), a('gate-2', 1, 'stopped', 2)] });
    expect(cells[2]?.state).toBe('stopped');
    expect(stripDescription(cells)).toContain('gate-2 develop: stopped');
  });

  it('a first attempt that runs is running, not retrying', () => {
    expect(gateCells({ gates: [a('gate-2', 1, 'running', 1)] })[2]?.state).toBe('running');
  });
});

describe('spend against budget', () => {
  it('turns amber at 80 % and red at 100 %, in words too', () => {
    expect(budgetLevel(7.99, 10).level).toBe('ok');
    expect(budgetLevel(8, 10)).toEqual({ level: 'warn', text: '80 % of budget — nearly spent' });
    expect(budgetLevel(10, 10)).toEqual({ level: 'over', text: 'over budget (100 %)' });
    expect(budgetLevel(3, null).level).toBe('none');
  });

  it("shows the session's budget, and before any session the one Settings gives the next (never 'no budget' beside a set one)", () => {
    expect(shownBudget({ budgetUsd: 1 }, { budgetUsd: 10 })).toEqual({ usd: 1, label: 'budget $1.00' });
    expect(shownBudget({ budgetUsd: null }, { budgetUsd: 10 })).toEqual({ usd: null, label: 'no budget' });
    expect(shownBudget(null, { budgetUsd: 10 })).toEqual({
      usd: 10,
      label: 'budget $10.00 (next session, from Settings)',
    });
    expect(shownBudget(null, null)).toEqual({ usd: null, label: 'no budget' });
  });
});

describe('units', () => {
  it('every number carries its unit', () => {
    expect(usd(0.41)).toBe('$0.41');
    expect(usd(0.004)).toBe('$0.0040');
    expect(duration(850)).toBe('850 ms');
    expect(duration(52_000)).toBe('52 s');
    expect(duration(134_000)).toBe('2 min 14 s');
    expect(duration(3_780_000)).toBe('1 h 03 min');
    expect(tokens(1234)).toBe('1.2k tokens');
  });
});
