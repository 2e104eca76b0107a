import type { Page } from '@playwright/test';
import { expect, test } from './support/fixtures';
import { createSessionProject, prdMarkdown, storyJson } from './support/project';
import { importAndApprovePrd, ready, setProject } from './support/steps';

const USAGE = {
  model: 'claude-sonnet-4-5',
  input_tokens: 1200,
  output_tokens: 300,
  cache_read_tokens: 0,
  cache_write_tokens: 0,
  cost_usd: 0.02,
};

/** Imports a PRD with one story that finishes and two whose agents hang in `develop` (so STOP has agents to stop). */
async function importAndApprove(page: Page): Promise<void> {
  await importAndApprovePrd(page, [
    {
      name: 'prd-math.md',
      text: prdMarkdown({ id: 'PRD-MATH', title: 'Arithmetic', stories: ['MATH-1', 'MATH-2', 'MATH-3'] }),
    },
    { name: 'math-1.json', text: storyJson({ id: 'MATH-1', title: 'Add two numbers', testAgent: { usage: USAGE } }) },
    {
      name: 'math-2.json',
      text: storyJson({ id: 'MATH-2', title: 'Divide two numbers', testAgent: { usage: USAGE, hang: ['develop'] } }),
    },
    {
      name: 'math-3.json',
      text: storyJson({
        id: 'MATH-3',
        title: 'Raise to a power',
        agent: 'fe-dev',
        testAgent: { usage: USAGE, hang: ['develop'] },
      }),
    },
  ]);
}

/** Headless Chromium shows no system notifications: record what the app asks for instead. */
const FAKE_NOTIFICATIONS = `
  window.__notified = [];
  class FakeNotification {
    static permission = 'default';
    static async requestPermission() { FakeNotification.permission = 'granted'; return 'granted'; }
    constructor(title, options) { window.__notified.push({ title, body: options && options.body }); }
  }
  window.Notification = FakeNotification;
`;
const notified = (page: Page) =>
  page.evaluate(() => (window as unknown as { __notified: Array<{ title: string }> }).__notified.map((n) => n.title));

const row = (page: Page, storyId: string) => page.locator(`[data-testid="story-row"][data-story="${storyId}"]`);
const segment = (page: Page, storyId: string, gateIndex: number) =>
  row(page, storyId).locator('.gate-seg').nth(gateIndex);

async function stopFromTheButton(page: Page, reason: string): Promise<void> {
  await page.getByTestId('stop-button').click();
  const dialog = page.getByTestId('stop-dialog');
  await expect(dialog).toBeVisible();
  await page.getByTestId('stop-reason-input').fill(reason);
  await page.keyboard.press('Enter');
  await expect(dialog).toBeHidden();
  await expect(page.getByTestId('stop-status')).toContainText(/\d+ agents? stopped, 0 alive/, { timeout: 30_000 });
}

test.describe('a session, live', () => {
  test('runs with the scripted agent, updates board, timeline and charts live, stops verified, and resumes in one click after a crash', async ({
    fresh,
    transport,
  }, testInfo) => {
    test.setTimeout(240_000);
    let page = fresh.page;
    const project = createSessionProject();
    try {
      await page.addInitScript(FAKE_NOTIFICATIONS);
      await page.reload();
      await ready(page);
      await setProject(page, project.dir, { preset: 'scripted', budget: '5', concurrency: '3' });
      if (transport === 'websocket') {
        // Browser notifications are asked for on a click, never on their own.
        await page.getByTestId('enable-notifications').click();
        await expect(page.getByTestId('notification-settings')).toContainText('Browser notifications are on');
      } else {
        await expect(page.getByTestId('notification-settings')).toContainText('system notifications');
      }
      await importAndApprove(page);

      // The budget is visible before anything that costs money starts.
      await expect(page.getByTestId('start-budget')).toHaveValue('5');
      await expect(page.getByTestId('start-button')).toContainText('budget $5.00');
      await expect(page.getByTestId('stop-button')).toBeDisabled();
      await page.getByTestId('start-button').click();

      // The board, live: MATH-1 goes all the way, MATH-2 and MATH-3 sit in develop.
      await expect(page.getByRole('main', { name: 'Waves' })).toBeVisible();
      await expect(page.getByTestId('story-row')).toHaveCount(3);
      await expect(row(page, 'MATH-1')).toHaveAttribute('data-status', 'merged', { timeout: 90_000 });
      // Spend in the header follows the agents' reported usage, with its unit.
      await expect(page.getByTestId('budget')).not.toContainText('$0.00 /');
      for (let g = 0; g < 8; g++)
        await expect(segment(page, 'MATH-1', g)).toHaveAttribute('data-state', /passed|skipped/);
      await expect(segment(page, 'MATH-2', 2)).toHaveAttribute('data-state', 'running', { timeout: 60_000 });
      await expect(segment(page, 'MATH-3', 2)).toHaveAttribute('data-state', 'running', { timeout: 60_000 });
      await expect(segment(page, 'MATH-2', 1)).toHaveAttribute('data-state', 'passed');
      await expect(row(page, 'MATH-2').getByTestId('story-status')).toContainText('gate-2 develop');
      await expect(page.getByTestId('session-state')).toContainText('running');
      await expect(page.getByTestId('budget')).toContainText('/ $5.00');
      await expect(page.getByTestId('stop-button')).toBeEnabled();
      // Filters and search.
      await page.getByTestId('filter-agent').selectOption('fe-dev');
      await expect(page.getByTestId('story-row')).toHaveCount(1);
      await page.getByTestId('filter-agent').selectOption('all');
      await page.getByTestId('board-search').fill('divide');
      await expect(page.getByTestId('story-row')).toHaveCount(1);
      await page.getByTestId('board-search').fill('');

      // Story detail with its per-gate Gantt.
      await row(page, 'MATH-1').click();
      const detail = page.getByTestId('story-detail');
      await expect(detail).toContainText('MATH-1');
      await expect(detail.getByTestId('story-gantt').getByTestId('gantt-seg').first()).toBeVisible();
      await page.screenshot({ path: testInfo.outputPath('waves-board.png') });
      await page.keyboard.press('Escape');
      await expect(detail).toBeHidden();

      // The session timeline: bars per attempt, the moving "now" line, hover details, a log tail.
      await page.keyboard.press('Alt+2');
      const gantt = page.getByTestId('session-gantt');
      await expect(gantt.getByTestId('gantt-row')).toHaveCount(3);
      await expect(gantt.getByTestId('now-line')).toBeVisible();
      const running = gantt.locator('[data-testid="gantt-seg"][data-status="running"]').first();
      await running.hover();
      const hover = page.getByTestId('gantt-hover');
      await expect(hover).toContainText('attempt 1');
      await expect(hover).toContainText('tokens');
      await expect(hover).toContainText('$');
      await page.screenshot({ path: testInfo.outputPath('timeline.png') });
      await gantt.getByRole('button', { name: 'Zoom in' }).click();
      await expect(page.getByTestId('session-gantt-zoom')).toContainText('1.5×');
      await running.click();
      const log = page.getByTestId('gate-log');
      await expect(log).toContainText('scripted-agent', { timeout: 20_000 });
      await page.keyboard.press('Escape');

      // Charts from metrics.get plus pushed ticks.
      await page.keyboard.press('Alt+3');
      await expect(page.getByTestId('charts')).toBeVisible();
      await expect(page.getByTestId('chart-cost')).toBeVisible();
      await expect(page.getByTestId('chart-cost-empty')).toHaveCount(0, { timeout: 30_000 });
      // Readable in both themes.
      const html = page.locator('html');
      const theme = await html.getAttribute('data-theme');
      await page.getByTestId('theme-toggle').click();
      await expect(html).not.toHaveAttribute('data-theme', theme ?? '');
      await page.screenshot({ path: testInfo.outputPath(`charts-${await html.getAttribute('data-theme')}.png`) });
      await page.getByTestId('theme-toggle').click();
      await expect(html).toHaveAttribute('data-theme', theme ?? '');
      await page.screenshot({ path: testInfo.outputPath(`charts-${theme}.png`) });

      // STOP: the shortcut asks first (Escape cancels); the button stops and verifies.
      await page.keyboard.press('Control+Shift+S');
      await expect(page.getByTestId('stop-dialog')).toBeVisible();
      await expect(page.getByTestId('stop-reason-input')).toBeFocused();
      // Focus stays in the dialog.
      for (let i = 0; i < 4; i++) {
        await page.keyboard.press('Tab');
        expect(await page.evaluate(() => !!document.activeElement?.closest('[data-testid="stop-dialog"]'))).toBe(true);
      }
      await page.keyboard.press('Escape');
      await expect(page.getByTestId('stop-dialog')).toBeHidden();
      await expect(page.getByTestId('session-state')).toContainText('running');
      await stopFromTheButton(page, 'e2e: checking the emergency stop');
      await expect(page.getByTestId('stop-status')).toContainText('2 agents stopped, 0 alive');
      await expect(page.getByTestId('session-state')).toContainText('stopped');
      await expect(page.locator('[data-testid="toast"][data-kind="stopped"]')).toBeVisible();
      if (transport === 'websocket')
        await expect.poll(() => notified(page)).toContainEqual(expect.stringMatching(/stopped/i));
      await page.keyboard.press('Alt+1');
      await expect(row(page, 'MATH-2')).not.toHaveAttribute('data-status', 'running');
      await page.screenshot({ path: testInfo.outputPath('stopped.png') });

      // The core dies (SIGKILL) and starts again on the same data: one click resumes.
      page = await fresh.crashAndRestart();
      await ready(page);
      const banner = page.getByTestId('recovery-banner');
      await expect(banner).toBeVisible();
      await expect(banner).toContainText('MATH-2');
      // The Recovery view says what each story was doing and offers every strategy.
      await page.keyboard.press('Alt+6');
      const card = page.getByTestId('interrupted-session');
      await expect(card).toContainText('MATH-2');
      await expect(card).toContainText('gate-2 develop');
      await card.getByLabel(/Resume from a gate/).check();
      await expect(card.getByTestId('strategy-gate')).toBeVisible();
      await card.getByLabel(/Resume from the last checkpoint/).check();
      await page.screenshot({ path: testInfo.outputPath('recovery.png') });
      await page.getByTestId('banner-resume').click();
      await expect(page.getByTestId('session-state')).toContainText('running', { timeout: 30_000 });
      await expect(banner).toBeHidden();
      await expect(row(page, 'MATH-1')).toHaveAttribute('data-status', 'merged');
      await expect(segment(page, 'MATH-2', 2)).toHaveAttribute('data-state', /running|retrying/, { timeout: 60_000 });

      // And it stops again, verified.
      await stopFromTheButton(page, 'e2e: done');
    } finally {
      project.cleanup();
    }
  });
});

test.describe('views without a session', () => {
  test('charts, timeline and recovery say what is missing and what to do', async ({ fresh }) => {
    const page = fresh.page;
    await ready(page);
    await page.keyboard.press('Alt+2');
    await expect(page.getByRole('heading', { name: 'No gate runs to show' })).toBeVisible();
    await page.keyboard.press('Alt+3');
    await expect(page.getByTestId('chart-latency-empty')).toContainText('No latency samples yet');
    await expect(page.getByTestId('chart-cost-empty')).toContainText('No spend recorded yet');
    await page.keyboard.press('Alt+6');
    await expect(page.getByTestId('nothing-to-recover')).toBeVisible();
    await expect(page.getByTestId('dead-letters')).toContainText('None: every event was handled.');
    await expect(page.getByTestId('recovery-banner')).toHaveCount(0);
  });
});
