import { expect, test } from './support/fixtures';
import { createSessionProject, prdMarkdown, storyJson } from './support/project';
import { importAndApprovePrd, ready, setProject } from './support/steps';

test.describe("reviewing a story's changes in the window", () => {
  test('shows the files and their diff, highlighted, as text: a script tag and terminal escapes stay inert', async ({ fresh }, testInfo) => {
    test.setTimeout(180_000);
    const page = fresh.page;
    const project = createSessionProject({ merge: { strategy: 'merge', requireApproval: true } });
    try {
      await ready(page);
      await setProject(page, project.dir, { preset: 'scripted', budget: '5', concurrency: '1' });
      const hostile = 'export const banner = "<script>window.__pwned = 1</script>";\n// \u001b[2J\u001b]0;pwned\u0007 end\n';
      await importAndApprovePrd(page, [
        { name: 'prd-rev.md', text: prdMarkdown({ id: 'PRD-REV', title: 'Review', stories: ['REV-1'] }) },
        { name: 'rev-1.json', text: storyJson({ id: 'REV-1', title: 'Add a banner', files: ['src/banner.js'], testAgent: { content: { 'src/banner.js': hostile } } }) },
      ]);
      await page.getByTestId('start-button').click();

      const row = page.locator('[data-testid="story-row"][data-story="REV-1"]');
      await expect(row).toHaveAttribute('data-status', 'blocked', { timeout: 90_000 });
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
