import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestRepo, type TestRepo } from '../../../../test/fixtures/repos/git-repo';
import { ExecutorError } from './errors';
import { WorktreeManager } from './worktree-manager';

let repo: TestRepo;

beforeEach(() => {
  repo = createTestRepo({ 'README.md': '# demo\n', 'src/app.ts': 'export {};\n', '.gitignore': '.env\n' });
});

afterEach(async () => {
  // No test may leave a worktree registered in the repository (besides the main checkout).
  const worktrees = repo.worktrees();
  repo.cleanup();
  expect(worktrees).toHaveLength(1);
});

async function open(extra: Partial<Parameters<typeof WorktreeManager.open>[0]> = {}) {
  return WorktreeManager.open({ repoPath: repo.path, dataDir: repo.dataDir, targetBranch: 'main', ...extra });
}

describe('WorktreeManager', () => {
  it('creates a worktree per story on wave/<agent>/<story> from the target branch, outside the repository', async () => {
    const wm = await open();
    const wt = await wm.create({ storyId: 'S-1', agent: 'claude' });
    expect(wt.branch).toBe('wave/claude/S-1');
    expect(wt.reused).toBe(false);
    expect(wt.path.startsWith(join(repo.dataDir, 'worktrees'))).toBe(true);
    expect(wt.path.startsWith(repo.path)).toBe(false);
    expect(readFileSync(join(wt.path, 'src/app.ts'), 'utf8')).toBe('export {};\n');
    expect(repo.git(['rev-parse', 'HEAD'], wt.path)).toBe(repo.git(['rev-parse', 'main']));
    expect(repo.git(['branch', '--show-current'], wt.path)).toBe('wave/claude/S-1');
    // The main checkout is untouched: same branch, clean.
    expect(repo.git(['branch', '--show-current'])).toBe('main');
    expect(repo.git(['status', '--porcelain'])).toBe('');
    await wm.remove('S-1', { deleteBranch: true });
    expect(existsSync(wt.path)).toBe(false);
    expect(repo.git(['branch', '--list', 'wave/*'])).toBe('');
  });

  it('reuses the worktree and the commits of an earlier run of the same story', async () => {
    const wm = await open();
    const first = await wm.create({ storyId: 'S-2', agent: 'claude' });
    repo.commit({ 'src/work.ts': 'work in progress\n' }, 'agent work', first.path);
    const again = await wm.create({ storyId: 'S-2', agent: 'claude' });
    expect(again.reused).toBe(true);
    expect(again.path).toBe(first.path);
    expect(readFileSync(join(again.path, 'src/work.ts'), 'utf8')).toBe('work in progress\n');

    // Worktree removed but branch kept (e.g. after a crash): the branch is picked up again.
    await wm.remove('S-2');
    expect(existsSync(first.path)).toBe(false);
    const third = await wm.create({ storyId: 'S-2', agent: 'claude' });
    expect(third.reused).toBe(true);
    expect(readFileSync(join(third.path, 'src/work.ts'), 'utf8')).toBe('work in progress\n');
    await wm.remove('S-2', { deleteBranch: true });
  });

  it('re-creates a worktree whose folder was deleted behind git', async () => {
    const wm = await open();
    const wt = await wm.create({ storyId: 'S-3', agent: 'a' });
    repo.commit({ 'kept.txt': 'kept\n' }, 'kept', wt.path);
    const { rmSync } = await import('node:fs');
    rmSync(wt.path, { recursive: true, force: true });
    const again = await wm.create({ storyId: 'S-3', agent: 'a' });
    expect(again.reused).toBe(true);
    expect(readFileSync(join(again.path, 'kept.txt'), 'utf8')).toBe('kept\n');
    await wm.remove('S-3', { deleteBranch: true });
  });

  it('refuses a wave/ branch it did not create and never deletes it', async () => {
    repo.git(['branch', 'wave/claude/S-4', 'main']);
    const wm = await open();
    await expect(wm.create({ storyId: 'S-4', agent: 'claude' })).rejects.toMatchObject({ code: 'branch_not_owned' });
    const report = await wm.reconcile({ deleteUnmerged: true });
    expect(report.foreignBranches).toEqual(['wave/claude/S-4']);
    expect(report.deletedBranches).toEqual([]);
    expect(repo.git(['branch', '--list', 'wave/claude/S-4'])).toContain('wave/claude/S-4');
  });

  it('rejects story ids and agent names that are not safe in a ref or a path', async () => {
    const wm = await open();
    for (const storyId of ['../evil', 'a b', '-x', 'a..b', 'x.lock', '', 'a/b', 'a;rm -rf']) {
      await expect(wm.create({ storyId, agent: 'claude' })).rejects.toBeInstanceOf(ExecutorError);
    }
    await expect(wm.create({ storyId: 'S-5', agent: 'bad agent' })).rejects.toMatchObject({ code: 'invalid_name' });
    expect(repo.git(['branch', '--list', 'wave/*'])).toBe('');
  });

  it('refuses a worktree folder inside the repository', async () => {
    await expect(open({ worktreesDir: join(repo.path, '.wave', 'worktrees') })).rejects.toMatchObject({
      code: 'invalid_config',
    });
  });

  it('copies configured untracked files and runs the setup command in each new worktree', async () => {
    writeFileSync(join(repo.path, '.env'), 'SECRET=1\n');
    const wm = await open({
      copyFiles: ['.env', 'missing.local'],
      setupCommand: [process.execPath, '-e', "require('fs').writeFileSync('setup-ran.txt', process.env.WAVE_STORY_ID)"],
    });
    const wt = await wm.create({ storyId: 'S-6', agent: 'claude' });
    expect(wt.copied).toEqual(['.env']);
    expect(wt.missing).toEqual(['missing.local']);
    expect(readFileSync(join(wt.path, '.env'), 'utf8')).toBe('SECRET=1\n');
    expect(readFileSync(join(wt.path, 'setup-ran.txt'), 'utf8')).toBe('S-6');
    // commitAll never commits the copied secret.
    writeFileSync(join(wt.path, 'src/feature.ts'), 'export const f = 1;\n');
    const sha = await wm.commitAll('S-6', 'story work');
    expect(sha).toMatch(/^[0-9a-f]{40}$/);
    expect(repo.git(['show', '--name-only', '--format=', 'HEAD'], wt.path).split('\n')).toEqual([
      'setup-ran.txt',
      'src/feature.ts',
    ]);
    expect(await wm.commitAll('S-6', 'nothing')).toBeNull();
    await wm.remove('S-6', { deleteBranch: true });
  });

  it('removes the half-made worktree and branch when the setup command fails', async () => {
    const wm = await open({
      setupCommand: [process.execPath, '-e', "console.log('npm ci exploded'); process.exit(3)"],
    });
    const error = await wm.create({ storyId: 'S-7', agent: 'claude' }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'worktree_setup_failed' });
    expect((error as Error).message).toContain('npm ci exploded');
    expect(existsSync(wm.pathFor('S-7'))).toBe(false);
    expect(repo.git(['branch', '--list', 'wave/*'])).toBe('');
  });

  it('refuses copy paths that escape the repository', async () => {
    const wm = await open({ copyFiles: ['../outside.txt'] });
    await expect(wm.create({ storyId: 'S-8', agent: 'claude' })).rejects.toMatchObject({ code: 'unsafe_path' });
    expect(repo.git(['branch', '--list', 'wave/*'])).toBe('');
  });

  it('reconciles after a crash: keeps the stories that continue, cleans the rest, keeps unmerged work', async () => {
    const wm = await open();
    const keep = await wm.create({ storyId: 'K-1', agent: 'a' });
    const merged = await wm.create({ storyId: 'M-1', agent: 'a' });
    const unmerged = await wm.create({ storyId: 'U-1', agent: 'a' });
    repo.commit({ 'u.txt': 'unmerged work\n' }, 'unmerged', unmerged.path);
    // A stray folder under the worktree root that git does not know.
    mkdirSync(join(wm.root, 'STRAY-1'), { recursive: true });
    writeFileSync(join(wm.root, 'STRAY-1', 'junk'), 'x');

    // A new manager (as after a restart) sees what the dead process left.
    const after = await open();
    const listed = await after.list();
    expect(listed.map((w) => w.storyId).sort()).toEqual(['K-1', 'M-1', 'U-1']);
    expect(listed.every((w) => w.worktreeExists && w.branchExists)).toBe(true);

    const dry = await after.reconcile({ keep: ['K-1'], dryRun: true });
    expect(dry.removedWorktrees.sort()).toEqual(['M-1', 'U-1']);
    expect(existsSync(merged.path)).toBe(true);

    const report = await after.reconcile({ keep: ['K-1'] });
    expect(report.kept).toEqual(['K-1']);
    expect(report.removedWorktrees.sort()).toEqual(['M-1', 'U-1']);
    expect(report.deletedBranches).toEqual(['wave/a/M-1']);
    expect(report.keptUnmerged).toEqual(['wave/a/U-1']);
    expect(report.strayFolders).toEqual(['STRAY-1']);
    expect(existsSync(keep.path)).toBe(true);
    expect(existsSync(merged.path)).toBe(false);
    expect(existsSync(join(wm.root, 'STRAY-1'))).toBe(false);
    expect(repo.git(['branch', '--list', 'wave/a/U-1'])).toContain('wave/a/U-1');
    // The main checkout and its branch were never touched.
    expect(repo.git(['status', '--porcelain'])).toBe('');
    expect(repo.git(['branch', '--show-current'])).toBe('main');

    const reused = await after.create({ storyId: 'K-1', agent: 'a' });
    expect(reused.reused).toBe(true);
    await after.reconcile({ deleteUnmerged: true });
    expect(repo.git(['branch', '--list', 'wave/*'])).toBe('');
  });

  it('leaves alone the worktrees another live wave process is using', async () => {
    const wm = await open();
    const wt = await wm.create({ storyId: 'BUSY-1', agent: 'a', sessionId: 'other-session' });
    // Pretend another (live) process created it: rewrite the owner in the record.
    const other = spawn(process.execPath, ['-e', 'setTimeout(()=>{},60000)'], { stdio: 'ignore' });
    try {
      const stat = readFileSync(`/proc/${other.pid}/stat`, 'utf8');
      const startTime = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
      const recordFile = join(wm.root, '.owned', 'BUSY-1.json');
      const record = JSON.parse(readFileSync(recordFile, 'utf8'));
      writeFileSync(recordFile, JSON.stringify({ ...record, owner: { ...record.owner, pid: other.pid, startTime } }));
      const report = await wm.reconcile({ deleteUnmerged: true });
      expect(report.inUse).toEqual(['BUSY-1']);
      expect(existsSync(wt.path)).toBe(true);
    } finally {
      other.kill('SIGKILL');
      await new Promise((r) => other.once('exit', r));
    }
    // Once that process is gone, the worktree is an orphan like any other.
    const report = await wm.reconcile({ deleteUnmerged: true });
    expect(report.removedWorktrees).toEqual(['BUSY-1']);
    expect(existsSync(wt.path)).toBe(false);
  });

  it('prune drops entries of worktree folders deleted by hand', async () => {
    const wm = await open();
    const wt = await wm.create({ storyId: 'P-1', agent: 'a' });
    const { rmSync } = await import('node:fs');
    rmSync(wt.path, { recursive: true, force: true });
    await wm.prune();
    expect(repo.git(['worktree', 'list', '--porcelain'])).not.toContain(wt.path);
    await wm.remove('P-1', { deleteBranch: true });
  });

  it('reports the disk used by its worktrees', async () => {
    const wm = await open();
    const wt = await wm.create({ storyId: 'D-1', agent: 'a' });
    writeFileSync(join(wt.path, 'big.bin'), Buffer.alloc(200_000));
    const usage = await wm.diskUsage();
    expect(usage.bytes).toBeGreaterThanOrEqual(200_000);
    expect(usage.worktrees.find((w) => w.storyId === 'D-1')?.bytes).toBeGreaterThanOrEqual(200_000);
    await wm.remove('D-1', { deleteBranch: true });
    expect((await wm.diskUsage()).bytes).toBe(0);
  });

  it('creates 8 worktrees at once without a failure', async () => {
    const wm = await open();
    const ids = Array.from({ length: 8 }, (_, i) => `C-${i}`);
    const created = await Promise.all(ids.map((storyId) => wm.create({ storyId, agent: 'a' })));
    expect(new Set(created.map((c) => c.path)).size).toBe(8);
    expect(repo.git(['branch', '--list', 'wave/*']).split('\n')).toHaveLength(8);
    await Promise.all(ids.map((id) => wm.remove(id, { deleteBranch: true })));
    expect(repo.git(['branch', '--list', 'wave/*'])).toBe('');
  });

  it('starts the other stories when git refuses one branch of those created together', async () => {
    const wm = await open();
    // A branch named like the agent folder blocks wave/blocked/<story> (git cannot hold both).
    repo.git(['branch', 'wave/blocked', 'main']);
    const fine = ['D-1', 'D-2', 'D-3', 'D-4', 'D-5', 'D-6', 'D-7'];
    const results = await Promise.allSettled([
      wm.create({ storyId: 'D-0', agent: 'blocked' }),
      ...fine.map((storyId) => wm.create({ storyId, agent: 'fine' })),
    ]);
    const refused = results[0]!;
    expect(refused.status === 'rejected' && (refused.reason as ExecutorError).code).toBe('git_failed');
    expect(results.slice(1).map((r) => r.status)).toEqual(fine.map(() => 'fulfilled'));
    expect(repo.git(['branch', '--list', 'wave/fine/*']).split('\n')).toHaveLength(fine.length);
    expect(repo.git(['branch', '--list', 'wave/blocked/*'])).toBe('');
    await Promise.all(fine.map((id) => wm.remove(id, { deleteBranch: true })));
    repo.git(['branch', '-D', 'wave/blocked']);
  });
});
