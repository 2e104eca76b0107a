import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FRESH, PIPELINE } from './story-workflow.kit';
import {
  advance,
  isFinal,
  MAX_BRANCH_RETRIES,
  MAX_MERGE_LOOPS,
  startWorkflow,
  type Input,
  type Step,
  type StoryRunState,
  type Verdict,
} from './story-workflow';
import { type GateId } from '../../../store/schema';

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
