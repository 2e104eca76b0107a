import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { fleetTestEnv } from './support/fleet';
import { expect, test } from './support/fixtures';
import { createSessionProject, prdMarkdown, storyJson } from './support/project';
import { openView, ready } from './support/steps';
import { startWaveServer } from './support/wave-server';

/*
 * The fleet in a window (`wave serve`) on a shared store: 3 `wave worker` processes started
 * after the window opened appear live in the Fleet view (pushed, no reload), with host, pid and
 * state; Drain takes one out (it confirms), and a worker that leaves disappears. STOP of a
 * session running on 2 workers shows what each host stopped.
 */
const WORKER_ARGS = ['--concurrency', '1', '--lease-ms', '3000'];

test('the fleet view shows 3 workers live; Drain takes one out and a worker that leaves disappears', async ({
  browser,
  transport,
}, testInfo) => {
  test.skip(transport === 'electron', 'the view and its pushes are the same in both windows; the web one runs it');
  test.setTimeout(180_000);
  const fleet = await fleetTestEnv('fleet');
  const server = await startWaveServer({ env: fleet.shared });
  const context = await browser.newContext();
  const workers = new Map<string, ChildProcess>();
  try {
    const page = await context.newPage();
    await page.goto(server.url);
    await ready(page);
    await openView(page, 'Fleet');
    await expect(page.getByTestId('fleet-empty')).toBeVisible();

    for (const name of ['east-1', 'east-2', 'west-1']) workers.set(name, fleet.worker(name, WORKER_ARGS));
    const rows = page.getByTestId('fleet-worker');
    await expect(rows).toHaveCount(3);
    for (const [name, child] of workers) {
      const row = page.locator(`[data-testid="fleet-worker"][data-worker="${name}"]`);
      await expect(row).toHaveAttribute('data-state', 'taking');
      await expect(row).toContainText(os.hostname());
      await expect(row).toContainText(String(child.pid));
      await expect(row.getByTestId('fleet-runs')).toHaveText('0 / 1');
    }

    // Drain one: it confirms, and with no story run it is drained.
    const east2 = page.locator('[data-testid="fleet-worker"][data-worker="east-2"]');
    await east2.getByTestId('fleet-drain').click();
    await expect(east2).toHaveAttribute('data-state', 'drained');
    await expect(east2.getByTestId('fleet-state')).toHaveText('drained');
    await expect(east2.getByRole('button', { name: 'Take work again' })).toBeVisible();
    await page.screenshot({ path: testInfo.outputPath('fleet-view.png') });

    // A worker that leaves is gone from the view, pushed.
    workers.get('west-1')!.kill('SIGTERM');
    await expect(page.locator('[data-testid="fleet-worker"][data-worker="west-1"]')).toHaveCount(0);
    await expect(rows).toHaveCount(2);
  } finally {
    await context.close();
    await server.stop();
    await fleet.cleanup();
  }
});

test('STOP of a session running on 2 workers stops every agent and shows the count per host', async ({
  browser,
  transport,
}) => {
  test.skip(transport === 'electron', 'the stop path is the same in both windows; the web one runs it');
  test.setTimeout(180_000);
  const fleet = await fleetTestEnv('fleet-stop', { WAVE_STOP_GRACE_MS: '500' });
  const { shared, tmp } = fleet;
  const bare = path.join(tmp('remote'), 'mathlib.git');
  const project = createSessionProject({ project: { remote: bare } });
  execFileSync('git', ['clone', '--quiet', '--bare', project.dir, bare]);
  const backlog = tmp('backlog');
  mkdirSync(backlog, { recursive: true });
  writeFileSync(
    path.join(backlog, 'prd.md'),
    prdMarkdown({ id: 'PRD-FLEET', title: 'On the fleet', stories: ['FL-1', 'FL-2'] }),
  );
  const hang = { hang: ['develop'], ignore_sigterm: true, grandchildren: 1 };
  writeFileSync(path.join(backlog, 'fl-1.json'), storyJson({ id: 'FL-1', title: 'Add two numbers', testAgent: hang }));
  writeFileSync(
    path.join(backlog, 'fl-2.json'),
    storyJson({ id: 'FL-2', title: 'Divide two numbers', testAgent: hang }),
  );
  const client = new pg.Client({ connectionString: fleet.databaseUrl });
  let lead: ChildProcess | null = null;
  let server: Awaited<ReturnType<typeof startWaveServer>> | null = null;
  const context = await browser.newContext();
  try {
    fleet.worker('north-1', WORKER_ARGS);
    fleet.worker('north-2', WORKER_ARGS);
    lead = spawn(
      process.execPath,
      [
        'bin/wave.mjs',
        'run',
        ...['--project', project.dir, '--stories', backlog, '--prd', path.join(backlog, 'prd.md')],
        ...['--approve-as', 'Ana Lead', '--agent', 'scripted', '--fleet', '--json'],
      ],
      { env: { ...process.env, ...shared, WAVE_HOME: tmp('lead-home') }, stdio: 'ignore' },
    );
    // Both stories hang in develop, one on each worker.
    await client.connect();
    await expect
      .poll(
        async () =>
          client
            .query(
              `select count(distinct l.worker_id)::int as n from story_runs r join story_run_leases l on l.story_run_id = r.id
               where r.status = 'running' and r.current_gate = 'gate-2' and l.expires_at > now()`,
            )
            .then((r) => (r.rows[0] as { n: number }).n)
            .catch(() => 0),
        { timeout: 90_000 },
      )
      .toBe(2);

    server = await startWaveServer({ env: shared });
    const page = await context.newPage();
    await page.goto(server.url);
    await ready(page);
    await openView(page, 'Waves');
    await expect(page.getByTestId('stop-button')).toBeEnabled();
    await page.getByTestId('stop-button').click();
    await page.getByTestId('stop-reason-input').fill('stopped from the window');
    await page.keyboard.press('Enter');
    const status = page.getByTestId('stop-status');
    await expect(status).toContainText('2 agents stopped, 0 alive', { timeout: 30_000 });
    await expect(status).toContainText(`${os.hostname()}: 2 agents stopped, 0 alive`);
    await expect(page.getByTestId('session-state')).toContainText('stopped');
  } finally {
    if (lead?.exitCode === null) lead.kill('SIGKILL');
    await client.end().catch(() => undefined);
    await context.close();
    await server?.stop();
    await fleet.cleanup();
    project.cleanup();
  }
});
