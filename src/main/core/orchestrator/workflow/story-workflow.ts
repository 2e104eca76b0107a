import type { GateId } from '../../../store/schema';

/**
 * The rules of a story's way through the gates, as one pure function: given where the story
 * is and what just happened, it says what to do next. No I/O, no clock, no randomness: the
 * pipeline (story-pipeline.ts) does what a step says and feeds the result back in.
 *
 * The rules:
 * - Before a gate: a stop parks the story where it is; a used-up budget parks it before a gate
 *   that starts an agent (gate-0's worktree, plan, develop, a QA fix); gate-7 under
 *   merge.requireApproval first checks the approval and parks the story for a person without one.
 * - A gate that passes (or is skipped) leads to the next gate of the pipeline; after the last
 *   one the story is done (merged).
 * - A failure while the session stops is a stop, whatever failed.
 * - QA (gate-4) failing: the next attempt runs a fix phase with the QA output as feedback; each
 *   fix counts, and once max_retries fixes were made the story is escalated to a person.
 * - gate-7 finding that the target moved (conflict, not a fast-forward) goes back to gate-6,
 *   at most MAX_MERGE_LOOPS times; then the story fails.
 * - gate-7 finding that the approved branch moved runs gate-7 again, which asks for the
 *   approval again (at most MAX_BRANCH_RETRIES times in one run, then the story fails).
 * - An agent that says it is blocked, a missing PRD approval or unmet dependency blocks the
 *   story; any other failure fails it.
 */

export const MAX_MERGE_LOOPS = 2;
export const MAX_BRANCH_RETRIES = 3;
/** The gate the merge goes back to when the target moved under it. */
export const MERGE_PREP_GATE: GateId = 'gate-6';
/** The gate that merges; merge.requireApproval asks a person before it. */
export const MERGE_GATE: GateId = 'gate-7';
/** The gate whose failures loop through fix phases. */
export const QA_GATE: GateId = 'gate-4';
/** Gates that always start an agent (gate-0 prepares the agent's worktree). */
const AGENT_GATES: ReadonlySet<GateId> = new Set<GateId>(['gate-0', 'gate-1', 'gate-2']);

/** What the orchestrator keeps in each checkpoint (CheckpointState.data). */
export interface WorkflowData {
  /** Fix phases run by the QA fix loop so far. */
  qaFixes: number;
  /** QA output the next fix phase gets (WAVE_FEEDBACK_FILE); null when none is pending. */
  feedbackFile: string | null;
  /** Times gate-7 sent the story back to gate-6 because the target moved. */
  mergeLoops: number;
  /** The plan gate-1 produced, handed to later phases. */
  plan: string | null;
}

export interface WorkflowPolicy {
  /** execution.max_retries: fix phases before a failing QA is escalated. */
  maxRetries: number;
  /** merge.requireApproval. */
  requireMergeApproval: boolean;
}

/** A gate's result as the workflow sees it. */
export type Verdict =
  | { kind: 'passed' }
  | { kind: 'skipped' }
  /** The story ends: failed, or blocked (waits for a person or another story). */
  | { kind: 'failed'; blocked?: boolean }
  /** QA or its fix failed; feedbackFile: new QA output for the next fix (null: the pending one stays). */
  | { kind: 'qa-failed'; feedbackFile: string | null }
  /** The merge found the approved branch at another commit. */
  | { kind: 'branch-changed' }
  /** The merge found the target moved (conflict, not a fast-forward). */
  | { kind: 'target-moved' };

export interface GateReport {
  verdict: Verdict;
  /** A fix phase ran and succeeded: its feedback is used up. */
  fixSucceeded?: boolean;
  /** The plan gate-1 produced. */
  plan?: string | null;
}

export type Input =
  /** About to run the current gate. */
  | { type: 'ready'; stopping: boolean; budgetExhausted: boolean }
  /** The merge approval was checked (after a check-approval step). */
  | { type: 'approval'; approved: boolean }
  /** The current gate ended. */
  | { type: 'outcome'; report: GateReport; stopping: boolean };

export type ParkDecision = 'stop' | 'budget' | 'merge-approval';
export type FailStatus = 'failed' | 'blocked' | 'stopped';

export type Step =
  | { kind: 'run'; gate: GateId }
  | { kind: 'check-approval'; gate: GateId }
  /** The story waits at `gate` without a gate run (stopped, queued for budget, blocked for a person). */
  | { kind: 'park'; gate: GateId; decision: ParkDecision }
  | { kind: 'next'; gate: GateId }
  /** The same gate again: QA with its feedback, or gate-7 asking for the approval again. */
  | { kind: 'retry'; gate: GateId }
  | { kind: 'back'; gate: GateId }
  | { kind: 'escalate'; gate: GateId }
  | { kind: 'done'; gate: GateId }
  | { kind: 'fail'; gate: GateId; status: FailStatus };

export type Phase = 'ready' | 'approval' | 'running' | 'ended';

export interface StoryRunState {
  readonly pipeline: readonly GateId[];
  readonly policy: WorkflowPolicy;
  /** The gate to run, running, or the story ended at. */
  readonly gate: GateId;
  readonly phase: Phase;
  readonly data: WorkflowData;
  /** Gates passed (or skipped) in the current attempt, in order. */
  readonly passed: readonly GateId[];
  /** True when the running QA attempt began with feedback pending: it runs a fix phase. */
  readonly fixing: boolean;
  readonly branchRetries: number;
}

/** A story about to run from `gate`; every earlier gate passed (fresh start or a checkpoint). */
export function startWorkflow(
  pipeline: readonly GateId[],
  gate: GateId,
  data: WorkflowData,
  policy: WorkflowPolicy,
): StoryRunState {
  const i = pipeline.indexOf(gate);
  if (i < 0) throw new Error(`${gate} is not a gate of this pipeline (${pipeline.join(', ')}).`);
  return {
    pipeline,
    policy,
    gate,
    phase: 'ready',
    data,
    passed: pipeline.slice(0, i),
    fixing: false,
    branchRetries: 0,
  };
}

/** True when running `gate` starts an agent phase (what a used-up budget forbids). */
export function needsAgent(gate: GateId, data: WorkflowData): boolean {
  return AGENT_GATES.has(gate) || (gate === QA_GATE && data.feedbackFile !== null);
}

/** The story status a step leaves behind. */
export function storyStatusOf(step: Step): 'running' | 'merged' | 'escalated' | FailStatus {
  switch (step.kind) {
    case 'done':
      return 'merged';
    case 'escalate':
      return 'escalated';
    case 'fail':
      return step.status;
    default:
      return 'running';
  }
}

/** True when the step ends this run of the story. */
export function isFinal(step: Step): boolean {
  return step.kind === 'park' || step.kind === 'done' || step.kind === 'escalate' || step.kind === 'fail';
}

function ended(s: StoryRunState, step: Step, patch: Partial<StoryRunState> = {}): [StoryRunState, Step] {
  return [{ ...s, ...patch, phase: 'ended', fixing: false }, step];
}

function readyAt(
  s: StoryRunState,
  gate: GateId,
  step: Step,
  patch: Partial<StoryRunState> = {},
): [StoryRunState, Step] {
  return [{ ...s, ...patch, gate, phase: 'ready', fixing: false }, step];
}

function wrongInput(s: StoryRunState, input: Input): never {
  throw new Error(`The story workflow got "${input.type}" while ${s.phase} at ${s.gate}.`);
}

/** The next state and step. Throws on an input that does not fit the phase (a bug in the caller). */
export function advance(s: StoryRunState, input: Input): [StoryRunState, Step] {
  switch (input.type) {
    case 'ready': {
      if (s.phase !== 'ready') return wrongInput(s, input);
      if (input.stopping) return ended(s, { kind: 'park', gate: s.gate, decision: 'stop' });
      if (input.budgetExhausted && needsAgent(s.gate, s.data))
        return ended(s, { kind: 'park', gate: s.gate, decision: 'budget' });
      if (s.gate === MERGE_GATE && s.policy.requireMergeApproval)
        return [
          { ...s, phase: 'approval' },
          { kind: 'check-approval', gate: s.gate },
        ];
      return running(s);
    }
    case 'approval':
      if (s.phase !== 'approval') return wrongInput(s, input);
      return input.approved ? running(s) : ended(s, { kind: 'park', gate: s.gate, decision: 'merge-approval' });
    case 'outcome':
      if (s.phase !== 'running') return wrongInput(s, input);
      return outcome(s, input.report, input.stopping);
  }
}

function running(s: StoryRunState): [StoryRunState, Step] {
  return [
    { ...s, phase: 'running', fixing: s.gate === QA_GATE && s.data.feedbackFile !== null },
    { kind: 'run', gate: s.gate },
  ];
}

function outcome(s: StoryRunState, report: GateReport, stopping: boolean): [StoryRunState, Step] {
  const v = report.verdict;
  const gate = s.gate;
  const ok = v.kind === 'passed' || v.kind === 'skipped';
  // A fix phase counts toward max_retries however its attempt ended, unless a stop cut it short.
  const fixCounts = s.fixing && (!stopping || ok || report.fixSucceeded === true);
  let data: WorkflowData = fixCounts ? { ...s.data, qaFixes: s.data.qaFixes + 1 } : s.data;
  if (report.fixSucceeded) data = { ...data, feedbackFile: null };
  if (!ok && stopping) return ended(s, { kind: 'fail', gate, status: 'stopped' }, { data });
  if (report.plan !== undefined && v.kind === 'passed') data = { ...data, plan: report.plan };
  switch (v.kind) {
    case 'passed':
    case 'skipped': {
      const passed = [...s.passed, gate];
      const next = s.pipeline[s.pipeline.indexOf(gate) + 1];
      if (next === undefined) return ended(s, { kind: 'done', gate }, { data, passed });
      return readyAt(s, next, { kind: 'next', gate: next }, { data, passed });
    }
    case 'failed':
      return ended(s, { kind: 'fail', gate, status: v.blocked ? 'blocked' : 'failed' }, { data });
    case 'qa-failed': {
      if (v.feedbackFile !== null) data = { ...data, feedbackFile: v.feedbackFile };
      // Without feedback there is nothing for a fix phase to work on.
      if (gate !== QA_GATE || data.feedbackFile === null)
        return ended(s, { kind: 'fail', gate, status: 'failed' }, { data });
      if (data.qaFixes >= s.policy.maxRetries) return ended(s, { kind: 'escalate', gate }, { data });
      return readyAt(s, gate, { kind: 'retry', gate }, { data });
    }
    case 'branch-changed':
      if (gate !== MERGE_GATE || s.branchRetries >= MAX_BRANCH_RETRIES)
        return ended(s, { kind: 'fail', gate, status: 'failed' }, { data });
      return readyAt(s, gate, { kind: 'retry', gate }, { data, branchRetries: s.branchRetries + 1 });
    case 'target-moved': {
      const back = s.pipeline.indexOf(MERGE_PREP_GATE);
      if (back < 0 || back >= s.pipeline.indexOf(gate) || data.mergeLoops >= MAX_MERGE_LOOPS)
        return ended(s, { kind: 'fail', gate, status: 'failed' }, { data });
      return readyAt(
        s,
        MERGE_PREP_GATE,
        { kind: 'back', gate: MERGE_PREP_GATE },
        { data: { ...data, mergeLoops: data.mergeLoops + 1 }, passed: s.passed.slice(0, back) },
      );
    }
  }
}
