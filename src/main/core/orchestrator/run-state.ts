/*
 * The state of one session run, as an explicit union instead of loose flags. Transitions are
 * pure functions; SessionRun (session-run.ts) holds the current value and acts on the answers.
 *
 *   running ──budget used up──▶ budget-paused      (running gates finish; no new wave starts)
 *   running | budget-paused ──stop requested──▶ stopping ──▶ (ended stopped)
 *   running | budget-paused ──waves over──▶ closing ──▶ (ended completed / paused / failed)
 *
 * A stop request while closing has nothing left to stop.
 */

export interface StopRequest {
  reason: string;
  by: string;
}

export type RunState =
  | { kind: 'running' }
  | { kind: 'budget-paused' }
  | { kind: 'stopping'; request: StopRequest; pausedForBudget: boolean }
  | { kind: 'closing'; pausedForBudget: boolean };

export const RUNNING: RunState = { kind: 'running' };

export function pausedForBudget(s: RunState): boolean {
  return s.kind === 'budget-paused' || ((s.kind === 'stopping' || s.kind === 'closing') && s.pausedForBudget);
}

export function stopRequestOf(s: RunState): StopRequest | null {
  return s.kind === 'stopping' ? s.request : null;
}

/** A new wave starts only while running. */
export function mayStartWave(s: RunState): boolean {
  return s.kind === 'running';
}

/**
 * The budget is used up. `changed`: the first time (the pause is announced once);
 * `record`: the session's status becomes paused in the store (not while it stops).
 */
export function budgetPause(s: RunState): { state: RunState; changed: boolean; record: boolean } {
  if (pausedForBudget(s)) return { state: s, changed: false, record: false };
  switch (s.kind) {
    case 'running':
      return { state: { kind: 'budget-paused' }, changed: true, record: true };
    case 'stopping':
      return { state: { ...s, pausedForBudget: true }, changed: true, record: false };
    case 'closing':
      return { state: { ...s, pausedForBudget: true }, changed: true, record: true };
    default:
      return { state: s, changed: false, record: false };
  }
}

/** A stop request: 'new' starts the stop, 'already' joins the one under way, 'closed' has nothing to stop. */
export function requestStop(
  s: RunState,
  request: StopRequest,
): { state: RunState; answer: 'new' | 'already' | 'closed' } {
  if (s.kind === 'stopping') return { state: s, answer: 'already' };
  if (s.kind === 'closing') return { state: s, answer: 'closed' };
  return { state: { kind: 'stopping', request, pausedForBudget: pausedForBudget(s) }, answer: 'new' };
}

/** The waves are over: without a stop under way, the session closes. */
export function wavesOver(s: RunState): RunState {
  if (s.kind === 'running' || s.kind === 'budget-paused')
    return { kind: 'closing', pausedForBudget: pausedForBudget(s) };
  return s;
}
