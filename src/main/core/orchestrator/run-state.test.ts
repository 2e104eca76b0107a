import { describe, expect, it } from 'vitest';
import {
  budgetPause,
  mayStartWave,
  pausedForBudget,
  requestStop,
  RUNNING,
  stopRequestOf,
  wavesOver,
} from './run-state';

const stop = { reason: 'enough', by: 'lead' };

describe('session run state', () => {
  it('a budget pause is announced and recorded once, and stops new waves', () => {
    const first = budgetPause(RUNNING);
    expect(first).toMatchObject({ changed: true, record: true, state: { kind: 'budget-paused' } });
    expect(mayStartWave(first.state)).toBe(false);
    expect(budgetPause(first.state)).toMatchObject({ changed: false, record: false });
  });

  it('a stop starts once; a second request joins it; after the waves are over there is nothing to stop', () => {
    const s = requestStop(RUNNING, stop);
    expect(s.answer).toBe('new');
    expect(stopRequestOf(s.state)).toEqual(stop);
    expect(requestStop(s.state, { reason: 'again', by: 'x' })).toMatchObject({ answer: 'already', state: s.state });
    expect(wavesOver(s.state)).toBe(s.state);
    expect(requestStop(wavesOver(RUNNING), stop).answer).toBe('closed');
  });

  it('a budget pause during a stop is kept but not recorded (the stop records the end)', () => {
    const stopping = requestStop(RUNNING, stop).state;
    const p = budgetPause(stopping);
    expect(p).toMatchObject({ changed: true, record: false });
    expect(pausedForBudget(p.state)).toBe(true);
  });

  it('closing remembers a budget pause, which decides how the session ends', () => {
    expect(pausedForBudget(wavesOver(budgetPause(RUNNING).state))).toBe(true);
    expect(pausedForBudget(wavesOver(RUNNING))).toBe(false);
  });
});
