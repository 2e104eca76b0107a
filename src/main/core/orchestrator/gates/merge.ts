import { ExecutorError } from '../../executor';
import type { GateActivity } from './types';

function describeError(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** gate-7: the story lands on the target branch under the repository lock; the SHA is recorded. */
export const merge: GateActivity = async (ctx) => {
  try {
    const r = await ctx.ports.merger.merge(ctx.config.requireMergeApproval ? ctx.approvedHead : null);
    return {
      verdict: { kind: 'passed' },
      patch: { mergeSha: r.sha },
      detail: {
        sha: r.sha,
        alreadyMerged: r.alreadyMerged,
        strategy: r.strategy,
        previousTargetSha: r.previousTargetSha,
      },
      // Merged: the worktree and branch have done their job.
      after: () => ctx.ports.worktree.removeMerged(r.sha),
    };
  } catch (e) {
    // The branch moved between the approval check and the merge: the approval is asked for again.
    if (e instanceof ExecutorError && e.code === 'branch_changed')
      return { verdict: { kind: 'branch-changed' }, reason: e.message };
    if (
      e instanceof ExecutorError &&
      (e.code === 'merge_conflict' || e.code === 'not_fast_forward' || e.code === 'target_moved')
    ) {
      return { verdict: { kind: 'target-moved' }, reason: e.message };
    }
    return { verdict: { kind: 'failed' }, reason: describeError(e) };
  }
};
