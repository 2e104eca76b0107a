import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TEST_REDIS_URL } from '../test/helpers/env';
import { createTestDatabase } from '../test/helpers/pg';
import { cleanupPrefix, uniquePrefix } from '../test/helpers/redis';
import { expect, test } from './support/fixtures';
import { openView, ready } from './support/steps';
import { startWaveServer } from './support/wave-server';

/*
 * The fleet view of a window (`wave serve`) on a shared store: 3 `wave worker` processes
 * started after the window opened appear live (pushed, no reload), with host, pid and state;
 * Drain takes one out (it confirms), and a worker that leaves disappears.
 */
test('the fleet view shows 3 workers live; Drain takes one out and a worker that leaves disappears', async ({
  browser,
  transport,
}) => {
  test.skip(transport === 'electron', 'the view and its pushes are the same in both windows; the web one runs it');
  test.setTimeout(180_000);
  const db = await createTestDatabase('e2e_fleet');
  const prefix = uniquePrefix('e2e-fleet');
  const shared = { DATABASE_URL: db.url, REDIS_URL: TEST_REDIS_URL, WAVE_REDIS_PREFIX: prefix };
  const dirs: string[] = [];
  const tmp = (label: string) => {
    const d = mkdtempSync(path.join(os.tmpdir(), `wave-e2e-fleet-${label}-`));
    dirs.push(d);
    return d;
  };
  const server = await startWaveServer({ env: shared });
  const context = await browser.newContext();
  const workers = new Map<string, ChildProcess>();
  try {
    const page = await context.newPage();
    await page.goto(server.url);
    await ready(page);
    await openView(page, 'Fleet');
    await expect(page.getByTestId('fleet-empty')).toBeVisible();

    for (const name of ['east-1', 'east-2', 'west-1']) {
      const child = spawn(
        process.execPath,
        ['bin/wave.mjs', 'worker', '--name', name, '--work-dir', tmp(name), '--lease-ms', '3000'],
        { env: { ...process.env, ...shared, WAVE_HOME: tmp(`${name}-home`) }, stdio: 'ignore' },
      );
      workers.set(name, child);
    }
    const rows = page.getByTestId('fleet-worker');
    await expect(rows).toHaveCount(3);
    for (const [name, child] of workers) {
      const row = page.locator(`[data-testid="fleet-worker"][data-worker="${name}"]`);
      await expect(row).toHaveAttribute('data-state', 'taking');
      await expect(row).toContainText(os.hostname());
      await expect(row).toContainText(String(child.pid));
      await expect(row.getByTestId('fleet-runs')).toHaveText('0 / 2');
    }

    // Drain one: it confirms, and with no story run it is drained.
    const east2 = page.locator('[data-testid="fleet-worker"][data-worker="east-2"]');
    await east2.getByTestId('fleet-drain').click();
    await expect(east2).toHaveAttribute('data-state', 'drained');
    await expect(east2.getByTestId('fleet-state')).toHaveText('drained');
    await expect(east2.getByRole('button', { name: 'Take work again' })).toBeVisible();

    // A worker that leaves is gone from the view, pushed.
    workers.get('west-1')!.kill('SIGTERM');
    await expect(page.locator('[data-testid="fleet-worker"][data-worker="west-1"]')).toHaveCount(0);
    await expect(rows).toHaveCount(2);
  } finally {
    for (const c of workers.values()) if (c.exitCode === null) c.kill('SIGKILL');
    await context.close();
    await server.stop();
    await db.drop();
    await cleanupPrefix(prefix);
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  }
});
