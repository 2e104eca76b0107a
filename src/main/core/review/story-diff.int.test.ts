import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eq } from 'drizzle-orm';
import { openStore, storyRuns } from '../../store';
import { openPgliteTestStore, seedSession, type TestStore } from '../../../../test/helpers/pglite';
import { createTestRepo, type TestRepo } from '../../../../test/fixtures/repos/git-repo';
import { testSessionConfig } from '../../../../test/helpers/session-config';
import { runWave } from '../../../../test/orchestrator/child';
import { runCliCaptured } from '../../../../test/helpers/cli';
import { commands } from '../../cli/commands';
import { OrchestratorError } from '../orchestrator/errors';
import { storyDiff } from './story-diff';

/* A story's changes read from a real repository, as the window and `wave diff` show them. */

const diffConfig = () =>
  testSessionConfig({ repoPath: repo.path, projectName: 'diff-test', prdId: 'PRD-D', storyIds: ['D-1', 'D-2'] });

const ESCAPES = 'title \u001b[2J\u001b]0;pwned\u0007 <script>alert(1)</script>\n';

let t: TestStore;
let repo: TestRepo;
let sessionId: string;
let baseSha: string;

beforeAll(async () => {
  t = await openPgliteTestStore();
  repo = createTestRepo({
    'README.md': '# r\n',
    'src/keep.ts': 'export const a = 1;\n',
    'src/old name.ts': 'export const moved = true;\n',
    'ws.txt': 'a\nb\n',
  });
  baseSha = repo.git(['rev-parse', 'HEAD']);
  // D-1: a story branch with an added file (holding escapes and a script tag), a modified
  // file, a rename, a binary file and a whitespace-only change.
  repo.git(['checkout', '--quiet', '-b', 'wave/scripted/D-1']);
  repo.git(['mv', 'src/old name.ts', 'src/nouveau nom é.ts']);
  repo.commit(
    {
      'src/new.ts': ESCAPES,
      'src/keep.ts': 'export const a = 2;\n',
      'ws.txt': 'a  \nb\n',
      'img.bin': '\u0000\u0001\u0002binary',
    },
    'D-1 work',
  );
  // Meanwhile the target moves with another story's file.
  repo.git(['checkout', '--quiet', 'main']);
  repo.commit({ 'src/other.ts': 'export const other = 1;\n' }, 'another story landed');
  const seeded = await seedSession(t.store.db, {
    stories: ['D-1', 'D-2'],
    status: 'completed',
    storyStatus: 'blocked',
    config: diffConfig(),
  });
  sessionId = seeded.sessionId;
  await t.store.db
    .update(storyRuns)
    .set({ baseSha })
    .where(eq(storyRuns.id, seeded.runs.get('D-1')!));
  // D-2 never got a worktree.
  await t.store.db
    .update(storyRuns)
    .set({ branch: null, status: 'queued' })
    .where(eq(storyRuns.id, seeded.runs.get('D-2')!));
});

afterAll(async () => {
  await t?.close();
  repo?.cleanup();
});

describe('story.diff', () => {
  it('against its base shows exactly what the story changed, file by file, with renames and binaries named', async () => {
    const d = await storyDiff(t.store, { sessionId, storyId: 'D-1' });
    expect(d).toMatchObject({
      against: 'base',
      branch: 'wave/scripted/D-1',
      targetBranch: 'main',
      baseSha,
      live: false,
    });
    expect(d.headSha).toBe(repo.git(['rev-parse', 'wave/scripted/D-1']));
    const byPath = Object.fromEntries(d.files.map((f) => [f.path, f]));
    expect(Object.keys(byPath).sort()).toEqual([
      'img.bin',
      'src/keep.ts',
      'src/new.ts',
      'src/nouveau nom é.ts',
      'ws.txt',
    ]);
    expect(byPath['src/new.ts']).toMatchObject({
      status: 'added',
      additions: 1,
      deletions: 0,
      binary: false,
      truncated: false,
    });
    // The patch is the file's text as it is: the window shows it as text, never as HTML.
    expect(byPath['src/new.ts']!.patch).toContain('+title \u001b[2J\u001b]0;pwned\u0007 <script>alert(1)</script>');
    expect(byPath['src/keep.ts']).toMatchObject({ status: 'modified', additions: 1, deletions: 1 });
    expect(byPath['src/keep.ts']!.patch).toMatch(
      /^diff --git a\/src\/keep\.ts b\/src\/keep\.ts\n[\s\S]*-export const a = 1;\n\+export const a = 2;\n$/,
    );
    expect(byPath['src/nouveau nom é.ts']).toMatchObject({
      status: 'renamed',
      oldPath: 'src/old name.ts',
      additions: 0,
      deletions: 0,
    });
    expect(byPath['img.bin']).toMatchObject({ status: 'added', binary: true, additions: null, patch: null });
    expect(d.files.some((f) => f.path === 'src/other.ts')).toBe(false);
  });

  it('against the target tip also shows what the target gained since; the whitespace toggle hides whitespace-only files', async () => {
    const d = await storyDiff(t.store, { sessionId, storyId: 'D-1', against: 'target', ignoreWhitespace: true });
    expect(d.baseSha).toBe(repo.git(['rev-parse', 'main']));
    const other = d.files.find((f) => f.path === 'src/other.ts');
    expect(other).toMatchObject({ status: 'deleted', deletions: 1 });
    expect(d.files.map((f) => f.path)).not.toContain('ws.txt');
    expect(d.files.find((f) => f.path === 'src/keep.ts')?.patch).toContain('+export const a = 2;');
  });

  it('names a patch too large to send instead of sending it', async () => {
    const d = await storyDiff(t.store, { sessionId, storyId: 'D-1', maxPatchChars: 100 });
    const big = d.files.find((f) => f.path === 'src/new.ts');
    expect(big).toMatchObject({ truncated: true, patch: null });
    expect(big!.patchChars).toBeGreaterThan(100);
  });

  it('says why when there is nothing to compare', async () => {
    const noBranch = storyDiff(t.store, { sessionId, storyId: 'D-2' });
    await expect(noBranch).rejects.toThrow(OrchestratorError);
    await expect(noBranch).rejects.toThrow(/Story D-2 has no branch yet \(it is queued at gate-0\)/);
    await expect(storyDiff(t.store, { sessionId: 'nope', storyId: 'D-1' })).rejects.toThrow(
      /Session nope does not exist/,
    );
    await expect(storyDiff(t.store, { sessionId, storyId: 'D-9' })).rejects.toThrow(/Story D-9 is not part of session/);
  });

  it('shows a merged story whose branch is gone from its merge commit', async () => {
    const tip = repo.git(['rev-parse', 'wave/scripted/D-1']);
    repo.git(['merge', '--quiet', '--no-ff', '--no-edit', tip]);
    const mergeSha = repo.git(['rev-parse', 'HEAD']);
    repo.git(['branch', '-D', 'wave/scripted/D-1']);
    const run = (await t.store.db.select().from(storyRuns).where(eq(storyRuns.sessionId, sessionId))).find(
      (r) => r.storyId === 'D-1',
    )!;
    await t.store.db.update(storyRuns).set({ mergeSha, status: 'merged' }).where(eq(storyRuns.id, run.id));
    try {
      const d = await storyDiff(t.store, { sessionId, storyId: 'D-1' });
      expect(d).toMatchObject({ branch: null, headSha: mergeSha });
      expect(d.note).toMatch(/merged as [0-9a-f]{12} and its branch deleted/);
      expect(d.files.map((f) => f.path).sort()).toEqual([
        'img.bin',
        'src/keep.ts',
        'src/new.ts',
        'src/nouveau nom é.ts',
        'ws.txt',
      ]);
    } finally {
      repo.git(['reset', '--quiet', '--hard', 'HEAD~1']);
      repo.git(['branch', 'wave/scripted/D-1', tip]);
      await t.store.db.update(storyRuns).set({ mergeSha: null, status: 'blocked' }).where(eq(storyRuns.id, run.id));
    }
  });
});

describe('wave diff', () => {
  let home: string;
  let cliSession: string;
  beforeAll(async () => {
    home = mkdtempSync(join(tmpdir(), 'wave-diff-home-'));
    const store = await openStore({ dataDir: home });
    try {
      const s = await seedSession(store.db, {
        stories: ['D-1'],
        status: 'completed',
        storyStatus: 'blocked',
        config: diffConfig(),
      });
      cliSession = s.sessionId;
    } finally {
      await store.close();
    }
  });
  afterAll(() => rmSync(home, { recursive: true, force: true }));
  const env = () => ({ WAVE_HOME: home, DATABASE_URL: '', REDIS_URL: '' });
  /** The same CLI in this process (no process start), for the cases that only read its text. */
  const cli = async (args: string[]) => {
    const r = await runCliCaptured(args, { commands, env: env() });
    return { code: r.code, out: r.stdout, err: r.stderr };
  };

  it('prints the patch with terminal escapes shown escaped, and the documented JSON', async () => {
    const text = await runWave(['diff', cliSession, 'D-1'], env());
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toContain('+title \\u001b[2J\\u001b]0;pwned\\u0007 <script>alert(1)</script>');
    expect(text.stdout.includes('\u001b') || text.stdout.includes('\u0007')).toBe(false);
    expect(text.stdout).toContain('Binary file img.bin differs');

    const json = await runWave(['diff', cliSession, 'D-1', '--against', 'target', '--json'], env());
    expect(json.code).toBe(0);
    expect(json.json).toMatchObject({
      head_sha: repo.git(['rev-parse', 'wave/scripted/D-1']),
      base_sha: repo.git(['rev-parse', 'main']),
      against: 'target',
    });
    expect(json.json.files).toContainEqual({
      path: 'src/other.ts',
      old_path: null,
      status: 'deleted',
      additions: 0,
      deletions: 1,
      binary: false,
    });
  }, 120_000);

  it('--stat lists files with their counts; a bad --against is a usage error', async () => {
    const stat = await cli(['diff', cliSession, 'D-1', '--stat']);
    expect(stat.code).toBe(0);
    expect(stat.out).toMatch(/^M src\/keep\.ts {2}\+1 -1$/m);
    expect(stat.out).toMatch(/^R src\/old name\.ts → src\/nouveau nom é\.ts {2}\+0 -0$/m);
    expect(stat.out).toMatch(/5 files changed, \+3 -2/);

    const bad = await cli(['diff', cliSession, 'D-1', '--against', 'sideways']);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/--against must be base or target/);
  });
});
