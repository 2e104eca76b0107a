import { execFileSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, test } from './support/fixtures';
import { createSessionProject, prdMarkdown, storyJson } from './support/project';
import { importAndApprovePrd, ready, setProject } from './support/steps';

test.describe("reviewing a story's changes in the window", () => {
  test('shows the files and their diff, highlighted, as text: a script tag and terminal escapes stay inert', async ({
    fresh,
  }, testInfo) => {
    test.setTimeout(180_000);
    const page = fresh.page;
    const project = createSessionProject({ merge: { strategy: 'merge', requireApproval: true } });
    try {
      await ready(page);
      await setProject(page, project.dir, { preset: 'scripted', budget: '5', concurrency: '1' });
      const hostile =
        'export const banner = "<script>window.__pwned = 1</script>";\n// \u001b[2J\u001b]0;pwned\u0007 end\n';
      await importAndApprovePrd(page, [
        { name: 'prd-rev.md', text: prdMarkdown({ id: 'PRD-REV', title: 'Review', stories: ['REV-1'] }) },
        {
          name: 'rev-1.json',
          text: storyJson({
            id: 'REV-1',
            title: 'Add a banner',
            files: ['src/banner.js'],
            testAgent: { content: { 'src/banner.js': hostile } },
          }),
        },
      ]);
      await page.getByTestId('start-button').click();

      const row = page.locator('[data-testid="story-row"][data-story="REV-1"]');
      await expect(row).toHaveAttribute('data-status', 'blocked', { timeout: 90_000 });
      // Blocked because it waits for the lead before gate-7, not for a failure (which has no branch to review).
      await expect(row).toContainText('Waiting for merge approval');
      await row.click();
      await page.getByTestId('story-detail').getByTestId('open-changes').click();
      const panel = page.getByTestId('changes-panel');
      await expect(panel).toBeVisible();
      await expect(panel.getByRole('navigation', { name: 'Changed files' })).toContainText('src/banner.js');
      const file = panel.getByTestId('changes-file');
      await expect(file).toContainText('src/banner.js (added)');
      // The diff's text is shown as text: the tag is visible, never an element, never run.
      await expect(file).toContainText('<script>window.__pwned = 1</script>');
      await expect(file).toContainText('\\u001b[2J\\u001b]0;pwned\\u0007 end');
      expect(await panel.locator('script').count()).toBe(0);
      expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
      // Highlighted by language (a string token), with line numbers from the hunk.
      await expect(file.locator('.token.string').first()).toBeVisible();
      await page.screenshot({ path: testInfo.outputPath('story-changes.png') });

      await panel.getByTestId('changes-split').click();
      await expect(file.locator('table.diff-split')).toBeVisible();
      await panel.getByTestId('changes-against').selectOption('target');
      await expect(panel).toContainText('against the tip of main');

      await page.keyboard.press('Escape');
      await expect(panel).toBeHidden();
      // Escape closed the changes, not the story detail behind them.
      await expect(page.getByTestId('story-detail')).toBeVisible();
    } finally {
      project.cleanup();
    }
  });
});

test.describe('review comments and the verdict', () => {
  test('a line comment goes back to the agent, which fixes the line; the fixed commit is approved and merged', async ({
    fresh,
  }, testInfo) => {
    test.setTimeout(240_000);
    const page = fresh.page;
    const project = createSessionProject({ merge: { strategy: 'merge', requireApproval: true } });
    const git = (...args: string[]) => execFileSync('git', args, { cwd: project.dir, encoding: 'utf8' }).trim();
    try {
      await ready(page);
      await setProject(page, project.dir, { preset: 'scripted', budget: '5', concurrency: '1' });
      const code = 'export function total(a, b) {\n  return a - b; // BUG\n}\n';
      await importAndApprovePrd(page, [
        { name: 'prd-vrd.md', text: prdMarkdown({ id: 'PRD-VRD', title: 'Verdict', stories: ['VRD-1'] }) },
        {
          name: 'vrd-1.json',
          text: storyJson({
            id: 'VRD-1',
            title: 'Add a total',
            files: ['src/total.js'],
            testAgent: { content: { 'src/total.js': code }, review_fix: { from: 'a - b; // BUG', to: 'a + b;' } },
          }),
        },
      ]);
      await page.getByTestId('start-button').click();

      const row = page.locator('[data-testid="story-row"][data-story="VRD-1"]');
      await expect(row).toHaveAttribute('data-status', 'blocked', { timeout: 90_000 });
      // Blocked because it waits for the lead before gate-7, not for a failure (which has no branch to review).
      await expect(row).toContainText('Waiting for merge approval');
      await row.click();
      await page.getByTestId('story-detail').getByTestId('open-changes').click();
      const panel = page.getByTestId('changes-panel');
      const file = panel.getByTestId('changes-file');
      await expect(file).toContainText('return a - b; // BUG');
      const reviewed = git('for-each-ref', '--format=%(objectname)', 'refs/heads/wave/');

      // Comment on line 2 (its line number is the button), then send the story back.
      await file.getByRole('button', { name: 'Comment on src/total.js line 2' }).click();
      await file.getByRole('textbox', { name: 'Comment on src/total.js line 2' }).fill('total adds: a + b, not a - b');
      await file.getByTestId('comment-save').click();
      await expect(file.getByTestId('line-comments')).toContainText('total adds: a + b, not a - b');
      await expect(panel.getByTestId('review-queued')).toContainText('1 comment queued for the next attempt');
      await page.screenshot({ path: testInfo.outputPath('story-review.png') });
      await panel.getByTestId('request-changes').click();
      await expect(panel.getByTestId('review-done')).toContainText('Sent back to gate-2 with 1 comment');

      // The new attempt starts from the reviewed commit, fixes the commented line and waits for the approval again.
      await expect(file).toContainText('return a + b;', { timeout: 90_000 });
      await expect(panel.getByTestId('approve-merge')).toBeVisible({ timeout: 90_000 });
      const round = panel.locator('[data-testid="review-round"][data-verdict="changes_requested"]');
      await expect(round).toContainText('total adds: a + b, not a - b');
      await expect(round).toContainText('return a - b; // BUG');
      await expect(round.getByTestId('comment-touched')).toBeVisible();
      const fixed = git('for-each-ref', '--format=%(objectname)', 'refs/heads/wave/');
      expect(fixed).not.toBe(reviewed);
      await expect(panel.getByTestId('approve-merge')).toContainText(fixed.slice(0, 12));
      await page.screenshot({ path: testInfo.outputPath('story-review-fixed.png') });

      await panel.getByTestId('approve-merge').click();
      await expect(row).toHaveAttribute('data-status', 'merged', { timeout: 90_000 });
      // The merge landed exactly the approved commit.
      expect(git('show', 'main:src/total.js')).toBe('export function total(a, b) {\n  return a + b;\n}');
      expect(git('rev-list', 'main').split('\n')).toContain(fixed);
      // The review stays beside the story's attempts.
      await page.keyboard.press('Escape');
      await expect(page.getByTestId('story-detail').getByTestId('review-history')).toContainText('Approved merge');
    } finally {
      project.cleanup();
    }
  });

  test("a comment on a running story's changes is queued and sent with the next request for changes", async ({
    fresh,
  }) => {
    test.setTimeout(240_000);
    const page = fresh.page;
    const release = path.join(os.tmpdir(), `wave-e2e-release-${process.pid}-${Date.now()}`);
    // QA holds the story at gate-4 (running, its develop commit on the branch) until the test releases it.
    const holdQa = [
      'node',
      '-e',
      'const f = process.argv[1]; setInterval(() => { if (require("fs").existsSync(f)) process.exit(0); }, 100);',
      release,
    ];
    const project = createSessionProject({
      merge: { strategy: 'merge', requireApproval: true },
      qa: { check: holdQa },
    });
    try {
      await ready(page);
      await setProject(page, project.dir, { preset: 'scripted', budget: '5', concurrency: '1' });
      await importAndApprovePrd(page, [
        { name: 'prd-que.md', text: prdMarkdown({ id: 'PRD-QUE', title: 'Queue', stories: ['QUE-1'] }) },
        {
          name: 'que-1.json',
          text: storyJson({
            id: 'QUE-1',
            title: 'Add a total',
            files: ['src/total.js'],
            testAgent: {
              content: { 'src/total.js': 'export function total(a, b) {\n  return a - b; // BUG\n}\n' },
              review_fix: { from: 'a - b; // BUG', to: 'a + b;' },
            },
          }),
        },
      ]);
      await page.getByTestId('start-button').click();
      const row = page.locator('[data-testid="story-row"][data-story="QUE-1"]');
      await expect(row).toHaveAttribute('data-status', 'running', { timeout: 90_000 });
      await row.click();
      await page.getByTestId('story-detail').getByTestId('open-changes').click();
      const panel = page.getByTestId('changes-panel');
      const file = panel.getByTestId('changes-file');
      await expect(file).toContainText('return a - b; // BUG', { timeout: 90_000 });
      await expect(panel).toContainText('The story is still running');
      await expect(panel.getByTestId('request-changes')).toHaveCount(0);

      await file.getByRole('button', { name: 'Comment on src/total.js line 2' }).click();
      await file.getByRole('textbox', { name: 'Comment on src/total.js line 2' }).fill('total adds');
      await file.getByTestId('comment-save').click();
      await expect(panel.getByTestId('review-verdict')).toContainText(
        'your comments are queued for its next attempt. 1 queued.',
      );
      await expect(panel.getByTestId('review-queued')).toContainText('total adds');

      writeFileSync(release, 'go');
      await expect(panel.getByTestId('approve-merge')).toBeVisible({ timeout: 90_000 });
      await expect(panel.getByTestId('request-changes')).toHaveText('Request changes (1)');
      await panel.getByTestId('request-changes').click();
      await expect(file).toContainText('return a + b;', { timeout: 90_000 });
      await expect(panel.locator('[data-testid="review-round"][data-verdict="changes_requested"]')).toContainText(
        'total adds',
      );
      await expect(panel.getByTestId('review-queued')).toHaveCount(0);
    } finally {
      rmSync(release, { force: true });
      project.cleanup();
    }
  });
});
