import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { expect, test } from './support/fixtures';
import { createSessionProject, prdMarkdown, storyJson } from './support/project';
import { importAndApprovePrd, ready, setProject } from './support/steps';

// The QA check the demo ships: fails while a tracked file holds the line WAVE_QA_BROKEN.
const QA_CHECK = path.resolve('e2e/fixtures/agents/qa-check.mjs');

test.describe('earlier work', () => {
  test('lists the attempt a QA retry replaced and restores it onto a new branch, never over an existing one', async ({
    fresh,
  }, testInfo) => {
    test.setTimeout(180_000);
    const page = fresh.page;
    const project = createSessionProject({
      qa: { check: ['node', QA_CHECK] },
      execution: { max_retries: 2, timeout_minutes: 5 },
    });
    const git = (...args: string[]) => execFileSync('git', args, { cwd: project.dir, encoding: 'utf8' }).trim();
    try {
      await ready(page);
      await setProject(page, project.dir, { preset: 'scripted', budget: '5', concurrency: '1' });
      await importAndApprovePrd(page, [
        { name: 'prd-mul.md', text: prdMarkdown({ id: 'PRD-MUL', title: 'Products', stories: ['MUL-1'] }) },
        {
          name: 'mul-1.json',
          text: storyJson({
            id: 'MUL-1',
            title: 'Multiply a list',
            files: ['src/mul.js'],
            testAgent: { qa_fix: true },
          }),
        },
      ]);
      await page.getByTestId('start-button').click();
      const row = page.locator('[data-testid="story-row"][data-story="MUL-1"]');
      await expect(row).toHaveAttribute('data-status', 'merged', { timeout: 90_000 });
      await row.click();

      const detail = page.getByTestId('story-detail');
      const earlier = detail.getByTestId('earlier-work');
      await earlier.getByText('Earlier work…').click();
      const rows = earlier.getByTestId('earlier-work-row');
      await expect(rows).toHaveCount(1);
      await expect(rows.first()).toContainText('before a QA fix attempt');
      await expect(rows.first()).toContainText('QA attempt 1 failed');
      // It differs from main in the one file QA rejected.
      await expect(rows.first().locator('td.num')).toHaveText('1');
      await earlier.scrollIntoViewIfNeeded();
      await page.screenshot({ path: testInfo.outputPath('earlier-work.png') });

      await rows.first().getByTestId('earlier-work-restore').click();
      const dialog = page.getByTestId('restore-dialog');
      await expect(dialog.getByTestId('restore-branch')).toBeFocused();
      await dialog.getByTestId('restore-branch').fill('rescue/mul-1');
      await dialog.getByTestId('restore-submit').click();
      await expect(dialog).toBeHidden();
      await expect(earlier.getByTestId('earlier-work-restored')).toContainText('rescue/mul-1');
      // The branch holds the attempt QA rejected; main has the fixed file.
      expect(git('show', 'rescue/mul-1:src/mul.js')).toContain('WAVE_QA_BROKEN');
      expect(git('show', 'main:src/mul.js')).not.toContain('WAVE_QA_BROKEN');

      // The same name again: refused, and the branch is left as it was.
      const before = git('rev-parse', 'rescue/mul-1');
      await rows.first().getByTestId('earlier-work-restore').click();
      await dialog.getByTestId('restore-branch').fill('rescue/mul-1');
      await dialog.getByTestId('restore-submit').click();
      await expect(dialog.getByTestId('restore-error')).toContainText('already exists');
      expect(git('rev-parse', 'rescue/mul-1')).toBe(before);
    } finally {
      project.cleanup();
    }
  });
});
