import { isDoneStory, isSettledStory } from '../../../shared/status';
import type { StoryRun } from '../../store';
import { isAwaitingMergeApproval } from './merge-approval';

/*
 * How a session ends when its waves are over without a stop: the outcome policy, pure.
 */

export interface SessionEndFacts {
  runs: StoryRun[];
  /** What went wrong outside the gates (a fatal error, stories that threw). */
  errors: string[];
  pausedForBudget: boolean;
  budget: { spentUsd: number; budgetUsd: number | null };
  targetBranch: string;
  /** Each story's dependencies (for the merge-approval wait). */
  dependencies: Map<string, string[]>;
}

export interface SessionEnd {
  status: 'completed' | 'failed' | 'paused';
  reason: string;
  /** What the lead is told (null: nothing beyond the session change). */
  notice: { kind: 'completed' | 'failed' | 'escalation'; title: string } | null;
}

const isDone = (r: StoryRun) => isSettledStory(r.status);

/** Completed when every story merged, paused for budget or for merge approvals, failed otherwise. */
export function decideSessionEnd(sessionId: string, f: SessionEndFacts): SessionEnd {
  const done = f.runs.filter(isDone);
  const bad = f.runs.filter((r) => !isDone(r));
  if (f.errors.length) {
    const reason = `The session stopped on an error: ${f.errors.join('; ')}. Fix the cause, then resume it (its checkpoints are intact).`;
    return { status: 'failed', reason, notice: { kind: 'failed', title: `Session ${sessionId} failed` } };
  }
  if (f.pausedForBudget) {
    const reason = `Paused: the budget of $${(f.budget.budgetUsd ?? 0).toFixed(2)} is used up ($${f.budget.spentUsd.toFixed(4)} spent); ${bad.length} stor${bad.length === 1 ? 'y waits' : 'ies wait'}. Raise the budget and resume.`;
    return { status: 'paused', reason, notice: null };
  }
  if (bad.some((r) => isAwaitingMergeApproval(r)) && onlyWaitingForApprovals(bad, f.runs, f.dependencies)) {
    // Nothing failed: the session waits for a person (merge.requireApproval) and goes on after the approval.
    const waiting = bad.filter((r) => isAwaitingMergeApproval(r)).map((r) => r.storyId);
    const reason = `Waiting for merge approval of ${waiting.join(', ')}: approve in the story's detail or with wave approve-merge; the session then continues.`;
    return {
      status: 'paused',
      reason,
      notice: { kind: 'escalation', title: `Session ${sessionId} waits for merge approvals` },
    };
  }
  if (bad.length === 0) {
    const reason = `All ${f.runs.length} stor${f.runs.length === 1 ? 'y' : 'ies'} merged into ${f.targetBranch}.`;
    return { status: 'completed', reason, notice: { kind: 'completed', title: `Session ${sessionId} completed` } };
  }
  const counts = new Map<string, string[]>();
  for (const r of bad) counts.set(r.status, [...(counts.get(r.status) ?? []), r.storyId]);
  const reason = `${done.length} of ${f.runs.length} stories merged; ${[...counts].map(([s, ids]) => `${s}: ${ids.join(', ')}`).join('; ')}.`;
  return { status: 'failed', reason, notice: { kind: 'failed', title: `Session ${sessionId} failed` } };
}

/**
 * True when every unfinished story waits for a merge approval, or is held at gate-0 only by
 * dependencies that (in turn) do: then approving is all it takes for the session to go on.
 * A dependency that failed, was cancelled or blocked for another reason makes it false.
 */
export function onlyWaitingForApprovals(
  unfinished: StoryRun[],
  all: StoryRun[],
  dependencies: Map<string, string[]>,
): boolean {
  const byStory = new Map(unfinished.map((r) => [r.storyId, r]));
  const landed = new Set(all.filter((r) => isDoneStory(r.status)).map((r) => r.storyId));
  const memo = new Map<string, boolean>();
  const waits = (storyId: string, path: Set<string>): boolean => {
    const known = memo.get(storyId);
    if (known !== undefined) return known;
    const r = byStory.get(storyId);
    let ok = false;
    if (r && isAwaitingMergeApproval(r)) ok = true;
    else if (r && r.status === 'blocked' && r.currentGate === 'gate-0' && !path.has(storyId)) {
      // Every dependency has landed or waits (in turn) for an approval; a cancelled one never will.
      const unmet = (dependencies.get(storyId) ?? []).filter((d) => !landed.has(d));
      const next = new Set(path).add(storyId);
      ok = unmet.length > 0 && unmet.every((d) => waits(d, next));
    }
    memo.set(storyId, ok);
    return ok;
  };
  return unfinished.every((r) => waits(r.storyId, new Set()));
}
