import { describe, expect, it } from 'vitest';
import * as run from './run-state';

const stop = { reason: 'enough', by: 'lead' };

describe('session run state', () => {
  it('a budget pause is announced and recorded once, and stops new waves', () => {
    const first = run.budgetPause(run.RUNNING);
    expect(first).toMatchObject({ changed: true, record: true, state: { kind: 'budget-paused' } });
    expect(run.mayStartWave(first.state)).toBe(false);
    expect(run.budgetPause(first.state)).toMatchObject({ changed: false, record: false });
  });

  it('a stop starts once; a second request joins it; after the waves are over there is nothing to stop', () => {
    const s = run.requestStop(run.RUNNING, stop);
    expect(s.answer).toBe('new');
    expect(run.stopRequestOf(s.state)).toEqual(stop);
    expect(run.requestStop(s.state, { reason: 'again', by: 'x' })).toMatchObject({ answer: 'already', state: s.state });
    expect(run.wavesOver(s.state)).toBe(s.state);
    expect(run.requestStop(run.wavesOver(run.RUNNING), stop).answer).toBe('closed');
  });

  it('a budget pause during a stop is kept but not recorded (the stop records the end)', () => {
    const stopping = run.requestStop(run.RUNNING, stop).state;
    const p = run.budgetPause(stopping);
    expect(p).toMatchObject({ changed: true, record: false });
    expect(run.pausedForBudget(p.state)).toBe(true);
  });

  it('closing remembers a budget pause, which decides how the session ends', () => {
    expect(run.pausedForBudget(run.wavesOver(run.budgetPause(run.RUNNING).state))).toBe(true);
    expect(run.pausedForBudget(run.wavesOver(run.RUNNING))).toBe(false);
  });
});
