import { execFileSync } from 'node:child_process';
import { expect, test } from './support/fixtures';
import { createSessionProject, prdMarkdown, storyJson } from './support/project';
import { importAndApprovePrd, ready, setProject } from './support/steps';

test.describe("a lead's decisions about a story", () => {
  test('shows the paths outside the domain, takes a reason, resumes the story and merges it', async ({
    fresh,
  }, testInfo) => {
    test.setTimeout(180_000);
    const page = fresh.page;
    const project = createSessionProject({ domains: { app: ['src/app/**'], web: ['src/web/**'] } });
    try {
      await ready(page);
      await setProject(page, project.dir, { preset: 'scripted', budget: '5', concurrency: '1' });
      await importAndApprovePrd(page, [
        { name: 'prd-sum.md', text: prdMarkdown({ id: 'PRD-SUM', title: 'Sums', stories: ['SUM-1'] }) },
        {
          name: 'sum-1.json',
          text: storyJson({
            id: 'SUM-1',
            title: 'Sum a list',
            domain: 'app',
            files: ['src/app/sum.js'],
            testAgent: { write_outside: 'src/web/sum-widget.js' },
          }),
        },
      ]);
      await page.getByTestId('start-button').click();

      const row = page.locator('[data-testid="story-row"][data-story="SUM-1"]');
      await expect(row).toHaveAttribute('data-status', 'failed', { timeout: 90_000 });
      await expect(page.getByTestId('session-state')).toContainText('failed');
      await row.click();
      const detail = page.getByTestId('story-detail');
      const violation = detail.getByTestId('domain-violation');
      await expect(violation).toContainText('Changed outside domain app');
      await expect(violation).toContainText('src/web/sum-widget.js');

      await violation.getByTestId('domain-override-open').click();
      const dialog = page.getByTestId('domain-override-dialog');
      await expect(dialog).toBeVisible();
      await expect(dialog.getByTestId('domain-override-reason')).toBeFocused();
      // A reason is required: nothing is sent without one.
      await dialog.getByTestId('domain-override-submit').click();
      await expect(dialog.getByTestId('domain-override-error')).toContainText('at least 10 characters');
      await dialog.getByTestId('domain-override-reason').fill('The widget stub was agreed with the web team.');
      // Typing a reason clears the complaint about the missing one.
      await expect(dialog.getByTestId('domain-override-error')).toHaveCount(0);
      await page.screenshot({ path: testInfo.outputPath('domain-override.png') });
      await dialog.getByTestId('domain-override-submit').click();
      await expect(dialog).toBeHidden();

      // The session resumes on its own: the story runs gate-3 again with the override and merges.
      await expect(row).toHaveAttribute('data-status', 'merged', { timeout: 90_000 });
      await expect(page.getByTestId('session-state')).toContainText('completed');
      await row.click();
      await expect(page.getByTestId('story-detail').getByTestId('domain-overridden')).toContainText(
        'The widget stub was agreed with the web team.',
      );
      await expect(page.getByTestId('story-detail').getByTestId('domain-overridden')).toContainText(
        'src/web/sum-widget.js',
      );
    } finally {
      project.cleanup();
    }
  });

  test('merge.requireApproval: the story waits before gate-7, nothing merges until the lead approves', async ({
    fresh,
  }, testInfo) => {
    test.setTimeout(180_000);
    const page = fresh.page;
    const project = createSessionProject({ merge: { strategy: 'merge', requireApproval: true } });
    const onMain = () =>
      execFileSync('git', ['ls-tree', '-r', '--name-only', 'main'], { cwd: project.dir, encoding: 'utf8' });
    try {
      await ready(page);
      await setProject(page, project.dir, { preset: 'scripted', budget: '5', concurrency: '1' });
      await importAndApprovePrd(page, [
        { name: 'prd-avg.md', text: prdMarkdown({ id: 'PRD-AVG', title: 'Averages', stories: ['AVG-1'] }) },
        { name: 'avg-1.json', text: storyJson({ id: 'AVG-1', title: 'Average a list', files: ['src/avg.js'] }) },
      ]);
      await page.getByTestId('start-button').click();

      const row = page.locator('[data-testid="story-row"][data-story="AVG-1"]');
      await expect(row).toHaveAttribute('data-status', 'blocked', { timeout: 90_000 });
      await expect(page.getByTestId('session-state')).toContainText('paused');
      await expect(row).toContainText('Waiting for merge approval');
      // The recovery banner says what the session waits for, not that nothing owns it.
      await expect(page.getByTestId('recovery-banner')).toContainText('Waiting for merge approval of AVG-1');
      await expect(page.getByTestId('recovery-banner')).toContainText('waiting AVG-1 at gate-7');
      await expect(page.locator('[data-testid="toast"][data-kind="escalation"]').first()).toContainText(
        'merge approval',
      );
      expect(onMain()).not.toContain('src/avg.js');
      await row.click();
      const panel = page.getByTestId('story-detail').getByTestId('merge-approval');
      await expect(panel).toContainText('wave/be-dev/AVG-1');
      await expect(panel.getByTestId('merge-approval-sha')).toHaveText(/^[0-9a-f]{12}$/);
      await panel.getByTestId('merge-approval-open').click();
      const dialog = page.getByTestId('merge-approval-dialog');
      await dialog.getByTestId('merge-approval-reason').fill('Diff reviewed: small and tested.');
      await page.screenshot({ path: testInfo.outputPath('merge-approval.png') });
      await dialog.getByTestId('merge-approval-submit').click();
      await expect(dialog).toBeHidden();

      await expect(row).toHaveAttribute('data-status', 'merged', { timeout: 90_000 });
      await expect(page.getByTestId('session-state')).toContainText('completed');
      expect(onMain()).toContain('src/avg.js');
    } finally {
      project.cleanup();
    }
  });
});
