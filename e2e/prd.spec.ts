import { expect, test } from './support/fixtures';
import { dropFiles } from './support/drop';
import { createGitProject, prdMarkdown, storyJson } from './support/project';
import { openView, ready, setProject } from './support/steps';

const HOSTILE_BODY = [
  'The library grows **division** and **powers**.',
  '',
  '<script>window.__pwned = "script"</script>',
  '',
  '<img src="x" onerror="window.__pwned = \'onerror\'">',
  '',
  'A ![tracking pixel](https://tracker.example.com/pixel.png) and the [design doc](https://docs.example.com/math).',
  '',
  '| op | symbol |',
  '|----|--------|',
  '| divide | / |',
].join('\n');

test.describe('PRD review', () => {
  test('renders the PRD sanitised, groups its stories by wave, rejects with a comment, approves the shown content, and voids the approval when a story changes', async ({
    fresh,
  }, testInfo) => {
    const page = fresh.page;
    const project = createGitProject({
      config: {
        qa: { test: ['npm', 'test'] },
        agent: {
          preset: 'command',
          command: ['node', 'agent.mjs', '{storyFile}'],
          env: { pass: ['GITHUB_TOKEN'], set: { NODE_ENV: 'test' } },
        },
      },
    });
    try {
      await ready(page);
      await setProject(page, project.dir);
      await openView(page, 'Import');
      const stories = {
        'math-1.json': storyJson({ id: 'MATH-1', title: 'Add two numbers' }),
        'math-2.json': storyJson({ id: 'MATH-2', title: 'Divide two numbers', wave: 2, dependencies: ['MATH-1'] }),
        'math-3.json': storyJson({ id: 'MATH-3', title: 'Raise to a power', wave: 2, dependencies: ['MATH-1'] }),
      };
      await dropFiles(page, page.getByTestId('drop-zone'), [
        {
          name: 'prd-math.md',
          text: prdMarkdown({
            id: 'PRD-MATH',
            title: 'Arithmetic',
            stories: ['MATH-1', 'MATH-2', 'MATH-3'],
            body: HOSTILE_BODY,
          }),
        },
        ...Object.entries(stories).map(([name, text]) => ({ name, text })),
      ]);
      await expect(page.getByTestId('import-result')).toHaveCount(4);

      await openView(page, 'PRD');
      const panel = page.getByTestId('prd-panel');
      await expect(panel).toContainText('Arithmetic');
      await expect(page.getByTestId('prd-status')).toContainText('draft');
      const md = page.getByTestId('prd-markdown');
      await expect(md.locator('strong', { hasText: 'division' })).toBeVisible();
      await expect(md.locator('table')).toBeVisible();
      // No script ran, no remote image was requested, links lead nowhere inside the app.
      await expect(md.locator('script')).toHaveCount(0);
      expect(await page.evaluate(() => (window as unknown as { __pwned?: string }).__pwned)).toBeUndefined();
      await expect(md.locator('img')).toHaveCount(0);
      await expect(md).toContainText('[image not loaded: tracking pixel — https://tracker.example.com/pixel.png]');
      await expect(md.locator('a[href]')).toHaveCount(0);
      await expect(md.locator('.md-link', { hasText: 'design doc' })).toHaveAttribute('title', /docs\.example\.com/);
      // Stories by wave, with the forecast.
      const waves = page.getByTestId('prd-waves');
      await expect(waves).toContainText('Wave 1 · 1 story');
      await expect(waves).toContainText('Wave 2 · 2 stories');
      await expect(page.getByTestId('prd-forecast')).toContainText('Forecast:');
      // What approving lets run: the agent, its environment names (never values), the QA commands.
      await expect(page.getByTestId('prd-runs-agent-preset')).toContainText('command');
      await expect(page.getByTestId('prd-runs-agent')).toHaveText('node agent.mjs {storyFile}');
      await expect(page.getByTestId('prd-runs-env')).toContainText(
        'agent.env.pass: GITHUB_TOKEN · agent.env.set: NODE_ENV',
      );
      await expect(page.getByTestId('prd-runs-env')).not.toContainText('NODE_ENV=test');
      await expect(page.getByTestId('prd-runs-qa')).toContainText('test: npm test');
      // Nothing that costs money starts before approval.
      await expect(page.getByTestId('start-button')).toBeDisabled();
      await expect(page.getByTestId('start-blocked')).toContainText('Approve this PRD first');

      // Reject needs a comment.
      await page.getByTestId('prd-by').fill('Ana Lead');
      await page.getByTestId('prd-reject').click();
      await expect(page.getByTestId('prd-error')).toContainText('a rejection needs one');
      await page.getByTestId('prd-comment').fill('Division by zero is not specified.');
      await page.getByTestId('prd-reject').click();
      await expect(page.getByTestId('prd-status')).toContainText('rejected');
      // The record holds the app's user; the typed name is shown beside it.
      await expect(page.getByTestId('prd-stamp')).toContainText(/Rejected by \S+ \(as “Ana Lead”\)/);
      await expect(page.getByTestId('prd-stamp')).toContainText('Division by zero is not specified.');
      await expect(page.getByTestId('prd-approve')).toBeDisabled();
      await expect(page.getByTestId('prd-final')).toContainText('import it again');

      // The author fixes the story; the re-import voids the rejection and a new decision is possible.
      await openView(page, 'Import');
      await dropFiles(page, page.getByTestId('drop-zone'), [
        {
          name: 'math-2.json',
          text: storyJson({
            id: 'MATH-2',
            title: 'Divide two numbers, refusing zero',
            wave: 2,
            dependencies: ['MATH-1'],
          }),
        },
      ]);
      await expect(page.locator('[data-testid="import-result"][data-file="math-2.json"]')).toContainText('↻ updated');
      await openView(page, 'PRD');
      await expect(page.getByTestId('prd-status')).toContainText('void');

      // Approve the content shown: the stamp names who, when and the hash.
      await page.getByTestId('prd-comment').fill('Looks complete now.');
      await page.getByTestId('prd-approve').click();
      await expect(page.getByTestId('prd-status')).toContainText('approved');
      const stamp = page.getByTestId('prd-stamp');
      await expect(stamp).toContainText(/Approved by \S+ \(as “Ana Lead”\)/);
      await expect(stamp).toContainText(/content hash [0-9a-f]{12}/);
      await expect(page.getByTestId('start-button')).toBeEnabled();
      await expect(page.getByTestId('start-button')).toContainText('budget $10.00');
      await page.screenshot({ path: testInfo.outputPath('prd-approved.png'), fullPage: true });

      // Another preset chosen in Settings is not what was approved: the review lists it, the start is blocked.
      await openView(page, 'Settings');
      await expect(page.getByTestId('settings-preset')).toHaveValue('');
      await expect(page.getByTestId('settings-preset').locator('option').first()).toHaveText(
        'as wave.config.json says (command)',
      );
      await page.getByTestId('settings-preset').selectOption('scripted');
      await page.getByTestId('settings-save').click();
      await expect(page.getByTestId('settings-message')).toContainText('Saved.');
      await openView(page, 'PRD');
      await expect(page.getByTestId('prd-runs-agent-preset')).toContainText('scripted');
      await expect(page.getByTestId('prd-runs-agent')).toHaveText('node e2e/fixtures/agents/scripted-agent.mjs');
      await expect(page.getByTestId('prd-approval-problem')).toContainText(
        'for agent preset command, not for scripted',
      );
      await expect(page.getByTestId('start-button')).toBeDisabled();
      // Back to what wave.config.json says: the approval holds again.
      await openView(page, 'Settings');
      await page.getByTestId('settings-preset').selectOption({ index: 0 });
      await page.getByTestId('settings-save').click();
      await expect(page.getByTestId('settings-message')).toContainText('Saved.');
      await openView(page, 'PRD');
      await expect(page.getByTestId('prd-runs-agent-preset')).toContainText('command');
      await expect(page.getByTestId('start-button')).toBeEnabled();

      // A changed story voids the approval: the import says so, and so does the PRD.
      await openView(page, 'Import');
      await dropFiles(page, page.getByTestId('drop-zone'), [
        {
          name: 'math-2.json',
          text: storyJson({
            id: 'MATH-2',
            title: 'Divide two numbers, refusing zero and overflow',
            wave: 2,
            dependencies: ['MATH-1'],
          }),
        },
      ]);
      const row = page.locator('[data-testid="import-result"][data-file="math-2.json"]');
      await expect(row).toContainText('↻ updated');
      await expect(row.getByTestId('import-note')).toContainText('PRD-MATH is void');
      await openView(page, 'PRD');
      await expect(page.getByTestId('prd-status')).toContainText('approval void');
      await expect(page.getByTestId('prd-void')).toContainText('approval void:');
      await expect(page.getByTestId('prd-void')).toContainText('MATH-2');
      await expect(page.getByTestId('start-button')).toBeDisabled();
      await expect(page.getByTestId('start-blocked')).toContainText('approval is void');
      await page.screenshot({ path: testInfo.outputPath('prd-void.png'), fullPage: true });
    } finally {
      project.cleanup();
    }
  });
});
