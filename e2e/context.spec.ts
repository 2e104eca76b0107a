import { expect, test } from './support/fixtures';
import { createGitProject, prdMarkdown, storyJson } from './support/project';
import { importAndApprovePrd, openView, ready, setProject } from './support/steps';

/**
 * A story that modifies src/add.js (which imports src/util.js) and creates src/sum.js; its
 * develop agent asks for one subagent, which works for a moment and reports its own cost.
 */
function story(): string {
  const usage = (cost: number) => ({
    model: 'claude-sonnet-4-5',
    input_tokens: 1000,
    output_tokens: 100,
    cost_usd: cost,
  });
  const s = JSON.parse(
    storyJson({
      id: 'CTX-1',
      title: 'Sum a list',
      files: ['src/sum.js'],
      testAgent: {
        usage: usage(0.01),
        spawn: [{ task: 'check the number helper', paths: ['src/util.js'] }],
        subagent: { usage: usage(0.02), delay_ms: 400, commit: false, content: {} },
      },
    }),
  );
  s.files.modify = ['src/add.js'];
  return `${JSON.stringify(s, null, 2)}\n`;
}

test.describe('context packs in the window', () => {
  test('the PRD review forecasts each story’s pack; the story detail shows the pack its agent got and its subagent on the gate timeline; the charts show its tokens and the subagent’s cost', async ({
    fresh,
  }, testInfo) => {
    test.setTimeout(180_000);
    const page = fresh.page;
    const project = createGitProject({
      config: {
        targetBranch: 'main',
        domains: { app: ['src/**'], docs: ['docs/**'], SHARED: ['README.md'] },
        qa: { check: ['node', '-e', 'process.exit(0)'] },
        execution: { max_retries: 1, timeout_minutes: 5 },
        context: { budgetTokens: 20000 },
      },
      files: {
        'src/add.js': "import { num } from './util.js';\nexport const add = (a, b) => num(a) + num(b);\n",
        'src/util.js': 'export const num = (x) => Number(x);\n',
        'docs/guide.md': '# Guide\n\nHow to add numbers.\n',
      },
    });
    try {
      await ready(page);
      await setProject(page, project.dir, { preset: 'scripted', budget: '5', concurrency: '1' });
      await importAndApprovePrd(page, [
        { name: 'prd-ctx.md', text: prdMarkdown({ id: 'PRD-CTX', title: 'Context', stories: ['CTX-1'] }) },
        { name: 'ctx-1.json', text: story() },
      ]);
      // The PRD review: the forecast built from main, before anything runs.
      const forecast = page.getByTestId('prd-context-forecast');
      await expect(forecast).toContainText('forecast from main');
      await forecast.locator('summary').click();
      await expect(forecast.locator('tbody tr')).toHaveCount(1);
      await expect(forecast.locator('tbody tr')).toContainText('CTX-1');
      await expect(forecast.locator('tbody tr')).toContainText('src/add.js');

      await page.getByTestId('start-button').click();
      const row = page.locator('[data-testid="story-row"][data-story="CTX-1"]');
      await expect(row).toHaveAttribute('data-status', 'merged', { timeout: 90_000 });
      await row.click();

      const pack = page.getByTestId('story-detail').getByTestId('context-pack');
      await expect(pack.getByTestId('context-pack-summary')).toContainText('% of the repository');
      await pack.locator('summary').click();
      // The develop phase's pack by default; the plan phase's is one choice away.
      await expect(pack.getByTestId('context-pack-phase')).toContainText('develop');
      const files = pack.getByTestId('context-pack-files').locator('tbody tr');
      await expect(files.first()).toContainText('src/add.js');
      await expect(files.first()).toContainText('named by the story');
      await expect(pack.getByTestId('context-pack-files')).toContainText('imported by a named file');
      await expect(pack.getByTestId('context-pack-files')).toContainText('src/util.js');
      // Outside the story's domain and SHARED, and not imported: not in the pack.
      await expect(pack.getByTestId('context-pack-files')).not.toContainText('docs/guide.md');
      await pack.scrollIntoViewIfNeeded();
      await page.screenshot({ path: testInfo.outputPath('story-context-pack.png') });

      // The develop agent's subagent: its own bar under the develop gate on the story's timeline.
      const sub = page.getByTestId('story-detail').locator('[data-testid="gantt-sub"]');
      await expect(sub).toHaveCount(1);
      await expect(sub).toBeVisible();
      await expect(sub).toHaveAttribute('data-gate', 'gate-2');
      await expect(sub).toHaveAttribute('data-status', 'succeeded');
      await expect(sub).toHaveAttribute('aria-label', /subagent \S+-sub1: succeeded/);
      const agent = (await sub.getAttribute('data-agent'))!;
      await sub.scrollIntoViewIfNeeded();
      await page.screenshot({ path: testInfo.outputPath('story-subagent-bar.png') });

      await openView(page, 'Charts');
      const chart = page.getByTestId('chart-context');
      await expect(chart).toBeVisible();
      await expect(chart.getByTestId('chart-context-empty')).toHaveCount(0);
      await expect(chart).toContainText('repository:');
      // Cost by agent: the subagent on its own.
      await expect(page.getByTestId('chart-cost-by')).toContainText(agent);
    } finally {
      project.cleanup();
    }
  });
});
