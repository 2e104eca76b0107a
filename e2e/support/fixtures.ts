import { rmSync } from 'node:fs';
import { _electron, test as base, type ElectronApplication, type Page } from '@playwright/test';
import { ELECTRON_MISSING_REASON, electronAvailable, electronBinaryPath } from './electron-binary';
import { freshDataDir, startWaveServer, type RunningWave } from './wave-server';

/** One running control center of its own: a fresh data dir, its core, and the window on it. */
export interface WaveInstance {
  page: Page;
  dataDir: string;
  /**
   * Kills the core with SIGKILL, as a crash would, starts it again on the same data dir
   * and returns the window showing the new instance (in the browser: the same tab, opened
   * on the new address; in Electron: the new window).
   */
  crashAndRestart(): Promise<Page>;
  /** The core's log so far (wave serve's stderr; empty for Electron). */
  log(): string;
}

export interface WaveFixtures {
  /** The control center window on a core shared by the tests of a worker: Chromium on `wave serve` (web) or the Electron window (electron). */
  app: Page;
  /** A control center of this test's own, with nothing imported and no project set. */
  fresh: WaveInstance;
  transport: 'websocket' | 'electron';
}

async function launchElectron(dataDir: string): Promise<{ electronApp: ElectronApplication; page: Page }> {
  const electronApp = await _electron.launch({
    executablePath: electronBinaryPath(),
    args: ['out/main/index.js'],
    env: { ...process.env, WAVE_HOME: dataDir, DATABASE_URL: '', REDIS_URL: '' },
  });
  const page = await electronApp.firstWindow();
  return { electronApp, page };
}

export const test = base.extend<WaveFixtures, { wave: RunningWave | null }>({
  wave: [
    async ({}, use, workerInfo) => {
      if (workerInfo.project.name !== 'web') return use(null);
      const wave = await startWaveServer();
      await use(wave);
      await wave.stop();
    },
    { scope: 'worker', timeout: 120_000 },
  ],
  transport: async ({}, use, testInfo) => use(testInfo.project.name === 'electron' ? 'electron' : 'websocket'),
  app: async ({ wave, browser, transport }, use) => {
    if (transport === 'electron') {
      test.skip(!electronAvailable(), ELECTRON_MISSING_REASON);
      const dataDir = freshDataDir();
      const { electronApp, page } = await launchElectron(dataDir);
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
  },
  fresh: async ({ browser, transport }, use, testInfo) => {
    const dataDir = freshDataDir();
    if (transport === 'electron') {
      test.skip(!electronAvailable(), ELECTRON_MISSING_REASON);
      let current = await launchElectron(dataDir);
      await use({
        get page() {
          return current.page;
        },
        dataDir,
        async crashAndRestart() {
          const proc = current.electronApp.process();
          const gone = new Promise((r) => proc.once('exit', r));
          proc.kill('SIGKILL');
          await gone;
          current = await launchElectron(dataDir);
          return current.page;
        },
        log: () => '',
      });
      await current.electronApp.close().catch(() => {});
      rmSync(dataDir, { recursive: true, force: true });
      return;
    }
    let server = await startWaveServer({ dataDir });
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(server.url);
    let previousLogs = '';
    try {
      await use({
        page,
        dataDir,
        async crashAndRestart() {
          await server.kill();
          previousLogs += server.log();
          server = await startWaveServer({ dataDir });
          // A person opens the address the restarted server prints (it has a new token).
          await page.goto(server.url);
          return page;
        },
        log: () => previousLogs + server.log(),
      });
    } finally {
      // A failed test carries the core's log: what the server did is what explains a CI failure.
      if (testInfo.status !== testInfo.expectedStatus) {
        const log = previousLogs + server.log();
        await testInfo.attach('wave-serve.log', { body: log, contentType: 'text/plain' });
        const tail = log.split('\n').slice(-60).join('\n');
        process.stderr.write(`\n── wave serve log of "${testInfo.title}" (last 60 lines) ──\n${tail}\n──\n`);
      }
      await context.close();
      await server.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  },
});

export { expect } from '@playwright/test';
