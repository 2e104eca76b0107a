import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestRepo, type TestRepo } from '../../../../test/fixtures/repos/git-repo';
import { openPostgresTestStore, type TestStore } from '../../../../test/helpers/pglite';
import { WorktreeManager } from '../../core/executor';
import { auditLog } from '../../store';
import { runCliCaptured } from '../../../../test/helpers/cli';
import { backupsCommand, restoreCommand } from './backups';

const wave = (argv: string[], env: NodeJS.ProcessEnv) =>
  runCliCaptured(argv, { commands: [backupsCommand, restoreCommand], env, version: '0.0.0-test' });

let t: TestStore;
let repo: TestRepo;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  t = await openPostgresTestStore('cli_backups');
  env = { ...process.env, WAVE_HOME: t.dataDir, DATABASE_URL: t.databaseUrl ?? '', WAVE_USER: 'lead-cli' };
  repo = createTestRepo({
    'README.md': '# r\n',
    'wave.config.json': `${JSON.stringify({ backups: { keepPerStory: 1 } })}\n`,
  });
});

afterAll(async () => {
  repo?.cleanup();
  await t?.close();
});

describe('wave backups / wave restore', () => {
  it('lists the snapshots of a story, restores one onto a new branch only, and prunes as a logged step', async () => {
    const wm = await WorktreeManager.open({ repoPath: repo.path, dataDir: repo.dataDir, targetBranch: 'main' });
    const wt = await wm.create({ storyId: 'S-1', agent: 'a' });
    writeFileSync(join(wt.path, 'partial.ts'), 'first try\n');
    await wm.snapshot('S-1', {
      reason: 'QA attempt 1 failed',
      operation: 'qa-retry',
      keeps: null,
      gate: 'gate-4',
      actor: 'orchestrator',
    });
    writeFileSync(join(wt.path, 'partial.ts'), 'second try\n');
    await wm.resetTo('S-1', repo.git(['rev-parse', 'main']), {
      reason: 'restart from gate-0',
      operation: 'restart',
      actor: 'orchestrator',
      gate: 'gate-0',
    });
    await wm.remove('S-1', { deleteBranch: true });

    const listed = await wave(['backups', 'S-1', '--project', repo.path, '--json'], env);
    expect(listed.code, listed.stderr).toBe(0);
    const view = JSON.parse(listed.stdout);
    expect(
      view.snapshots.map((s: { reason: string; filesChanged: number; gate: string }) => [
        s.reason,
        s.gate,
        s.filesChanged,
      ]),
    ).toEqual([
      ['restart from gate-0', 'gate-0', 1],
      ['QA attempt 1 failed', 'gate-4', 1],
    ]);
    expect(view.disk.count).toBe(2);
    expect(view.disk.bytes).toBeGreaterThan(0);
    expect(view.retention).toEqual({ keepDays: 30, keepPerStory: 1 });
    const human = await wave(['backups', '--project', repo.path], env);
    expect(human.stdout).toMatch(/2 snapshots in .* holding/);
    expect(human.stdout).toContain('restart at gate-0 by orchestrator: restart from gate-0');

    const older = view.snapshots[1].id as string;
    const restored = await wave(
      ['restore', older, '--branch', 'rescue/first-try', '--project', repo.path, '--json'],
      env,
    );
    expect(restored.code, restored.stderr).toBe(0);
    expect(JSON.parse(restored.stdout)).toMatchObject({ snapshotId: older, branch: 'rescue/first-try' });
    expect(repo.git(['show', 'rescue/first-try:partial.ts'])).toBe('first try');
    // Never over an existing branch.
    const again = await wave(['restore', older, '--branch', 'rescue/first-try', '--project', repo.path, '--json'], env);
    expect(again.code).toBe(1);
    expect(JSON.parse(again.stdout).error).toMatchObject({ code: 'branch_exists' });
    const bad = await wave(['restore', 'S-1;rm -rf /', '--project', repo.path], env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/not a snapshot id/);

    // Listing never prunes; --prune does, keeping 1 per story, and says so in the audit log.
    expect(JSON.parse((await wave(['backups', '--project', repo.path, '--json'], env)).stdout).snapshots).toHaveLength(
      2,
    );
    const pruned = await wave(['backups', '--prune', '--project', repo.path, '--json'], env);
    expect(pruned.code, pruned.stderr).toBe(0);
    expect(JSON.parse(pruned.stdout).deleted.map((s: { id: string }) => s.id)).toEqual([older]);
    expect(repo.git(['for-each-ref', '--format=%(refname)', 'refs/wave/backup/']).split('\n')).toEqual([
      `refs/wave/backup/${view.snapshots[0].id}`,
    ]);
    // The restored branch keeps the pruned snapshot's work.
    expect(repo.git(['show', 'rescue/first-try:partial.ts'])).toBe('first try');
    const audit = await t.store.db.select().from(auditLog);
    expect(audit.map((a) => `${a.action} ${a.actor}`).sort()).toEqual([
      'backup_restored lead-cli',
      'backups_pruned lead-cli',
    ]);
  }, 60_000);
});
