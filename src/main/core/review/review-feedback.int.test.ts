import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eq } from 'drizzle-orm';
import { gateRuns, sessions, storyRuns, type StoryRun } from '../../store';
import { openPgliteTestStore, seedSession, type TestStore } from '../../../../test/helpers/pglite';
import { testSessionConfig } from '../../../../test/helpers/session-config';
import { createTestRepo, type TestRepo } from '../../../../test/fixtures/repos/git-repo';
import { SessionFiles } from '../orchestrator/session-files';
import { pendingReviewFeedback, queueReviewComments, requestChanges, reviewThread } from './review-feedback';

/* Comments on a story's changes, queued while it runs and sent back with a request for changes, against a real repository. */

let t: TestStore;
let repo: TestRepo;
let dataDir: string;
let sessionId: string;
let run: StoryRun;
let reviewed: string;

beforeAll(async () => {
  t = await openPgliteTestStore();
  dataDir = mkdtempSync(join(tmpdir(), 'wave-review-'));
  repo = createTestRepo({
    'README.md': '# r\n',
    'src/calc.ts': 'export const one = 1;\nexport const two = 3;\nexport const three = 3;\n',
  });
  repo.git(['checkout', '--quiet', '-b', 'wave/scripted/C-1']);
  repo.commit(
    {
      'src/calc.ts':
        'export const one = 1;\nexport const two = 3;\nexport const three = 3;\nexport const sum = one + two;\n',
    },
    'C-1 develop',
  );
  reviewed = repo.git(['rev-parse', 'HEAD']);
  repo.git(['checkout', '--quiet', 'main']);
  const config = testSessionConfig({ repoPath: repo.path, projectName: 'p', prdId: 'PRD-C', storyIds: ['C-1'] });
  const seeded = await seedSession(t.store.db, {
    stories: ['C-1'],
    status: 'running',
    storyStatus: 'running',
    currentGate: 'gate-5',
    config,
  });
  sessionId = seeded.sessionId;
  const [row] = await t.store.db
    .select()
    .from(storyRuns)
    .where(eq(storyRuns.id, seeded.runs.get('C-1')!));
  run = row!;
  // Its develop phase passed before any comment.
  await t.store.db.insert(gateRuns).values({
    storyRunId: run.id,
    sessionId,
    gate: 'gate-2',
    status: 'passed',
    startedAt: new Date(Date.now() - 60_000),
    endedAt: new Date(Date.now() - 30_000),
  });
});

afterAll(async () => {
  await t?.close();
  repo?.cleanup();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('review comments', () => {
  it('are queued on a running story, refused on a line that does not exist, and a request for changes waits until the story does', async () => {
    const [c] = await queueReviewComments(t.store, {
      sessionId,
      storyId: 'C-1',
      actor: 'lead',
      comments: [{ path: 'src/calc.ts', line: 2, text: 'two is 2' }],
    });
    expect(c).toMatchObject({
      path: 'src/calc.ts',
      line: 2,
      side: 'new',
      code: 'export const two = 3;',
      headSha: reviewed,
      actor: 'lead',
    });
    await expect(
      queueReviewComments(t.store, {
        sessionId,
        storyId: 'C-1',
        actor: 'lead',
        comments: [{ path: 'src/calc.ts', line: 9, text: 'x' }],
      }),
    ).rejects.toThrow(/src\/calc.ts:9 is not a line of the story's branch/);
    await expect(requestChanges(t.store, { sessionId, storyId: 'C-1', actor: 'lead', comments: [] })).rejects.toThrow(
      /is running; queue your comments now/,
    );

    // A develop phase that runs again for another reason gets the queued comment.
    const pending = await pendingReviewFeedback(t.store, run, new SessionFiles(dataDir, sessionId));
    expect(pending).toMatchObject({ headSha: null });
    expect(readFileSync(pending!.feedbackFile, 'utf8')).toContain(
      '## Comment 1: src/calc.ts, line 2\n\nCommented code:\n\n```\nexport const two = 3;\n```\n\ntwo is 2',
    );
    expect((await reviewThread(t.store, sessionId, 'C-1')).queued.map((q) => q.text)).toEqual(['two is 2']);
  });

  it('sends the queued comments with the request; the next attempt gets them, and the thread says which lines it changed', async () => {
    await t.store.db.update(sessions).set({ status: 'paused' }).where(eq(sessions.id, sessionId));
    await t.store.db
      .update(storyRuns)
      .set({ status: 'blocked', currentGate: 'gate-7' })
      .where(eq(storyRuns.id, run.id));
    await expect(
      requestChanges(t.store, { sessionId, storyId: 'C-1', actor: 'lead', comments: [], headSha: 'deadbeef' }),
    ).rejects.toThrow(/not the deadbeef you reviewed/);
    const round = await requestChanges(t.store, {
      sessionId,
      storyId: 'C-1',
      actor: 'lead',
      summary: 'two fixes',
      comments: [{ path: 'src/calc.ts', line: 3, text: 'three stays' }],
      headSha: reviewed.slice(0, 10),
    });
    expect(round.comments.map((c) => [c.line, c.text])).toEqual([
      [2, 'two is 2'],
      [3, 'three stays'],
    ]);
    expect(repo.git(['rev-parse', `refs/wave/reviewed/${sessionId}/C-1/${round.id}`])).toBe(reviewed);

    const pending = await pendingReviewFeedback(t.store, run, new SessionFiles(dataDir, sessionId));
    expect(pending?.headSha).toBe(reviewed);
    const text = readFileSync(pending!.feedbackFile, 'utf8');
    expect(text).toContain('## Overall\n\ntwo fixes');
    expect(text).toContain('## Comment 2: src/calc.ts, line 3');

    // The next attempt changes line 2 only.
    repo.git(['checkout', '--quiet', 'wave/scripted/C-1']);
    repo.commit(
      {
        'src/calc.ts':
          'export const one = 1;\nexport const two = 2;\nexport const three = 3;\nexport const sum = one + two;\n',
      },
      'C-1 review fix',
    );
    repo.git(['checkout', '--quiet', 'main']);
    await t.store.db.insert(gateRuns).values({
      storyRunId: run.id,
      sessionId,
      gate: 'gate-2',
      attempt: 2,
      status: 'passed',
      startedAt: new Date(),
      endedAt: new Date(Date.now() + 1000),
    });
    expect(await pendingReviewFeedback(t.store, run, new SessionFiles(dataDir, sessionId))).toBeNull();
    const thread = await reviewThread(t.store, sessionId, 'C-1');
    expect(thread.queued).toEqual([]);
    expect(thread.rounds[0]!.comments.map((c) => [c.line, c.touched])).toEqual([
      [2, true],
      [3, false],
    ]);
  });
});
