import type { Page } from '@playwright/test';
import { dropFiles } from './drop';
import { expect } from './fixtures';
import type { DropFile } from './project';

/** Opens a view from the navigation, as a person clicks it. */
export async function openView(
  page: Page,
  name: 'Waves' | 'Timeline' | 'Charts' | 'Import' | 'PRD' | 'Recovery' | 'Settings' | 'Fleet',
): Promise<void> {
  await page.getByRole('navigation', { name: 'Views' }).getByRole('button', { name, exact: true }).click();
}

/** Waits until the page is connected and has its first snapshot. */
export async function ready(page: Page): Promise<void> {
  await expect(page.getByTestId('connection')).toHaveText('connected');
  await expect(page.getByTestId('health-store-status')).toHaveText('ok');
}

/** Sets the project (and optionally the agent preset) in Settings, as a lead would. */
export async function setProject(
  page: Page,
  dir: string,
  opts: { preset?: 'scripted' | 'command' | 'claude-code'; budget?: string; concurrency?: string } = {},
): Promise<void> {
  await openView(page, 'Settings');
  await page.getByTestId('settings-project').fill(dir);
  if (opts.preset) await page.getByTestId('settings-preset').selectOption(opts.preset);
  if (opts.budget !== undefined) await page.getByTestId('settings-budget').fill(opts.budget);
  if (opts.concurrency !== undefined) await page.getByTestId('settings-concurrency').fill(opts.concurrency);
  await page.getByTestId('settings-save').click();
  await expect(page.getByTestId('settings-message')).toContainText('Saved.');
}

/** Drops a PRD and its stories on the Import view (all must import), then approves the PRD as `by`. */
export async function importAndApprovePrd(page: Page, files: DropFile[], by = 'Ana Lead'): Promise<void> {
  await openView(page, 'Import');
  await dropFiles(page, page.getByTestId('drop-zone'), files);
  await expect(page.getByTestId('import-result')).toHaveCount(files.length);
  await expect(page.locator('[data-testid="import-result"][data-outcome="invalid"]')).toHaveCount(0);
  await openView(page, 'PRD');
  await page.getByTestId('prd-by').fill(by);
  await page.getByTestId('prd-approve').click();
  await expect(page.getByTestId('prd-status')).toContainText('approved');
}
