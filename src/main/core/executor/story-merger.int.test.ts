import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestRepo, type TestRepo } from '../../../../test/fixtures/repos/git-repo';
import { StoryMerger } from './story-merger';
import { WorktreeManager } from './worktree-manager';

let repo: TestRepo;
let wm: WorktreeManager;
let merger: StoryMerger;

beforeEach(async () => {
  repo = createTestRepo({ 'README.md': '# r\n', 'src/shared.ts': 'line 1\nline 2\nline 3\n' });
  wm = await WorktreeManager.open({
    repoPath: repo.path,
    dataDir: repo.dataDir,
    targetBranch: 'main',
    committer: { name: 'Wave', email: 'wave@example.invalid' },
  });
  merger = new StoryMerger(wm);
});

afterEach(async () => {
  await wm.reconcile({ deleteUnmerged: true });
  const worktrees = repo.worktrees();
  repo.cleanup();
  expect(worktrees).toHaveLength(1);
});

const isAncestor = (a: string, b: string) => {
  try {
    repo.git(['merge-base', '--is-ancestor', a, b]);
    return true;
  } catch {
    return false;
  }
};

describe('StoryMerger gate-6 (target into story)', () => {
  it('reports nothing to do when the target has not moved', async () => {
    const wt = await wm.create({ storyId: 'S-1', agent: 'a' });
    repo.commit({ 'src/a.ts': 'a\n' }, 'story', wt.path);
    const result = await merger.mergeTargetIntoStory('S-1');
    expect(result).toMatchObject({ ok: true, targetMoved: false });
  });

  it('merges a moved target into the story branch', async () => {
    const wt = await wm.create({ storyId: 'S-2', agent: 'a' });
    repo.commit({ 'src/a.ts': 'a\n' }, 'story', wt.path);
    const landed = repo.commit({ 'src/b.ts': 'b\n' }, 'other story landed');
    const result = await merger.mergeTargetIntoStory('S-2');
    expect(result).toMatchObject({ ok: true, targetMoved: true });
    expect(isAncestor(landed, 'wave/a/S-2')).toBe(true);
    expect(readFileSync(join(wt.path, 'src/b.ts'), 'utf8')).toBe('b\n');
  });

  it('fails on a conflict, names the files, aborts the merge and resolves nothing', async () => {
    const wt = await wm.create({ storyId: 'S-3', agent: 'a' });
    const storyHead = repo.commit(
      { 'src/shared.ts': 'line 1\nstory change\nline 3\n', 'README.md': '# story\n' },
      'story',
      wt.path,
    );
    repo.commit({ 'src/shared.ts': 'line 1\ntarget change\nline 3\n', 'README.md': '# target\n' }, 'target');
    const result = await merger.mergeTargetIntoStory('S-3');
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.conflicts).toEqual(['README.md', 'src/shared.ts']);
    expect(result.message).toContain('conflicts in: README.md, src/shared.ts');
    // Aborted: the story worktree is exactly as before.
    expect(repo.git(['rev-parse', 'HEAD'], wt.path)).toBe(storyHead);
    expect(repo.git(['status', '--porcelain'], wt.path)).toBe('');
    expect(readFileSync(join(wt.path, 'src/shared.ts'), 'utf8')).toBe('line 1\nstory change\nline 3\n');
  });

  it('refuses to merge over uncommitted story changes', async () => {
    const wt = await wm.create({ storyId: 'S-4', agent: 'a' });
    repo.commit({ 'x.txt': 'x\n' }, 'target moved');
    writeFileSync(join(wt.path, 'README.md'), 'dirty\n');
    await expect(merger.mergeTargetIntoStory('S-4')).rejects.toMatchObject({ code: 'dirty_worktree' });
  });
});

describe('StoryMerger gate-7 (story into target)', () => {
  it('merges an approved commit only: a branch that moved on since is refused and main is untouched', async () => {
    const wt = await wm.create({ storyId: 'S-AP', agent: 'a' });
    const approved = repo.commit({ 'src/ap.ts': 'approved\n' }, 'story', wt.path);
    const later = repo.commit({ 'src/ap.ts': 'changed after the approval\n' }, 'story, later', wt.path);
    const mainBefore = repo.git(['rev-parse', 'main']);
    const refused = await merger.mergeStoryIntoTarget('S-AP', { expectHead: approved }).catch((e: unknown) => e);
    expect(refused).toMatchObject({ code: 'branch_changed' });
    expect((refused as Error).message).toContain(`is at ${later}, not at the approved ${approved}`);
    expect(repo.git(['rev-parse', 'main'])).toBe(mainBefore);
    const merged = await merger.mergeStoryIntoTarget('S-AP', { expectHead: later });
    expect(isAncestor(later, 'main')).toBe(true);
    expect(merged.alreadyMerged).toBe(false);
  });

  it('fast-forwards the target, updating the clean main checkout that has it checked out', async () => {
    const wt = await wm.create({ storyId: 'F-1', agent: 'a' });
    const tip = repo.commit({ 'src/f.ts': 'f\n' }, 'story', wt.path);
    const before = repo.git(['rev-parse', 'main']);
    const result = await merger.mergeStoryIntoTarget('F-1', { strategy: 'fast-forward' });
    expect(result).toMatchObject({
      sha: tip,
      alreadyMerged: false,
      strategy: 'fast-forward',
      previousTargetSha: before,
      updatedCheckout: repo.path,
    });
    expect(repo.git(['rev-parse', 'main'])).toBe(tip);
    // The main checkout's files and index follow the branch: nothing looks reverted.
    expect(repo.git(['status', '--porcelain'])).toBe('');
    expect(readFileSync(join(repo.path, 'src/f.ts'), 'utf8')).toBe('f\n');
  });

  it('creates a merge commit whose first parent is the old target, without touching other checkouts', async () => {
    repo.git(['checkout', '-q', '-b', 'elsewhere']);
    const wt = await wm.create({ storyId: 'M-1', agent: 'a' });
    const tip = repo.commit({ 'src/m.ts': 'm\n' }, 'story', wt.path);
    const old = repo.git(['rev-parse', 'main']);
    const result = await merger.mergeStoryIntoTarget('M-1', { strategy: 'merge-commit' });
    expect(result.alreadyMerged).toBe(false);
    expect(result.strategy).toBe('merge-commit');
    expect(result.updatedCheckout).toBeUndefined();
    expect(repo.git(['rev-parse', 'main'])).toBe(result.sha);
    expect(repo.git(['rev-parse', `${result.sha}^1`])).toBe(old);
    expect(repo.git(['rev-parse', `${result.sha}^2`])).toBe(tip);
    expect(repo.git(['log', '-1', '--format=%an <%ae>', result.sha])).toBe('Wave <wave@example.invalid>');
    expect(repo.git(['show', `${result.sha}:src/m.ts`])).toBe('m');
    expect(repo.git(['branch', '--show-current'])).toBe('elsewhere');
    expect(repo.git(['status', '--porcelain'])).toBe('');
  });

  it('merging the same story twice returns the first merge instead of a new one', async () => {
    const wt = await wm.create({ storyId: 'D-1', agent: 'a' });
    repo.commit({ 'src/d.ts': 'd\n' }, 'story', wt.path);
    const first = await merger.mergeStoryIntoTarget('D-1');
    const later = repo.commit({ 'later.txt': 'later\n' }, 'more work on main');
    const second = await merger.mergeStoryIntoTarget('D-1');
    expect(second).toMatchObject({ sha: first.sha, alreadyMerged: true });
    expect(repo.git(['rev-parse', 'main'])).toBe(later);

    // Same for a fast-forwarded story.
    const wt2 = await wm.create({ storyId: 'D-2', agent: 'a' });
    const tip = repo.commit({ 'src/e.ts': 'e\n' }, 'story 2', wt2.path);
    await merger.mergeTargetIntoStory('D-2');
    const ff = await merger.mergeStoryIntoTarget('D-2', { strategy: 'fast-forward' });
    expect(ff.sha).toBe(tip);
    repo.commit({ 'later2.txt': 'x\n' }, 'even more');
    expect(await merger.mergeStoryIntoTarget('D-2', { strategy: 'fast-forward' })).toMatchObject({
      sha: tip,
      alreadyMerged: true,
    });
  });

  it('never rewrites the target: a fast-forward that is no longer possible is refused', async () => {
    const wt = await wm.create({ storyId: 'N-1', agent: 'a' });
    repo.commit({ 'src/n.ts': 'n\n' }, 'story', wt.path);
    const moved = repo.commit({ 'other.txt': 'o\n' }, 'target moved');
    await expect(merger.mergeStoryIntoTarget('N-1', { strategy: 'fast-forward' })).rejects.toMatchObject({
      code: 'not_fast_forward',
    });
    expect(repo.git(['rev-parse', 'main'])).toBe(moved);
    // After gate-6 the fast-forward works and keeps the landed commit.
    expect((await merger.mergeTargetIntoStory('N-1')).ok).toBe(true);
    const result = await merger.mergeStoryIntoTarget('N-1', { strategy: 'fast-forward' });
    expect(isAncestor(moved, result.sha)).toBe(true);
  });

  it('refuses to move a target checked out with uncommitted changes, and leaves everything as it was', async () => {
    const wt = await wm.create({ storyId: 'X-1', agent: 'a' });
    repo.commit({ 'src/x.ts': 'x\n' }, 'story', wt.path);
    writeFileSync(join(repo.path, 'README.md'), 'the lead is editing this\n');
    const before = repo.git(['rev-parse', 'main']);
    await expect(merger.mergeStoryIntoTarget('X-1')).rejects.toMatchObject({ code: 'target_checked_out_dirty' });
    expect(repo.git(['rev-parse', 'main'])).toBe(before);
    expect(readFileSync(join(repo.path, 'README.md'), 'utf8')).toBe('the lead is editing this\n');
    writeFileSync(join(repo.path, 'README.md'), '# r\n');
  });

  it('reports a conflict with the target at gate-7 without changing it', async () => {
    const wt = await wm.create({ storyId: 'C-1', agent: 'a' });
    repo.commit({ 'src/shared.ts': 'story\n' }, 'story', wt.path);
    const moved = repo.commit({ 'src/shared.ts': 'target\n' }, 'target');
    const error = await merger.mergeStoryIntoTarget('C-1').catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'merge_conflict', detail: { conflicts: ['src/shared.ts'] } });
    expect(repo.git(['rev-parse', 'main'])).toBe(moved);
  });

  it('serialises concurrent gate-7 merges under the repository lock: every story lands, none is lost', async () => {
    const ids = ['P-1', 'P-2', 'P-3', 'P-4'];
    for (const id of ids) {
      const wt = await wm.create({ storyId: id, agent: 'a' });
      repo.commit({ [`src/${id}.ts`]: `${id}\n` }, id, wt.path);
    }
    const results = await Promise.all(ids.map((id) => merger.mergeStoryIntoTarget(id)));
    expect(new Set(results.map((r) => r.sha)).size).toBe(4);
    for (const id of ids) expect(repo.git(['show', `main:src/${id}.ts`])).toBe(id);
    expect(repo.git(['status', '--porcelain'])).toBe('');
  });
});
