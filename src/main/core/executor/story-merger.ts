import { ExecutorError } from './errors';
import { splitNul } from './git';
import type { WorktreeManager } from './worktree-manager';

/** How gate-7 lands a story on the target branch. */
export type MergeStrategy = 'fast-forward' | 'merge-commit';

export type PrepareMergeResult =
  | {
      ok: true;
      /** True when the target had commits the story lacked (QA should run again). */
      targetMoved: boolean;
      headSha: string;
      targetSha: string;
    }
  | {
      ok: false;
      /** Files with conflicts; empty when the merge failed for another reason (see message). */
      conflicts: string[];
      message: string;
    };

export interface MergeResult {
  /** The target branch commit that contains the story (merge commit, or the story tip for a fast-forward). */
  sha: string;
  /** The story was already in the target branch: nothing was changed and `sha` is the earlier merge. */
  alreadyMerged: boolean;
  strategy: MergeStrategy;
  previousTargetSha: string;
  /** Checkout (e.g. the main checkout) whose files were advanced along with the target branch. */
  updatedCheckout?: string;
}

export interface StoryMergerOptions {
  strategy?: MergeStrategy;
}

/**
 * Gate-6 and gate-7 merges. Nothing is ever auto-resolved (rerere is off for our
 * merges), nothing is pushed, and the target branch only ever moves forward: the new
 * target commit always has the old one as an ancestor, and the ref is updated with a
 * compare-and-swap on the old value.
 *
 * Target checked out somewhere (usually the main checkout): moving the ref behind that
 * checkout would leave its files and index describing the old commit, so the next commit
 * there would silently revert the story. Wave therefore advances such a checkout with
 * `git merge --ff-only` run in it, and only when it has no uncommitted changes to
 * tracked files; otherwise gate-7 refuses with a message saying what to do.
 */
export class StoryMerger {
  constructor(
    private readonly worktrees: WorktreeManager,
    private readonly options: StoryMergerOptions = {},
  ) {}

  /** Gate-6: merges the target branch into the story branch, in the story's worktree. */
  async mergeTargetIntoStory(storyId: string): Promise<PrepareMergeResult> {
    const owned = await this.worktrees.requireOwned(storyId);
    const target = this.worktrees.targetBranch;
    const cwd = owned.path;
    return this.worktrees.lock.shared(async () => {
      await this.assertClean(cwd, `the worktree of ${storyId}`, 'Commit the story changes (gate-3) before gate-6.');
      const targetSha = await this.requireRef(`refs/heads/${target}`, target);
      const head = (await this.worktrees.git(['rev-parse', 'HEAD'], { cwd })).stdout.trim();
      if (await this.worktrees.isAncestor(targetSha, head)) {
        return { ok: true, targetMoved: false, headSha: head, targetSha };
      }
      const merge = await this.worktrees.git(
        ['merge', '--no-edit', '--no-verify', '-m', `Merge ${target} into ${owned.branch} (wave gate-6)`, targetSha],
        { cwd, config: ['rerere.enabled=false', 'merge.autoStash=false'], allowExitCodes: [1, 128] },
      );
      if (merge.exitCode === 0) {
        const headSha = (await this.worktrees.git(['rev-parse', 'HEAD'], { cwd })).stdout.trim();
        return { ok: true, targetMoved: true, headSha, targetSha };
      }
      const unmerged = await this.worktrees.git(['diff', '--name-only', '--diff-filter=U', '-z'], { cwd });
      const conflicts = splitNul(unmerged.stdout);
      // Leave the worktree exactly as before the attempt.
      const inMerge = await this.worktrees.git(['rev-parse', '--verify', '--quiet', 'MERGE_HEAD'], {
        cwd,
        allowExitCodes: [1, 128],
      });
      if (inMerge.exitCode === 0) await this.worktrees.git(['merge', '--abort'], { cwd });
      const message =
        conflicts.length > 0
          ? `Merging ${target} into ${owned.branch} conflicts in: ${conflicts.join(', ')}. The merge was aborted and nothing was auto-resolved; ` +
            'give the agent the conflict list (fix phase) or resolve it on the story branch, then retry gate-6.'
          : `Merging ${target} into ${owned.branch} failed: ${(merge.stderr || merge.stdout).trim()}. The worktree was left as it was.`;
      return { ok: false, conflicts, message };
    });
  }

  /**
   * Gate-7: lands the story branch on the target branch under the exclusive repository
   * lock. Merging a story that is already in the target returns the earlier merge SHA.
   */
  async mergeStoryIntoTarget(
    storyId: string,
    options: { strategy?: MergeStrategy; message?: string; expectHead?: string } = {},
  ): Promise<MergeResult> {
    const owned = await this.worktrees.requireOwned(storyId);
    const target = this.worktrees.targetBranch;
    const strategy = options.strategy ?? this.options.strategy ?? 'merge-commit';
    return this.worktrees.lock.exclusive(async () => {
      const storySha = await this.requireRef(`refs/heads/${owned.branch}`, owned.branch);
      // An approved merge lands exactly the approved commit, checked under the lock.
      if (options.expectHead !== undefined && storySha !== options.expectHead) {
        throw new ExecutorError(
          'branch_changed',
          `${owned.branch} is at ${storySha}, not at the approved ${options.expectHead}; nothing was merged.`,
          {
            storyId,
            storySha,
            expected: options.expectHead,
          },
        );
      }
      const targetOld = await this.requireRef(`refs/heads/${target}`, target);

      if (await this.worktrees.isAncestor(storySha, targetOld)) {
        return {
          sha: await this.findLandingCommit(storySha, targetOld),
          alreadyMerged: true,
          strategy,
          previousTargetSha: targetOld,
        };
      }

      let newSha: string;
      const canFastForward = await this.worktrees.isAncestor(targetOld, storySha);
      if (strategy === 'fast-forward') {
        if (!canFastForward) {
          throw new ExecutorError(
            'not_fast_forward',
            `${target} has moved since ${owned.branch} was prepared, so it cannot be fast-forwarded. Re-run gate-6 (merge ${target} into the story) and gate-7 again.`,
            { storyId, target, targetSha: targetOld, storySha },
          );
        }
        newSha = storySha;
      } else {
        newSha = await this.createMergeCommit(
          targetOld,
          storySha,
          options.message ?? `Merge ${owned.branch} into ${target} (wave gate-7, story ${storyId})`,
        );
      }
      if (!(await this.worktrees.isAncestor(targetOld, newSha))) {
        // Cannot happen by construction; refuse rather than ever rewrite the target.
        throw new ExecutorError(
          'target_moved',
          `Refusing to move ${target}: ${newSha} does not contain its current commit ${targetOld}.`,
        );
      }

      const checkout = (await this.worktrees.listGitWorktrees()).find((w) => w.branch === `refs/heads/${target}`);
      if (checkout) {
        await this.assertClean(
          checkout.path,
          `the checkout at ${checkout.path}, which has ${target} checked out,`,
          `Commit or stash those changes (or check out another branch there), then retry gate-7. Wave will not move ${target} under uncommitted work.`,
          'target_checked_out_dirty',
        );
        await this.worktrees.git(['merge', '--ff-only', '--no-verify', newSha], { cwd: checkout.path });
      } else {
        await this.worktrees.git([
          'update-ref',
          '-m',
          `wave: merge ${owned.branch} (gate-7)`,
          `refs/heads/${target}`,
          newSha,
          targetOld,
        ]);
      }
      const landed = await this.requireRef(`refs/heads/${target}`, target);
      if (landed !== newSha) {
        throw new ExecutorError(
          'target_moved',
          `${target} moved while story ${storyId} was being merged (now ${landed}). Re-run gate-6 and gate-7.`,
          { landed, newSha },
        );
      }
      return {
        sha: newSha,
        alreadyMerged: false,
        strategy: newSha === storySha ? 'fast-forward' : 'merge-commit',
        previousTargetSha: targetOld,
        updatedCheckout: checkout?.path,
      };
    });
  }

  /** Builds the merge commit with plumbing: no checkout of the target branch is needed. */
  private async createMergeCommit(targetSha: string, storySha: string, message: string): Promise<string> {
    const tree = await this.worktrees.git(['merge-tree', '--write-tree', '-z', '--name-only', targetSha, storySha], {
      allowExitCodes: [1],
      config: ['rerere.enabled=false'],
    });
    const fields = tree.stdout.split('\0');
    const treeSha = fields[0]!.trim();
    if (tree.exitCode === 1) {
      const conflicts: string[] = [];
      for (const f of fields.slice(1)) {
        if (f === '') break;
        if (!conflicts.includes(f)) conflicts.push(f);
      }
      throw new ExecutorError(
        'merge_conflict',
        `The story conflicts with ${this.worktrees.targetBranch} in: ${conflicts.join(', ') || '(see git output)'}. Nothing was merged; re-run gate-6 to bring the story up to date.`,
        { conflicts },
      );
    }
    const commit = await this.worktrees.git(['commit-tree', treeSha, '-p', targetSha, '-p', storySha, '-m', message]);
    return commit.stdout.trim();
  }

  /**
   * The commit by which `storySha` entered the target's first-parent history: the story
   * tip itself after a fast-forward, otherwise the merge commit.
   */
  private async findLandingCommit(storySha: string, targetSha: string): Promise<string> {
    if (storySha === targetSha) return storySha;
    const chain = (await this.worktrees.git(['rev-list', '--first-parent', `${storySha}..${targetSha}`])).stdout
      .split('\n')
      .filter(Boolean);
    const descendants = new Set(
      (await this.worktrees.git(['rev-list', '--ancestry-path', `${storySha}..${targetSha}`])).stdout
        .split('\n')
        .filter(Boolean),
    );
    const oldest = chain[chain.length - 1];
    if (oldest) {
      const parent = (await this.worktrees.git(['rev-parse', `${oldest}^1`])).stdout.trim();
      if (parent === storySha) return storySha;
    }
    for (let i = chain.length - 1; i >= 0; i -= 1) if (descendants.has(chain[i]!)) return chain[i]!;
    return storySha;
  }

  private async requireRef(ref: string, name: string): Promise<string> {
    const sha = await this.worktrees.resolveRef(ref);
    if (!sha)
      throw new ExecutorError('branch_missing', `The branch ${name} does not exist in ${this.worktrees.repoRoot}.`, {
        ref,
      });
    return sha;
  }

  private async assertClean(
    cwd: string,
    what: string,
    next: string,
    code: 'dirty_worktree' | 'target_checked_out_dirty' = 'dirty_worktree',
  ): Promise<void> {
    const status = await this.worktrees.git(['status', '--porcelain', '-z', '--untracked-files=no'], { cwd });
    const dirty = splitNul(status.stdout)
      .map((l) => l.slice(3))
      .filter(Boolean);
    if (dirty.length > 0) {
      throw new ExecutorError(
        code,
        `There are uncommitted changes in ${what}: ${dirty.slice(0, 10).join(', ')}${dirty.length > 10 ? ', …' : ''}. ${next}`,
        {
          cwd,
          dirty,
        },
      );
    }
  }
}
