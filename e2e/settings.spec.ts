import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, test } from './support/fixtures';
import { createGitProject } from './support/project';
import { openView, ready } from './support/steps';

test.describe('settings', () => {
  test('sets the project to a git repository, refuses a folder that is not one, and keeps the choices', async ({
    fresh,
  }, testInfo) => {
    const page = fresh.page;
    const project = createGitProject();
    const notARepo = mkdtempSync(path.join(os.tmpdir(), 'wave-e2e-plain-'));
    try {
      await ready(page);
      await expect(page.getByTestId('header-project')).toContainText('none — set it in Settings');
      // One click from the header to where the project is set.
      await page.getByTestId('header-project').getByRole('button').click();
      await expect(page.getByTestId('settings-form')).toBeVisible();

      await page.getByTestId('settings-project').fill(notARepo);
      await page.getByTestId('settings-save').click();
      const message = page.getByTestId('settings-message');
      await expect(message).toContainText('is not a git repository');
      await expect(message).toContainText('Choose the folder of the repository');

      await page.getByTestId('settings-project').fill(project.dir);
      await page.getByTestId('settings-concurrency').fill('3');
      await page.getByTestId('settings-budget').fill('7.5');
      await page.getByTestId('settings-preset').selectOption('scripted');
      await page.getByTestId('settings-save').click();
      await expect(message).toContainText(`Saved. Project: ${project.name}`);
      await expect(page.getByTestId('header-project')).toContainText(project.name);
      await expect(page.getByTestId('budget')).toContainText('$7.50');
      // No wave.config.json yet: listed as a problem that says what to do.
      await expect(page.getByTestId('config-problems')).toContainText('wave init');
      // What an agent can see: the base names and nothing granted (names only, never values).
      const agentEnv = page.getByTestId('settings-agent-env');
      await expect(agentEnv).toContainText('PATH HOME USER LOGNAME LANG TERM TMPDIR SHELL TZ LC_*');
      await expect(agentEnv).toContainText(/agent\.env\.pass\s*none/);
      await expect(page.getByTestId('settings')).toContainText('Data directory');
      await expect(page.getByTestId('settings')).toContainText(fresh.dataDir);
      await page.screenshot({ path: testInfo.outputPath('settings.png'), fullPage: true });

      await page.reload();
      await ready(page);
      await openView(page, 'Settings');
      await expect(page.getByTestId('settings-project')).toHaveValue(project.dir);
      await expect(page.getByTestId('settings-concurrency')).toHaveValue('3');
      await expect(page.getByTestId('settings-budget')).toHaveValue('7.5');
      await expect(page.getByTestId('settings-preset')).toHaveValue('scripted');
    } finally {
      project.cleanup();
      rmSync(notARepo, { recursive: true, force: true });
    }
  });

  test('the theme toggle switches dark and light and is remembered', async ({ app: page }) => {
    await ready(page);
    const html = page.locator('html');
    const before = await html.getAttribute('data-theme');
    expect(before === 'dark' || before === 'light').toBe(true);
    await page.getByTestId('theme-toggle').click();
    const after = before === 'dark' ? 'light' : 'dark';
    await expect(html).toHaveAttribute('data-theme', after);
    await page.reload();
    await ready(page);
    await expect(html).toHaveAttribute('data-theme', after);
  });

  test('every view is reachable from the keyboard, with a visible focus', async ({ app: page }) => {
    await ready(page);
    const views = ['Waves', 'Timeline', 'Charts', 'Import', 'PRD', 'Recovery', 'Settings'];
    for (const [i, name] of views.entries()) {
      await page.keyboard.press(`Alt+${i + 1}`);
      await expect(page.getByRole('main', { name })).toBeVisible();
    }
    // Tab reaches the navigation and shows where focus is.
    await page.getByRole('button', { name: 'Waves', exact: true }).focus();
    await page.keyboard.press('Tab');
    const outline = await page.evaluate(() => getComputedStyle(document.activeElement as Element).outlineStyle);
    expect(outline).not.toBe('none');
  });
});
