/* Shared by the workflow's table tests and property tests. */
import { GATE_IDS, type GateId } from '../../../store/schema';
import {
  advance,
  startWorkflow,
  type GateReport,
  type Input,
  type Step,
  type StoryRunState,
  type Verdict,
  type WorkflowData,
  type WorkflowPolicy,
} from './story-workflow';

export const PIPELINE: readonly GateId[] = GATE_IDS;
export const FRESH: WorkflowData = { qaFixes: 0, feedbackFile: null, mergeLoops: 0, plan: null };
export const POLICY: WorkflowPolicy = { maxRetries: 2, requireMergeApproval: false };
export const READY: Input = { type: 'ready', stopping: false, budgetExhausted: false };
export const outcome = (verdict: Verdict, extra: Omit<GateReport, 'verdict'> = {}, stopping = false): Input => ({
  type: 'outcome',
  report: { verdict, ...extra },
  stopping,
});
export const PASS = outcome({ kind: 'passed' });

export function at(
  gate: GateId,
  data: Partial<WorkflowData> = {},
  policy: Partial<WorkflowPolicy> = {},
): StoryRunState {
  return startWorkflow(PIPELINE, gate, { ...FRESH, ...data }, { ...POLICY, ...policy });
}

/** Feeds inputs in order; returns every step and the final state. */
export function drive(s: StoryRunState, inputs: Input[]): { state: StoryRunState; steps: Step[] } {
  const steps: Step[] = [];
  for (const i of inputs) {
    const [next, step] = advance(s, i);
    s = next;
    steps.push(step);
  }
  return { state: s, steps };
}
