import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fleetTestEnv } from './support/fleet';
import { expect, test } from './support/fixtures';
import { createSessionProject, prdMarkdown, storyJson, type DropFile } from './support/project';
import { importAndApprovePrd, ready, setProject } from './support/steps';
import { startWaveServer } from './support/wave-server';

/*
 * "Run on the fleet" in the window: on a shared Postgres and Redis, with 2 `wave worker`
 * processes and a bare repository as project.remote, the lead checks the choice and presses
 * Start; the board shows the stories move to merged (pushed from the workers' events), and
 * each lands once on the remote. On the embedded store the choice is disabled with its reason.
 */
const STORIES = [
  { id: 'FS-1', title: 'Add two numbers' },
  { id: 'FS-2', title: 'Divide two numbers' },
  { id: 'FS-3', title: 'Raise to a power' },
];

function files(): DropFile[] {
  return [
    {
      name: 'prd-fleet.md',
      text: prdMarkdown({ id: 'PRD-FS', title: 'On the fleet', stories: STORIES.map((s) => s.id) }),
    },
    ...STORIES.map((s) => ({ name: `${s.id.toLowerCase()}.json`, text: storyJson(s) })),
  ];
}

test('Run on the fleet: 2 workers take the stories, the board shows them merged, each lands once on the remote', async ({
  browser,
  transport,
}, testInfo) => {
  test.skip(transport === 'electron', 'the start path is the same in both windows; the web one runs it');
  test.setTimeout(240_000);
  const fleet = await fleetTestEnv('fleet-start');
  const bare = path.join(fleet.tmp('remote'), 'mathlib.git');
  const project = createSessionProject({ project: { remote: bare } });
  execFileSync('git', ['clone', '--quiet', '--bare', project.dir, bare]);
  let server: Awaited<ReturnType<typeof startWaveServer>> | null = null;
  const context = await browser.newContext();
  try {
    server = await startWaveServer({ env: fleet.shared });
    const page = await context.newPage();
    await page.goto(server.url);
    await ready(page);
    await setProject(page, project.dir, { preset: 'scripted', budget: '5' });
    await importAndApprovePrd(page, files());

    // No worker yet: the choice is there, with a warning.
    const choice = page.getByTestId('start-fleet');
    await expect(choice).toBeEnabled();
    await expect(page.getByTestId('start-fleet-workers')).toHaveAttribute('data-taking', '0');
    await expect(page.getByTestId('start-fleet-workers')).toContainText('No worker is taking work');

    for (const name of ['south-1', 'south-2']) fleet.worker(name, ['--concurrency', '2']);
    // The count follows the workers as they register (fleet.changed, pushed).
    await expect(page.getByTestId('start-fleet-workers')).toHaveText(/^2 workers taking work/, { timeout: 60_000 });

    await choice.check();
    await expect(page.getByTestId('start-button')).toContainText('Start session on the fleet');
    await page.getByTestId('start-button').click();

    await expect(page.getByRole('main', { name: 'Waves' })).toBeVisible();
    const rows = page.getByTestId('story-row');
    await expect(rows).toHaveCount(3);
    for (const s of STORIES)
      await expect(page.locator(`[data-testid="story-row"][data-story="${s.id}"]`)).toHaveAttribute(
        'data-status',
        'merged',
        { timeout: 120_000 },
      );
    await expect(page.getByTestId('session-state')).toContainText('completed', { timeout: 30_000 });
    // The session was coordinated by this window's process: never offered for recovery as interrupted.
    await expect(page.getByTestId('recovery-banner')).toHaveCount(0);
    await page.screenshot({ path: testInfo.outputPath('fleet-run.png') });

    // Each story landed once on the remote (merge commit subjects name the story).
    const subjects = execFileSync('git', ['log', '--format=%s', 'main'], { cwd: bare, encoding: 'utf8' }).split('\n');
    expect(STORIES.map((s) => subjects.filter((l) => l.includes(`story ${s.id})`)).length)).toEqual([1, 1, 1]);
  } finally {
    await context.close();
    await server?.stop();
    await fleet.cleanup();
    project.cleanup();
  }
});

test('on the embedded store "Run on the fleet" is disabled and says what to set', async ({ fresh, transport }) => {
  test.skip(transport === 'electron', 'the choice is the same in both windows; the web one runs it');
  const page = fresh.page;
  const project = createSessionProject();
  try {
    await ready(page);
    await setProject(page, project.dir, { preset: 'scripted', budget: '5' });
    await importAndApprovePrd(page, files());
    await expect(page.getByTestId('start-button')).toBeEnabled();
    await expect(page.getByTestId('start-fleet')).toBeDisabled();
    await expect(page.getByTestId('start-fleet')).not.toBeChecked();
    await expect(page.getByTestId('start-fleet-reason')).toContainText(
      'set DATABASE_URL (a shared Postgres) and REDIS_URL (a shared Redis)',
    );
    await expect(page.getByTestId('start-button')).not.toContainText('on the fleet');
  } finally {
    project.cleanup();
  }
});
