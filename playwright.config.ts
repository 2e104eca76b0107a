import { defineConfig } from '@playwright/test';

const chromiumPath = process.env.WAVE_CHROMIUM ?? '/usr/bin/chromium';
// Debian's Chromium, never a browser of Playwright's own (it cannot be downloaded here).
const chromium = {
  browserName: 'chromium' as const,
  launchOptions: {
    executablePath: chromiumPath,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  },
  headless: true,
  viewport: { width: 1400, height: 900 },
};

export default defineConfig({
  testDir: 'e2e',
  testMatch: '**/*.spec.ts',
  globalSetup: './e2e/global-setup.ts',
  outputDir: 'test-results/e2e',
  timeout: 60_000,
  expect: { timeout: 15_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: process.env.CI ? [['list'], ['html', { open: 'never', outputFolder: 'playwright-report' }]] : 'list',
  use: {
    screenshot: 'only-on-failure',
    trace: 'retain-on-failure',
  },
  projects: [
    {
      name: 'web',
      use: chromium,
    },
    {
      // Same specs through _electron.launch; each test skips with a stated reason where
      // the Electron binary is absent (see e2e/support/electron-binary.ts).
      name: 'electron',
      use: chromium,
    },
  ],
});
