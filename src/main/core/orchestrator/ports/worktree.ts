import type { StoryRun } from '../../../store';
import type { Executor } from '../../executor';
import type { MergePort, WorktreePort } from '../gates/types';
import type { StoryEnv } from '../story-env';

/**
 * Brings a worktree back to `sha` and removes untracked leftovers: the one place a story's
 * work is reset (resume from a checkpoint, a reused worktree at gate-0).
 */
export async function restoreWorktree(executor: Executor, path: string, sha: string): Promise<void> {
  await executor.worktrees.git(['reset', '--hard', '--quiet', sha], { cwd: path });
  await executor.worktrees.git(['clean', '-fd', '--quiet'], { cwd: path });
}

/** After the merge the story's worktree and branch are removed: the one place that happens. */
export async function removeMergedWorktree(executor: Executor, storyId: string): Promise<void> {
  await executor.worktrees.remove(storyId, { deleteBranch: true });
}

export function worktreePort(env: StoryEnv, run: () => StoryRun, worktreePath: () => string): WorktreePort {
  const wt = env.executor.worktrees;
  return {
    create: () => wt.create({ storyId: run().storyId, agent: run().agent, sessionId: env.sessionId }),
    head: async () => (await wt.git(['rev-parse', 'HEAD'], { cwd: worktreePath() })).stdout.trim(),
    commitAll: (message) => wt.commitAll(run().storyId, message),
    targetTip: () => wt.resolveRef(`refs/heads/${env.config.targetBranch}`),
    restore: (path, sha) => restoreWorktree(env.executor, path, sha),
    removeMerged: () => removeMergedWorktree(env.executor, run().storyId),
  };
}

export function mergePort(env: StoryEnv, storyId: string): MergePort {
  return {
    prepare: () => env.executor.merger.mergeTargetIntoStory(storyId),
    merge: (expectHead) => env.executor.merger.mergeStoryIntoTarget(storyId, { strategy: env.config.mergeStrategy, ...(expectHead ? { expectHead } : {}) }),
  };
}
