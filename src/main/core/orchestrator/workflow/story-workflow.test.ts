import { describe, expect, it } from 'vitest';
import { READY, PASS, at, drive, outcome } from './story-workflow.kit';
import {
  advance,
  MAX_BRANCH_RETRIES,
  MAX_MERGE_LOOPS,
  storyStatusOf,
  type Input,
  type Verdict,
} from './story-workflow';

describe('story workflow: one rule per row', () => {
  it('a passing gate leads to the next gate; the last one merges the story', () => {
    const { steps } = drive(at('gate-0'), [READY, PASS]);
    expect(steps).toEqual([
      { kind: 'run', gate: 'gate-0' },
      { kind: 'next', gate: 'gate-1' },
    ]);
    const last = drive(at('gate-7'), [READY, PASS]);
    expect(last.steps.at(-1)).toEqual({ kind: 'done', gate: 'gate-7' });
    expect(storyStatusOf(last.steps.at(-1)!)).toBe('merged');
  });

  it('a skipped gate counts as passed', () => {
    expect(drive(at('gate-3'), [READY, outcome({ kind: 'skipped' })]).steps.at(-1)).toEqual({
      kind: 'next',
      gate: 'gate-4',
    });
  });

  it('a stop parks the story before its gate', () => {
    expect(advance(at('gate-2'), { type: 'ready', stopping: true, budgetExhausted: true })[1]).toEqual({
      kind: 'park',
      gate: 'gate-2',
      decision: 'stop',
    });
  });

  it('a used-up budget parks the story before a gate that starts an agent, and only then', () => {
    const broke: Input = { type: 'ready', stopping: false, budgetExhausted: true };
    for (const g of ['gate-0', 'gate-1', 'gate-2'] as const)
      expect(advance(at(g), broke)[1]).toEqual({ kind: 'park', gate: g, decision: 'budget' });
    expect(advance(at('gate-4', { feedbackFile: 'fb.txt' }), broke)[1]).toEqual({
      kind: 'park',
      gate: 'gate-4',
      decision: 'budget',
    });
    for (const g of ['gate-3', 'gate-4', 'gate-5', 'gate-6', 'gate-7'] as const)
      expect(advance(at(g), broke)[1]).toEqual({ kind: 'run', gate: g });
  });

  it('merge.requireApproval: gate-7 checks the approval and parks without one', () => {
    const s = at('gate-7', {}, { requireMergeApproval: true });
    expect(drive(s, [READY]).steps).toEqual([{ kind: 'check-approval', gate: 'gate-7' }]);
    expect(drive(s, [READY, { type: 'approval', approved: false }]).steps.at(-1)).toEqual({
      kind: 'park',
      gate: 'gate-7',
      decision: 'merge-approval',
    });
    expect(drive(s, [READY, { type: 'approval', approved: true }, PASS]).steps.slice(1)).toEqual([
      { kind: 'run', gate: 'gate-7' },
      { kind: 'done', gate: 'gate-7' },
    ]);
    // Other gates never ask.
    expect(advance(at('gate-6', {}, { requireMergeApproval: true }), READY)[1]).toEqual({
      kind: 'run',
      gate: 'gate-6',
    });
  });

  it('any failure while the session stops is a stop', () => {
    for (const v of [
      { kind: 'failed' },
      { kind: 'qa-failed', feedbackFile: 'x' },
      { kind: 'target-moved' },
      { kind: 'branch-changed' },
    ] as Verdict[]) {
      const [s, step] = advance(advance(at('gate-7'), READY)[0], outcome(v, {}, true));
      expect(step).toEqual({ kind: 'fail', gate: 'gate-7', status: 'stopped' });
      expect(s.data.mergeLoops).toBe(0);
    }
    // A pass while stopping goes on; the next gate then parks.
    expect(
      drive(at('gate-3'), [
        READY,
        outcome({ kind: 'passed' }, {}, true),
        { type: 'ready', stopping: true, budgetExhausted: false },
      ]).steps.at(-1),
    ).toEqual({
      kind: 'park',
      gate: 'gate-4',
      decision: 'stop',
    });
  });

  it('a plain failure fails the story; a blocked one blocks it', () => {
    expect(drive(at('gate-5'), [READY, outcome({ kind: 'failed' })]).steps.at(-1)).toEqual({
      kind: 'fail',
      gate: 'gate-5',
      status: 'failed',
    });
    expect(drive(at('gate-0'), [READY, outcome({ kind: 'failed', blocked: true })]).steps.at(-1)).toEqual({
      kind: 'fail',
      gate: 'gate-0',
      status: 'blocked',
    });
  });

  it('QA fails: fix phases with feedback up to max_retries, then escalation', () => {
    const qaFail = (n: number) => outcome({ kind: 'qa-failed', feedbackFile: `fb-${n}` });
    const { state, steps } = drive(at('gate-4'), [READY, qaFail(1), READY, qaFail(2), READY, qaFail(3)]);
    expect(steps.filter((s) => s.kind !== 'run')).toEqual([
      { kind: 'retry', gate: 'gate-4' },
      { kind: 'retry', gate: 'gate-4' },
      { kind: 'escalate', gate: 'gate-4' },
    ]);
    expect(state.data).toMatchObject({ qaFixes: 2, feedbackFile: 'fb-3' });
    expect(storyStatusOf(steps.at(-1)!)).toBe('escalated');
  });

  it('QA passes after a fix: the feedback is used up and the story goes on', () => {
    const { state, steps } = drive(at('gate-4'), [
      READY,
      outcome({ kind: 'qa-failed', feedbackFile: 'fb' }),
      READY,
      outcome({ kind: 'passed' }, { fixSucceeded: true }),
    ]);
    expect(steps.at(-1)).toEqual({ kind: 'next', gate: 'gate-5' });
    expect(state.data).toMatchObject({ qaFixes: 1, feedbackFile: null });
  });

  it('max_retries 0 escalates on the first QA failure', () => {
    expect(
      drive(at('gate-4', {}, { maxRetries: 0 }), [READY, outcome({ kind: 'qa-failed', feedbackFile: 'fb' })]).steps.at(
        -1,
      ),
    ).toEqual({ kind: 'escalate', gate: 'gate-4' });
  });

  it('a failed fix phase keeps the pending feedback and counts', () => {
    const { state, steps } = drive(at('gate-4', { feedbackFile: 'fb' }), [
      READY,
      outcome({ kind: 'qa-failed', feedbackFile: null }),
    ]);
    expect(steps.at(-1)).toEqual({ kind: 'retry', gate: 'gate-4' });
    expect(state.data).toMatchObject({ qaFixes: 1, feedbackFile: 'fb' });
  });

  it('a fix phase cut short by a stop does not count', () => {
    const { state } = drive(at('gate-4', { feedbackFile: 'fb' }), [READY, outcome({ kind: 'failed' }, {}, true)]);
    expect(state.data).toMatchObject({ qaFixes: 0, feedbackFile: 'fb' });
  });

  it('gate-7 finds the target moved: back to gate-6 up to MAX_MERGE_LOOPS times, then fail', () => {
    const moved = outcome({ kind: 'target-moved' });
    const loop = [READY, moved, READY, PASS];
    const inputs = [...Array.from({ length: MAX_MERGE_LOOPS }, () => loop).flat(), READY, moved];
    const { state, steps } = drive(at('gate-7'), inputs);
    expect(steps.filter((s) => s.kind === 'back')).toEqual(
      Array.from({ length: MAX_MERGE_LOOPS }, () => ({ kind: 'back', gate: 'gate-6' })),
    );
    expect(steps.at(-1)).toEqual({ kind: 'fail', gate: 'gate-7', status: 'failed' });
    expect(state.data.mergeLoops).toBe(MAX_MERGE_LOOPS);
  });

  it('gate-7 finds the approved branch moved: gate-7 again, asking for the approval again', () => {
    const s = at('gate-7', {}, { requireMergeApproval: true });
    const { steps } = drive(s, [
      READY,
      { type: 'approval', approved: true },
      outcome({ kind: 'branch-changed' }),
      READY,
    ]);
    expect(steps.slice(2)).toEqual([
      { kind: 'retry', gate: 'gate-7' },
      { kind: 'check-approval', gate: 'gate-7' },
    ]);
    const again = [READY, { type: 'approval', approved: true } as Input, outcome({ kind: 'branch-changed' })];
    const many = drive(s, Array.from({ length: MAX_BRANCH_RETRIES + 1 }, () => again).flat());
    expect(many.steps.at(-1)).toEqual({ kind: 'fail', gate: 'gate-7', status: 'failed' });
  });

  it('the plan of gate-1 is kept for later phases', () => {
    expect(drive(at('gate-1'), [READY, outcome({ kind: 'passed' }, { plan: 'do it' })]).state.data.plan).toBe('do it');
  });

  it('an input that does not fit the phase is a bug, said plainly', () => {
    expect(() => advance(at('gate-1'), PASS)).toThrow(/got "outcome" while ready at gate-1/);
  });
});

// ---- properties over random outcome sequences ----
