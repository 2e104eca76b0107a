import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestRepo, type TestRepo } from '../../../../test/fixtures/repos/git-repo';
import type { AuditEntry } from './domain-boundaries';
import { WorktreeManager } from './worktree-manager';

let repo: TestRepo;
let audit: AuditEntry[];

beforeEach(() => {
  repo = createTestRepo({ 'README.md': '# demo\n', 'src/app.ts': 'export {};\n', '.gitignore': 'node_modules/\n' });
  audit = [];
});

afterEach(() => repo.cleanup());

async function open(extra: Partial<Parameters<typeof WorktreeManager.open>[0]> = {}) {
  return WorktreeManager.open({
    repoPath: repo.path,
    dataDir: repo.dataDir,
    targetBranch: 'main',
    audit: { record: async (e) => void audit.push(e) },
    ...extra,
  });
}

/** Files of a commit's tree (path → content). */
function treeOf(sha: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const path of repo.git(['ls-tree', '-r', '--name-only', sha]).split('\n').filter(Boolean))
    out[path] = repo.git(['show', `${sha}:${path}`]);
  return out;
}

function backupRefs(): string[] {
  return repo.git(['for-each-ref', '--format=%(refname)', 'refs/wave/backup/']).split('\n').filter(Boolean);
}

describe('snapshots before destructive git operations', () => {
  it("a reset keeps the agent's committed, changed and untracked files in a snapshot; ignored files and copied .env stay out", async () => {
    writeFileSync(join(repo.path, '.env'), 'SECRET=1\n');
    const wm = await open({ copyFiles: ['.env'] });
    const wt = await wm.create({ storyId: 'S-1', agent: 'a', sessionId: 'sess-1' });
    const base = repo.git(['rev-parse', 'main']);
    writeFileSync(join(wt.path, 'src/feature.ts'), 'committed\n');
    repo.git(['add', 'src/feature.ts'], wt.path);
    repo.git(['commit', '-q', '-m', 'agent commit'], wt.path);
    writeFileSync(join(wt.path, 'src/app.ts'), 'export const changed = 1;\n');
    writeFileSync(join(wt.path, 'src/partial.ts'), 'half written\n');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(join(wt.path, 'node_modules'), { recursive: true });
    writeFileSync(join(wt.path, 'node_modules/dep.js'), 'ignored\n');

    const snap = await wm.resetTo('S-1', base, {
      reason: 'restart from gate-0',
      operation: 'restart',
      actor: 'orchestrator',
      gate: 'gate-0',
    });

    expect(snap).not.toBeNull();
    expect(snap!.ref).toMatch(/^refs\/wave\/backup\/S-1\/\d{8}T\d{6}\.\d{3}Z$/);
    const files = treeOf(snap!.sha);
    expect(files['src/feature.ts']).toBe('committed');
    expect(files['src/app.ts']).toBe('export const changed = 1;');
    expect(files['src/partial.ts']).toBe('half written');
    expect(files['node_modules/dep.js']).toBeUndefined();
    expect(files['.env']).toBeUndefined();
    // The worktree is back at the base; the copied .env survived the clean.
    expect(repo.git(['rev-parse', 'HEAD'], wt.path)).toBe(base);
    expect(existsSync(join(wt.path, 'src/partial.ts'))).toBe(false);
    expect(readFileSync(join(wt.path, '.env'), 'utf8')).toBe('SECRET=1\n');
    // Listed with story, reason, who, gate and files changed vs main.
    const [listed] = await wm.backups.list('S-1');
    expect(listed).toMatchObject({
      id: snap!.id,
      storyId: 'S-1',
      reason: 'restart from gate-0',
      operation: 'restart',
      actor: 'orchestrator',
      gate: 'gate-0',
      sessionId: 'sess-1',
      branch: 'wave/a/S-1',
      filesChanged: 3,
    });
    expect(audit).toEqual([
      expect.objectContaining({
        action: 'backup_created',
        actor: 'orchestrator',
        storyId: 'S-1',
        sessionId: 'sess-1',
        reason: 'restart from gate-0',
      }),
    ]);
    await wm.remove('S-1', { deleteBranch: true });
  });

  it('takes nothing when there is nothing to lose', async () => {
    const wm = await open();
    const wt = await wm.create({ storyId: 'S-2', agent: 'a' });
    const base = repo.git(['rev-parse', 'main']);
    expect(await wm.resetTo('S-2', base, { reason: 'resume' })).toBeNull();
    // Committed work the reset keeps (a reset to the tip itself) is not at risk either.
    const tip = repo.commit({ 'x.txt': 'x\n' }, 'work', wt.path);
    expect(await wm.resetTo('S-2', tip, { reason: 'resume' })).toBeNull();
    // The same state twice is kept once.
    writeFileSync(join(wt.path, 'y.txt'), 'y\n');
    expect(await wm.snapshot('S-2', { reason: 'first', operation: 'qa-retry', keeps: null })).not.toBeNull();
    expect(await wm.snapshot('S-2', { reason: 'again', operation: 'qa-retry', keeps: null })).toBeNull();
    expect(backupRefs()).toHaveLength(1);
    await wm.remove('S-2');
    expect(backupRefs()).toHaveLength(1);
    await wm.reconcile({ deleteUnmerged: true });
  });

  it("a snapshot never changes the lead's index, stash, branches or the worktree's own index", async () => {
    const wm = await open();
    const wt = await wm.create({ storyId: 'S-3', agent: 'a' });
    // The lead has staged work and a stash in the main checkout.
    writeFileSync(join(repo.path, 'README.md'), '# stashed\n');
    repo.git(['stash', 'push', '-q', '-m', 'lead stash']);
    writeFileSync(join(repo.path, 'lead.txt'), 'staged by the lead\n');
    repo.git(['add', 'lead.txt']);
    // The agent staged one file and left another unstaged.
    writeFileSync(join(wt.path, 'staged.ts'), 'staged\n');
    repo.git(['add', 'staged.ts'], wt.path);
    writeFileSync(join(wt.path, 'loose.ts'), 'loose\n');
    // What a snapshot must leave as it was: the lead's index, status, stashes and branches, the worktree's index and status.
    const gitState = () => ({
      leadIndex: repo.git(['ls-files', '--stage']),
      leadStatus: repo.git(['status', '--porcelain']),
      stash: repo.git(['stash', 'list']),
      branches: repo.git(['for-each-ref', '--format=%(refname) %(objectname)', 'refs/heads/', 'refs/stash']),
      wtIndex: repo.git(['ls-files', '--stage'], wt.path),
      wtStatus: repo.git(['status', '--porcelain'], wt.path),
    });
    const before = gitState();
    const snap = await wm.snapshot('S-3', { reason: 'probe', operation: 'qa-retry', keeps: null });
    expect(snap).not.toBeNull();
    expect(Object.keys(treeOf(snap!.sha)).sort()).toEqual([
      '.gitignore',
      'README.md',
      'loose.ts',
      'src/app.ts',
      'staged.ts',
    ]);
    expect(gitState()).toEqual(before);
    await wm.remove('S-3');
    await wm.reconcile({ deleteUnmerged: true });
  });

  it('a worktree whose agent left untracked files is snapshotted before removal, and its unmerged branch is kept', async () => {
    const wm = await open();
    const wt = await wm.create({ storyId: 'S-4', agent: 'a' });
    const tip = repo.commit({ 'done.ts': 'done\n' }, 'agent work', wt.path);
    writeFileSync(join(wt.path, 'notes.md'), 'agent notes\n');
    const removed = await wm.remove('S-4', { deleteBranch: true, reason: 'session deleted', actor: 'lead' });
    expect(removed.worktreeRemoved).toBe(true);
    expect(existsSync(wt.path)).toBe(false);
    // Not merged: the branch stays with its commits.
    expect(removed.branchDeleted).toBe(false);
    expect(removed.branchKept).toMatch(/not on main/);
    expect(repo.git(['rev-parse', 'wave/a/S-4'])).toBe(tip);
    expect(removed.snapshots).toHaveLength(1);
    expect(treeOf(removed.snapshots[0]!.sha)['notes.md']).toBe('agent notes');
    expect(repo.git(['rev-parse', `${removed.snapshots[0]!.sha}^`])).toBe(tip);
    expect(audit[0]).toMatchObject({ action: 'backup_created', actor: 'lead', reason: 'session deleted' });
    // reconcile --delete-unmerged (the lead's explicit choice) snapshots the branch tip before deleting it.
    const report = await wm.reconcile({ deleteUnmerged: true });
    expect(report.deletedBranches).toEqual(['wave/a/S-4']);
    expect(report.snapshots).toHaveLength(0); // the tip is already inside the earlier snapshot
    expect(repo.git(['merge-base', '--is-ancestor', tip, removed.snapshots[0]!.sha])).toBe('');
  });

  it('deletes a story branch only once its merge commit is verified on the target', async () => {
    const wm = await open();
    const wt = await wm.create({ storyId: 'S-5', agent: 'a' });
    const tip = repo.commit({ 'merged.ts': 'm\n' }, 'story', wt.path);
    // A "merge commit" that is not on main does not count.
    const bogus = repo.git(['commit-tree', `${tip}^{tree}`, '-p', tip, '-m', 'not on main']);
    const early = await wm.remove('S-5', { deleteBranch: true, mergedAs: bogus });
    expect(early.branchDeleted).toBe(false);
    expect(early.branchKept).toMatch(/not on main/);
    repo.git(['merge', '-q', '--no-ff', '-m', 'merge S-5', 'wave/a/S-5']);
    const mergeSha = repo.git(['rev-parse', 'main']);
    const done = await wm.remove('S-5', { deleteBranch: true, mergedAs: mergeSha });
    expect(done.branchDeleted).toBe(true);
    expect(done.snapshots).toEqual([]);
    expect(backupRefs()).toEqual([]);
  });

  it('reconcile after a crash snapshots the worktree it cleans', async () => {
    const wm = await open();
    const wt = await wm.create({ storyId: 'S-6', agent: 'a' });
    writeFileSync(join(wt.path, 'src/app.ts'), 'export const wip = true;\n');
    const report = await wm.reconcile({});
    expect(report.removedWorktrees).toEqual(['S-6']);
    expect(report.snapshots).toHaveLength(1);
    const [snap] = await wm.backups.list('S-6');
    expect(snap).toMatchObject({ operation: 'reconcile', actor: 'reconcile', filesChanged: 1 });
    expect(treeOf(snap!.sha)['src/app.ts']).toBe('export const wip = true;');
    await wm.reconcile({ deleteUnmerged: true });
  });

  it('restore puts a snapshot on a new branch with the exact tree, never over an existing branch', async () => {
    const wm = await open();
    const wt = await wm.create({ storyId: 'S-7', agent: 'a' });
    repo.commit({ 'a.ts': 'a\n' }, 'agent', wt.path);
    writeFileSync(join(wt.path, 'b.ts'), 'b\n');
    const snap = (await wm.resetTo('S-7', repo.git(['rev-parse', 'main']), { reason: 'restart' }))!;
    const restored = await wm.backups.restore(snap.id, { branch: 'rescued/S-7', actor: 'lead' });
    expect(restored.branch).toBe('rescued/S-7');
    expect(repo.git(['rev-parse', 'rescued/S-7^{tree}'])).toBe(repo.git(['rev-parse', `${snap.sha}^{tree}`]));
    expect(treeOf('rescued/S-7')).toMatchObject({ 'a.ts': 'a', 'b.ts': 'b' });
    // Default name, then the same name again: refused, the branch is unchanged.
    const second = await wm.backups.restore(snap.id);
    expect(second.branch).toMatch(/^restore\/S-7\//);
    repo.git(['branch', 'taken', 'main']);
    await expect(wm.backups.restore(snap.id, { branch: 'taken' })).rejects.toMatchObject({ code: 'branch_exists' });
    expect(repo.git(['rev-parse', 'taken'])).toBe(repo.git(['rev-parse', 'main']));
    await expect(wm.backups.restore('S-7/nope')).rejects.toMatchObject({ code: 'invalid_name' });
    await expect(wm.backups.restore('S-7/20200101T000000.000Z')).rejects.toMatchObject({ code: 'snapshot_missing' });
    expect(audit.map((a) => a.action)).toEqual(['backup_created', 'backup_restored', 'backup_restored']);
    await wm.remove('S-7');
    await wm.reconcile({ deleteUnmerged: true });
  });

  it('prunes beyond the retention as its own logged step, and reports the disk the snapshots hold', async () => {
    const wm = await open({ backups: { keepPerStory: 2, keepDays: 30 } });
    const wt = await wm.create({ storyId: 'S-8', agent: 'a' });
    for (let i = 0; i < 3; i += 1) {
      writeFileSync(join(wt.path, `f${i}.bin`), `${'x'.repeat(5000)}${i}`);
      expect(await wm.snapshot('S-8', { reason: `attempt ${i}`, operation: 'qa-retry', keeps: null })).not.toBeNull();
    }
    const usage = await wm.backups.diskUsage();
    expect(usage.count).toBe(3);
    expect(usage.bytes).toBeGreaterThan(0);
    const dry = await wm.backups.prune({ dryRun: true });
    expect(dry.deleted.map((d) => d.reason)).toEqual(['attempt 0']);
    expect(backupRefs()).toHaveLength(3);
    const pruned = await wm.backups.prune({ actor: 'lead' });
    expect(pruned.deleted.map((d) => d.reason)).toEqual(['attempt 0']);
    expect((await wm.backups.list('S-8')).map((s) => s.reason)).toEqual(['attempt 2', 'attempt 1']);
    expect(audit.at(-1)).toMatchObject({ action: 'backups_pruned', actor: 'lead', storyId: 'S-8' });
    // Age: 31 days on, nothing is kept.
    const later = await wm.backups.prune({ now: new Date(Date.now() + 31 * 86_400_000) });
    expect(later.deleted).toHaveLength(2);
    expect(await wm.backups.diskUsage()).toEqual({ count: 0, bytes: 0 });
    await wm.remove('S-8');
    await wm.reconcile({ deleteUnmerged: true });
  });
});
