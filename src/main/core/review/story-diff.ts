import { runGit } from '../executor/git';
import { OrchestratorError } from '../orchestrator/errors';
import type { Store } from '../../store';
import { sessionStory } from './session-story';
import { MAX_FILE_PATCH_CHARS, type DiffAgainst, type StoryDiff } from '../../../shared/ipc/review';
import { assembleFiles, parseNameStatus, parseNumStat, splitPatch } from './parse-diff';

export interface StoryDiffRequest {
  sessionId: string;
  storyId: string;
  against?: DiffAgainst;
  ignoreWhitespace?: boolean;
  /** Patches over this many characters are left out (the window); Infinity keeps every patch (the CLI). */
  maxPatchChars?: number;
}

/** Story statuses in which an agent may still be adding commits to the branch. */
const LIVE_STATUSES: ReadonlySet<string> = new Set(['queued', 'running']);

/**
 * A story's changes, read from the project repository with git (argv only): the story
 * branch against where it left the target ("base": the merge base, as a pull request shows
 * it) or against the target's tip now ("target"). A story whose branch was merged and
 * deleted is shown from its merge commit. Nothing here writes to the repository.
 */
export async function storyDiff(store: Store, req: StoryDiffRequest): Promise<StoryDiff> {
  const against = req.against ?? 'base';
  const { run, config } = await sessionStory(store, req.sessionId, req.storyId);
  const repo = config.repoPath;
  const git = (args: string[], allow: number[] = []) =>
    runGit(repo, ['-c', 'core.quotepath=false', ...args], { allowExitCodes: allow });
  const resolve = async (ref: string): Promise<string | null> => {
    const r = await git(['rev-parse', '--verify', '--quiet', `${ref}^{commit}`], [1, 128]);
    return r.exitCode === 0 ? r.stdout.trim() : null;
  };

  const targetTip = await resolve(`refs/heads/${config.targetBranch}`);
  if (!targetTip)
    throw new OrchestratorError(
      'not_found',
      `The target branch ${config.targetBranch} does not exist in ${repo}; nothing to compare the story with.`,
    );
  const branchTip = run.branch ? await resolve(`refs/heads/${run.branch}`) : null;
  let head: string;
  let base: string;
  let note: string | null = null;
  if (branchTip) {
    head = branchTip;
    if (against === 'target') base = targetTip;
    else {
      const mb = await git(['merge-base', targetTip, head], [1]);
      base = mb.exitCode === 0 ? mb.stdout.trim() : (run.baseSha ?? targetTip);
      if (base === head && run.baseSha && run.baseSha !== head) {
        // Merged by fast-forward but the branch is still there: show what it added since it began.
        base = run.baseSha;
        note = `${run.branch} is already on ${config.targetBranch}; showing its changes since it began at ${run.baseSha.slice(0, 12)}.`;
      }
    }
  } else if (run.mergeSha) {
    head = run.mergeSha;
    const parents = (await git(['rev-list', '--parents', '-n', '1', head])).stdout.trim().split(' ').slice(1);
    base = against === 'target' ? targetTip : parents.length > 1 ? parents[0]! : (run.baseSha ?? parents[0] ?? head);
    note = `The story was merged as ${head.slice(0, 12)} and its branch deleted; showing ${against === 'target' ? `the difference to ${config.targetBranch} now` : 'what the merge brought to the target'}.`;
  } else {
    throw new OrchestratorError(
      'precondition_failed',
      `Story ${req.storyId} has no branch yet (it is ${run.status}${run.currentGate ? ` at ${run.currentGate}` : ''}); its changes can be shown once gate-0 has created its worktree.`,
    );
  }

  const opts = [
    '--no-color',
    '--no-ext-diff',
    '--find-renames',
    ...(req.ignoreWhitespace ? ['--ignore-all-space'] : []),
  ];
  const range = [base, head, '--'];
  const [names, nums, patch] = await Promise.all([
    git(['diff', ...opts, '--name-status', '-z', ...range]),
    git(['diff', ...opts, '--numstat', '-z', ...range]),
    git(['diff', ...opts, '--unified=3', ...range]),
  ]);
  const files = assembleFiles(
    parseNameStatus(names.stdout),
    parseNumStat(nums.stdout),
    splitPatch(patch.stdout),
    req.maxPatchChars ?? MAX_FILE_PATCH_CHARS,
  );
  return {
    sessionId: req.sessionId,
    storyId: req.storyId,
    against,
    branch: branchTip ? run.branch : null,
    targetBranch: config.targetBranch,
    baseSha: base,
    headSha: head,
    ignoreWhitespace: req.ignoreWhitespace === true,
    live: LIVE_STATUSES.has(run.status),
    files,
    note,
  };
}
