import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GATE_IDS, type GateId } from '../../../store/schema';
import {
  advance,
  isFinal,
  MAX_BRANCH_RETRIES,
  MAX_MERGE_LOOPS,
  startWorkflow,
  storyStatusOf,
  type GateReport,
  type Input,
  type Step,
  type StoryRunState,
  type Verdict,
  type WorkflowData,
  type WorkflowPolicy,
} from './story-workflow';

const PIPELINE: readonly GateId[] = GATE_IDS;
const FRESH: WorkflowData = { qaFixes: 0, feedbackFile: null, mergeLoops: 0, plan: null };
const POLICY: WorkflowPolicy = { maxRetries: 2, requireMergeApproval: false };
const READY: Input = { type: 'ready', stopping: false, budgetExhausted: false };
const outcome = (verdict: Verdict, extra: Omit<GateReport, 'verdict'> = {}, stopping = false): Input => ({
  type: 'outcome',
  report: { verdict, ...extra },
  stopping,
});
const PASS = outcome({ kind: 'passed' });

function at(gate: GateId, data: Partial<WorkflowData> = {}, policy: Partial<WorkflowPolicy> = {}): StoryRunState {
  return startWorkflow(PIPELINE, gate, { ...FRESH, ...data }, { ...POLICY, ...policy });
}

/** Feeds inputs in order; returns every step and the final state. */
function drive(s: StoryRunState, inputs: Input[]): { state: StoryRunState; steps: Step[] } {
  const steps: Step[] = [];
  for (const i of inputs) {
    const [next, step] = advance(s, i);
    s = next;
    steps.push(step);
  }
  return { state: s, steps };
}

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

const verdictArb: fc.Arbitrary<Verdict> = fc.oneof(
  fc.constant<Verdict>({ kind: 'passed' }),
  fc.constant<Verdict>({ kind: 'skipped' }),
  fc.boolean().map((blocked): Verdict => ({ kind: 'failed', blocked })),
  fc
    .option(fc.constantFrom('fb-a', 'fb-b'), { nil: null })
    .map((feedbackFile): Verdict => ({ kind: 'qa-failed', feedbackFile })),
  fc.constant<Verdict>({ kind: 'branch-changed' }),
  fc.constant<Verdict>({ kind: 'target-moved' }),
);

/** What the world answers at each question: weighted so that most stories get far. */
const worldArb = fc.record({
  verdict: fc.oneof(
    { weight: 4, arbitrary: fc.constant<Verdict>({ kind: 'passed' }) },
    { weight: 3, arbitrary: verdictArb },
  ),
  fixSucceeded: fc.boolean(),
  stopping: fc.oneof({ weight: 12, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
  budgetExhausted: fc.oneof({ weight: 12, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
  approved: fc.oneof({ weight: 5, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
});
type World = typeof worldArb extends fc.Arbitrary<infer T> ? T : never;

const startArb = fc.record({
  gate: fc.constantFrom(...PIPELINE),
  maxRetries: fc.integer({ min: 0, max: 4 }),
  requireMergeApproval: fc.boolean(),
  feedbackFile: fc.option(fc.constant('fb-pending'), { nil: null }),
});

const STEP_LIMIT = 2_000;

/** Runs a story to its end, answering each question from `answers` in turn (cycled). */
function simulate(
  start: StoryRunState,
  answers: World[],
): { steps: Step[]; trace: Array<{ state: StoryRunState; step: Step }>; final: StoryRunState } {
  let s = start;
  const steps: Step[] = [];
  const trace: Array<{ state: StoryRunState; step: Step }> = [];
  let input: Input = { type: 'ready', stopping: answers[0]!.stopping, budgetExhausted: answers[0]!.budgetExhausted };
  for (let n = 0; n < STEP_LIMIT; n++) {
    const w = answers[n % answers.length]!;
    const [next, step] = advance(s, input);
    trace.push({ state: s, step });
    steps.push(step);
    s = next;
    if (isFinal(step)) return { steps, trace, final: s };
    if (step.kind === 'run')
      input = { type: 'outcome', report: { verdict: w.verdict, fixSucceeded: w.fixSucceeded }, stopping: w.stopping };
    else if (step.kind === 'check-approval') input = { type: 'approval', approved: w.approved };
    else input = { type: 'ready', stopping: w.stopping, budgetExhausted: w.budgetExhausted };
  }
  throw new Error(`no end after ${STEP_LIMIT} steps: ${JSON.stringify(steps.slice(-10))}`);
}

const storyArb = fc.tuple(startArb, fc.array(worldArb, { minLength: 1, maxLength: 60 }));

function begin(st: {
  gate: GateId;
  maxRetries: number;
  requireMergeApproval: boolean;
  feedbackFile: string | null;
}): StoryRunState {
  const data = { ...FRESH, feedbackFile: st.gate === 'gate-4' ? st.feedbackFile : null };
  return startWorkflow(PIPELINE, st.gate, data, {
    maxRetries: st.maxRetries,
    requireMergeApproval: st.requireMergeApproval,
  });
}

describe('story workflow: properties over random outcomes', () => {
  it('always ends, and within a bound set by the retry limits', () => {
    fc.assert(
      fc.property(storyArb, ([st, answers]) => {
        const { steps } = simulate(begin(st), answers);
        const runs = steps.filter((s) => s.kind === 'run').length;
        // Every gate once, plus each allowed loop: QA fixes, merge loops (gates 6 and 7 again), branch retries.
        expect(runs).toBeLessThanOrEqual(
          PIPELINE.length + st.maxRetries + 1 + MAX_MERGE_LOOPS * 2 + MAX_BRANCH_RETRIES,
        );
        expect(isFinal(steps.at(-1)!)).toBe(true);
      }),
      { numRuns: 100 },
    );
  });

  it('never skips a gate: a gate runs only when every earlier gate passed in the current attempt', () => {
    fc.assert(
      fc.property(storyArb, ([st, answers]) => {
        for (const { state, step } of simulate(begin(st), answers).trace) {
          if (step.kind !== 'run') continue;
          const before = PIPELINE.slice(0, PIPELINE.indexOf(step.gate));
          expect(state.passed).toEqual(before);
        }
      }),
      { numRuns: 100 },
    );
  });

  it('never merges without gates 0-6 passed in the current attempt', () => {
    fc.assert(
      fc.property(storyArb, ([st, answers]) => {
        const { trace } = simulate(begin(st), answers);
        for (const { state, step } of trace) {
          if ((step.kind === 'run' && step.gate === 'gate-7') || step.kind === 'done') {
            expect(new Set(state.passed)).toEqual(new Set(PIPELINE.slice(0, 7)));
          }
        }
        const done = trace.filter((t) => t.step.kind === 'done');
        for (const d of done) expect(d.state.passed).not.toContain('gate-7');
      }),
      { numRuns: 100 },
    );
  });

  it('replaying the same outcomes gives the same steps', () => {
    fc.assert(
      fc.property(storyArb, ([st, answers]) => {
        const a = simulate(begin(st), answers);
        const b = simulate(begin(st), structuredClone(answers));
        expect(b.steps).toEqual(a.steps);
        expect(b.final).toEqual(a.final);
      }),
      { numRuns: 100 },
    );
  });

  it('escalates only at QA, only after max_retries fixes, and only with feedback for the next fix', () => {
    fc.assert(
      fc.property(storyArb, ([st, answers]) => {
        const { steps, final } = simulate(begin(st), answers);
        const last = steps.at(-1)!;
        if (last.kind === 'escalate') {
          expect(last.gate).toBe('gate-4');
          expect(final.data.qaFixes).toBeGreaterThanOrEqual(st.maxRetries);
          expect(final.data.feedbackFile).not.toBeNull();
        }
      }),
      { numRuns: 100 },
    );
  });
});
