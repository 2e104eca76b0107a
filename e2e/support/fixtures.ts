import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { _electron, test as base, type Page } from '@playwright/test';
import { ELECTRON_MISSING_REASON, electronAvailable, electronBinaryPath } from './electron-binary';
import { startWaveServer, type RunningWave } from './wave-server';

export interface WaveFixtures {
  /** The control center window: Chromium on `wave serve` (web) or the Electron window (electron). */
  app: Page;
  transport: 'websocket' | 'electron';
}

export const test = base.extend<WaveFixtures, { wave: RunningWave | null }>({
  wave: [
    async ({}, use, workerInfo) => {
      if (workerInfo.project.name !== 'web') return use(null);
      const wave = await startWaveServer();
      await use(wave);
      await wave.stop();
    },
    { scope: 'worker', timeout: 90_000 },
  ],
  transport: async ({}, use, testInfo) => use(testInfo.project.name === 'electron' ? 'electron' : 'websocket'),
  app: async ({ wave, browser, transport }, use, testInfo) => {
    if (transport === 'electron') {
      test.skip(!electronAvailable(), ELECTRON_MISSING_REASON);
      const dataDir = mkdtempSync(path.join(os.tmpdir(), 'wave-e2e-electron-'));
      const electronApp = await _electron.launch({
        executablePath: electronBinaryPath(),
        args: ['out/main/index.js'],
        env: { ...process.env, WAVE_HOME: dataDir, DATABASE_URL: '', REDIS_URL: '' },
      });
      const page = await electronApp.firstWindow();
      await use(page);
      await electronApp.close();
      rmSync(dataDir, { recursive: true, force: true });
      return;
    }
    if (!wave) throw new Error('web project without a wave server');
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(wave.url);
    await use(page);
    await context.close();
    void testInfo;
  },
});

export { expect } from '@playwright/test';
