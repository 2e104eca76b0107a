import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Page } from '@playwright/test';
import { TEST_REDIS_URL } from '../test/helpers/env';
import { createTestDatabase } from '../test/helpers/pg';
import { cleanupPrefix, uniquePrefix } from '../test/helpers/redis';
import { expect, test } from './support/fixtures';
import { createSessionProject, prdMarkdown, storyJson } from './support/project';
import { openView, ready } from './support/steps';
import { startWaveServer } from './support/wave-server';

/*
 * One live picture across processes: a window (`wave serve`) already open on a shared store
 * (Postgres + Redis) shows a session that `wave run` starts in another process, with another
 * data dir, as it runs, without a reload; and its STOP stops that session in that process.
 */

const row = (page: Page, storyId: string) => page.locator(`[data-testid="story-row"][data-story="${storyId}"]`);
const segment = (page: Page, storyId: string, gateIndex: number) =>
  row(page, storyId).locator('.gate-seg').nth(gateIndex);

test('a session started by wave run in another process appears and progresses live in an open window, and its STOP stops it', async ({
  browser,
  transport,
}) => {
  test.skip(transport === 'electron', 'the cross-process path is the same for both windows; the web one runs it');
  test.setTimeout(240_000);
  const db = await createTestDatabase('e2e_live');
  const prefix = uniquePrefix('e2e-live');
  const shared = {
    DATABASE_URL: db.url,
    REDIS_URL: TEST_REDIS_URL,
    WAVE_REDIS_PREFIX: prefix,
    WAVE_STOP_GRACE_MS: '500',
  };
  const project = createSessionProject();
  const otherHome = mkdtempSync(path.join(os.tmpdir(), 'wave-e2e-run-'));
  const backlog = path.join(otherHome, 'backlog');
  mkdirSync(backlog);
  writeFileSync(
    path.join(backlog, 'prd.md'),
    prdMarkdown({ id: 'PRD-LIVE', title: 'Live elsewhere', stories: ['LIVE-1', 'LIVE-2'] }),
  );
  writeFileSync(path.join(backlog, 'live-1.json'), storyJson({ id: 'LIVE-1', title: 'Add two numbers' }));
  writeFileSync(
    path.join(backlog, 'live-2.json'),
    storyJson({
      id: 'LIVE-2',
      title: 'Divide two numbers',
      testAgent: { hang: ['develop'], ignore_sigterm: true, grandchildren: 1 },
    }),
  );
  const server = await startWaveServer({ env: shared });
  const context = await browser.newContext();
  let run: ReturnType<typeof spawn> | null = null;
  try {
    const page = await context.newPage();
    await page.goto(server.url);
    await ready(page);
    await openView(page, 'Waves');
    await expect(page.getByTestId('stop-button')).toBeDisabled();
    let navigations = 0;
    page.on('framenavigated', (f) => {
      if (f === page.mainFrame()) navigations += 1;
    });

    // Another terminal: `wave run` on the same store, with a data dir of its own.
    run = spawn(
      process.execPath,
      [
        'bin/wave.mjs',
        'run',
        ...['--project', project.dir, '--stories', backlog, '--prd', path.join(backlog, 'prd.md')],
        ...['--approve-as', 'Ana Lead', '--agent', 'scripted', '--json'],
      ],
      { env: { ...process.env, ...shared, WAVE_HOME: otherHome }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let runLog = '';
    run.stderr!.on('data', (d) => (runLog += String(d)));
    const exited = new Promise<number | null>((r) => run!.once('exit', (code) => r(code)));

    // It appears and progresses here, live.
    await expect(page.getByTestId('story-row')).toHaveCount(2, { timeout: 90_000 });
    await expect(row(page, 'LIVE-1')).toHaveAttribute('data-status', 'merged', { timeout: 90_000 });
    await expect(segment(page, 'LIVE-2', 2)).toHaveAttribute('data-state', 'running', { timeout: 60_000 });
    await expect(page.getByTestId('session-state')).toContainText('running');

    // STOP in this window stops it in the other process.
    await expect(page.getByTestId('stop-button')).toBeEnabled();
    await page.getByTestId('stop-button').click();
    await expect(page.getByTestId('stop-dialog')).toBeVisible();
    await page.getByTestId('stop-reason-input').fill('stopped from the window');
    await page.keyboard.press('Enter');
    await expect(page.getByTestId('stop-status')).toContainText(/1 agent stopped, 0 alive/, { timeout: 30_000 });
    await expect(page.getByTestId('session-state')).toContainText('stopped');
    await expect(row(page, 'LIVE-2')).toHaveAttribute('data-status', 'stopped');
    expect(await exited, runLog).toBe(1);
    expect(navigations).toBe(0);
  } finally {
    if (run && run.exitCode === null) run.kill('SIGKILL');
    await context.close();
    await server.stop();
    await db.drop();
    await cleanupPrefix(prefix);
    project.cleanup();
    rmSync(otherHome, { recursive: true, force: true });
  }
});
