import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createTestRepo } from '../../../../test/fixtures/repos/git-repo';
import { FleetClone } from './fleet-clone';

/*
 * The stories a worker runs side by side share its clone of the remote. Found by `bench fleet`
 * on 2 workers: a story's gate-6 fetch raced another story's branch push in the same clone and
 * failed the story ("cannot lock ref 'refs/remotes/origin/…': is at X but expected Y").
 */
describe('a fleet worker’s clone shared by stories running side by side', () => {
  const repo = createTestRepo({ 'README.md': '# fleet clone\n' });
  const bare = join(repo.base, 'remote.git');
  const workDir = join(repo.base, 'work');
  execFileSync('git', ['clone', '--quiet', '--bare', repo.path, bare]);
  afterAll(() => {
    repo.cleanup();
    rmSync(workDir, { recursive: true, force: true });
  });
  const git = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, encoding: 'utf8' }).trim();

  it('is cloned once when stories start together', async () => {
    const clones = await Promise.all(
      Array.from({ length: 4 }, () => FleetClone.open(bare, workDir, 'proj-1', process.env)),
    );
    expect(new Set(clones.map((c) => c.path)).size).toBe(1);
    expect(git(clones[0]!.path, 'rev-parse', 'origin/main')).toBe(git(bare, 'rev-parse', 'main'));
  });

  it('takes the fetches and pushes of many stories at once, all of them', async () => {
    const clone = await FleetClone.open(bare, workDir, 'proj-2', process.env);
    const branches = Array.from({ length: 16 }, (_, i) => `wave/command/S-${i + 1}`);
    for (const b of branches) git(clone.path, 'branch', b, 'HEAD');

    // Each story, three times over: a commit on its branch, pushed, while the others bring the
    // target up to the remote's (a fetch --prune rewrites every remote-tracking ref), all at once.
    for (let round = 1; round <= 3; round++) {
      await Promise.all(
        branches.flatMap((b, i) => {
          const tree = git(clone.path, 'rev-parse', `${b}^{tree}`);
          const commit = git(clone.path, 'commit-tree', tree, '-p', b, '-m', `story ${i + 1}, round ${round}`);
          git(clone.path, 'update-ref', `refs/heads/${b}`, commit);
          return [clone.pushBranch(b), clone.syncTarget('main')];
        }),
      );
    }
    for (const b of branches) expect(git(bare, 'log', '-1', '--format=%s', b)).toMatch(/, round 3$/);
    expect(await clone.syncTarget('main')).toBe(git(bare, 'rev-parse', 'main'));
  });
});
