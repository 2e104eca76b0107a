import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Locator, Page } from '@playwright/test';
import { expect, test } from './support/fixtures';
import { startWaveServer, type RunningWave } from './support/wave-server';

/*
 * A lead's first hour: `wave demo` on the command line, then `wave serve` on the demo's data
 * dir, as the README says. What the CLI printed and what the window shows must be the same
 * figures, and the window must stay usable from 1024 px up.
 */

interface DemoOutcome {
  session: string;
  status: string;
  dir: string;
  repo: string;
  cost_usd: number;
  budget_usd: number | null;
  stories: Array<{ id: string; attempts: number; status: string }>;
}

/** `wave demo --dir <dir> --json`, the real CLI, to its exit: code, JSON (when any) and stderr. */
function waveDemo(
  dir: string,
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number | null; json: unknown; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['bin/wave.mjs', 'demo', '--dir', dir, '--json'], {
      env: { ...process.env, DATABASE_URL: '', REDIS_URL: '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += String(d)));
    child.stderr.on('data', (d) => (stderr += String(d)));
    child.once('exit', (code) => {
      let json: unknown = null;
      try {
        json = JSON.parse(stdout);
      } catch {
        // not JSON: the assertion on it says what was printed
      }
      resolve({ code, json, stdout, stderr });
    });
  });
}

async function runDemo(dir: string): Promise<{ outcome: DemoOutcome; stderr: string }> {
  const r = await waveDemo(dir);
  if (r.code !== 0) throw new Error(`wave demo exited with ${r.code}:\n${r.stderr}\n${r.stdout}`);
  return { outcome: r.json as DemoOutcome, stderr: r.stderr };
}

/** Two boxes overlap (labels that run into each other). */
const overlaps = (a: { x: number; width: number }, b: { x: number; width: number }) =>
  a.x < b.x + b.width && b.x < a.x + a.width;

async function box(l: Locator) {
  const b = await l.boundingBox();
  if (!b) throw new Error('not visible');
  return b;
}

const row = (page: Page, storyId: string) => page.locator(`[data-testid="story-row"][data-story="${storyId}"]`);

test.describe('the demo, in the CLI and in the window', () => {
  test.describe.configure({ timeout: 300_000 });
  test.skip(({ transport }) => transport === 'electron', 'runs wave serve on the data dir wave demo made');

  let base: string;
  let demo: DemoOutcome;
  let demoLog: string;
  let server: RunningWave;

  test.beforeAll(async () => {
    // The demo's first start creates its embedded database: a minute or more on a busy machine.
    test.setTimeout(300_000);
    base = mkdtempSync(path.join(os.tmpdir(), 'wave-first-hour-'));
    ({ outcome: demo, stderr: demoLog } = await runDemo(path.join(base, 'demo')));
    server = await startWaveServer({ dataDir: path.join(base, 'demo', 'wave-home') });
  });
  test.afterAll(async () => {
    await server?.stop();
    if (base) rmSync(base, { recursive: true, force: true });
  });

  test('the demo runs a complete wave with the scripted agent, lands every story, and refuses a second run into its folder', async () => {
    const dir = path.join(base, 'demo');
    expect(demo).toMatchObject({ status: 'completed', dir, repo: path.join(dir, 'repo') });
    expect(demo.stories.map((s) => `${s.id}:${s.status}`)).toEqual([
      'DEMO-1:merged',
      'DEMO-2:merged',
      'DEMO-3:merged',
      'DEMO-4:merged',
    ]);
    // DEMO-2 shows the fix loop: its QA failed once and passed after the agent's fix.
    expect(demoLog).toMatch(/DEMO-2 gate-4 qa failed/);
    expect(demo.cost_usd).toBeGreaterThan(0);
    const files = execFileSync('git', ['ls-tree', '-r', '--name-only', 'main'], { cwd: demo.repo, encoding: 'utf8' });
    for (const f of ['src/greeting.js', 'src/clock.js', 'docs/usage.md', 'src/farewell.js']) expect(files).toContain(f);
    // A second demo into the same folder is refused instead of mixing two projects.
    const again = await waveDemo(dir);
    expect(again.code).toBe(2);
    expect((again.json as { error: { message: string } }).error.message).toContain('is not empty');
  });

  test('shows the figures the CLI printed: attempts per story, budget, events', async ({ browser }) => {
    expect(demo.status).toBe('completed');
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    await page.goto(server.url);
    await expect(page.getByTestId('session-state')).toContainText('completed');

    // Budget: the CLI's, in the header and in Charts.
    expect(demo.budget_usd).not.toBeNull();
    const budget = `$${demo.budget_usd!.toFixed(2)}`;
    await expect(page.getByTestId('budget')).toContainText(`/ ${budget}`);

    // Attempts: the CLI's figure, the detail's figure and the detail's own attempt table agree.
    for (const s of demo.stories) {
      await row(page, s.id).click();
      const detail = page.getByTestId('story-detail');
      await expect(detail.locator('.fact', { hasText: 'attempts' }).locator('dd')).toHaveText(String(s.attempts));
      const most = await detail
        .getByTestId('attempt-table')
        .locator('tbody tr')
        .evaluateAll((rows) => Math.max(...rows.map((r) => Number(r.querySelector('td.num')?.textContent ?? 0))));
      expect(most, s.id).toBe(s.attempts);
      await page.keyboard.press('Escape');
      await expect(detail).toBeHidden();
    }
    // DEMO-2 is the story whose QA failed once: 2 attempts everywhere.
    expect(demo.stories.find((s) => s.id === 'DEMO-2')?.attempts).toBe(2);

    await page.keyboard.press('Alt+3');
    await expect(page.getByTestId('chart-cost')).toContainText(`budget ${budget}`);
    // Events: the latency chart and the event-rate chart read the same windows.
    await expect(page.getByTestId('chart-latency-empty')).toHaveCount(0);
    await expect(page.getByTestId('chart-rate-empty')).toHaveCount(0);

    // Axis labels never run into each other.
    for (const id of ['chart-latency', 'chart-rate', 'chart-cost']) {
      const labels = page.getByTestId(id).locator('.recharts-xAxis-tick-labels .recharts-cartesian-axis-tick-value');
      await expect(labels.first()).toBeVisible();
      const boxes = await labels.evaluateAll((els) =>
        els.map((e) => e.getBoundingClientRect()).map((r) => ({ x: r.x, width: r.width })),
      );
      expect(boxes.length, id).toBeLessThanOrEqual(5);
      for (let i = 1; i < boxes.length; i++)
        expect(overlaps(boxes[i - 1]!, boxes[i]!), `${id}: tick ${i} overlaps tick ${i - 1}`).toBe(false);
    }
    await page.close();
  });

  test('STOP keeps its place and size on the header row at 1024, 1440 and 1920 px', async ({ browser }, testInfo) => {
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    await page.goto(server.url);
    // A completed session: the longest header (session, waves, spend) and STOP's longest reason.
    await expect(page.getByTestId('session-state')).toContainText('completed');
    await expect(page.getByTestId('stop-status')).toContainText('Nothing is running');
    let first: { y: number; width: number; height: number } | null = null;
    for (const width of [1024, 1440, 1920]) {
      await page.setViewportSize({ width, height: 900 });
      const stop = await box(page.getByTestId('stop-button'));
      const main = await box(page.getByTestId('header-main'));
      const health = await box(page.locator('.header-health'));
      // On the header's first row, above the health row, wholly inside the window.
      expect(stop.y, `${width}px`).toBeGreaterThanOrEqual(main.y);
      expect(stop.y + stop.height, `${width}px`).toBeLessThanOrEqual(health.y);
      expect(stop.x + stop.width, `${width}px`).toBeLessThanOrEqual(width);
      // Same place (from the top) and size at every width.
      first ??= stop;
      expect(Math.abs(stop.y - first.y), `${width}px: moved vertically`).toBeLessThanOrEqual(1);
      expect(Math.abs(stop.width - first.width), `${width}px: width changed`).toBeLessThanOrEqual(1);
      expect(Math.abs(stop.height - first.height), `${width}px: height changed`).toBeLessThanOrEqual(1);
      await page.screenshot({ path: testInfo.outputPath(`header-${width}.png`) });
    }
    await page.close();
  });
});
