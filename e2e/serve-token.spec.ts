import { expect, test } from './support/fixtures';
import { ready } from './support/steps';

test.describe('wave serve without its token', () => {
  test('the address without the token says what is missing and how to get a new URL, instead of waiting forever', async ({
    fresh,
    browser,
  }, testInfo) => {
    test.skip(testInfo.project.name === 'electron', 'the desktop window has no token: it talks over IPC');
    await ready(fresh.page);
    // The page removed the token from its address bar; a person copies that address into a new browser.
    const bare = new URL(fresh.page.url());
    expect(bare.searchParams.has('token')).toBe(false);
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      const response = await page.goto(`${bare.origin}/`);
      expect(response?.status()).toBe(401);
      await expect(page.getByRole('heading', { name: 'Access token needed' })).toBeVisible();
      await expect(page.getByText('Open the full URL that "wave serve" printed')).toBeVisible();
      await expect(page.getByText('run "wave serve" again')).toBeVisible();
      await page.screenshot({ path: testInfo.outputPath('serve-token-missing.png') });
    } finally {
      await context.close();
    }
    // The tab that had the token keeps working after a reload.
    await fresh.page.reload();
    await ready(fresh.page);
  });
});
