import type { StoryRun } from '../../../store';
import type { Executor } from '../../executor';
import type { MergePort, RestoreWhy, WorktreePort } from '../gates/types';
import type { StoryEnv } from '../story-env';

/**
 * Brings a worktree back to `sha` and removes untracked leftovers, snapshotting what it
 * would destroy first: the one place a story's work is reset (resume from a checkpoint, a
 * reused worktree at gate-0).
 */
export async function restoreWorktree(
  executor: Executor,
  storyId: string,
  sha: string,
  why: RestoreWhy & { sessionId: string },
): Promise<void> {
  await executor.worktrees.resetTo(storyId, sha, { ...why, actor: 'orchestrator' });
}

/**
 * After the merge the story's worktree and branch are removed (the branch only once the
 * merge commit is verified on the target): the one place that happens.
 */
export async function removeMergedWorktree(
  executor: Executor,
  storyId: string,
  mergedAs: string,
  sessionId: string,
): Promise<void> {
  await executor.worktrees.remove(storyId, {
    deleteBranch: true,
    mergedAs,
    reason: `merged as ${mergedAs.slice(0, 12)}`,
    actor: 'orchestrator',
    gate: 'gate-7',
    sessionId,
  });
}

export function worktreePort(env: StoryEnv, run: () => StoryRun, worktreePath: () => string): WorktreePort {
  const wt = env.executor.worktrees;
  return {
    create: () => wt.create({ storyId: run().storyId, agent: run().agent, sessionId: env.sessionId }),
    head: async () => (await wt.git(['rev-parse', 'HEAD'], { cwd: worktreePath() })).stdout.trim(),
    commitAll: (message) => wt.commitAll(run().storyId, message),
    targetTip: () => wt.resolveRef(`refs/heads/${env.config.targetBranch}`),
    restore: (sha, why) => restoreWorktree(env.executor, run().storyId, sha, { ...why, sessionId: env.sessionId }),
    snapshot: (why) =>
      env.executor.worktrees
        .snapshot(run().storyId, { ...why, keeps: null, actor: 'orchestrator', sessionId: env.sessionId })
        .then(() => undefined),
    removeMerged: (mergedAs) => removeMergedWorktree(env.executor, run().storyId, mergedAs, env.sessionId),
  };
}

export function mergePort(env: StoryEnv, storyId: string): MergePort {
  return {
    prepare: () => env.executor.merger.mergeTargetIntoStory(storyId),
    merge: (expectHead) =>
      env.executor.merger.mergeStoryIntoTarget(storyId, {
        strategy: env.config.mergeStrategy,
        ...(expectHead ? { expectHead } : {}),
      }),
  };
}
