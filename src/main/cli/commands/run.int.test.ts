import { describe, expect, it } from 'vitest';
import { processesTagged } from '../../../../test/fixtures/repos/leftovers';
import {
  embeddedLeadEnv,
  runWave,
  scenarioRunArgs,
  startWave,
  waveProcessSuite,
} from '../../../../test/orchestrator/child';

/*
 * `wave run`, `wave status`, `wave stop` as separate processes on the embedded store: the
 * running session holds the database, so status and stop reach it through the data dir.
 */

const { tag, home, scenario } = waveProcessSuite();

describe('wave run / status / stop', () => {
  it('refuses to run a PRD nobody approved, saying how to approve it', async () => {
    const s = scenario({ stories: [{ id: 'N-1', wave: 1, domain: 'app', create: ['src/app/n1.ts'] }] });
    const r = await runWave(
      ['run', '--project', s.repo.path, '--stories', s.storiesDir, '--prd', s.prdFile, '--json'],
      { WAVE_HOME: await home(), DATABASE_URL: '', REDIS_URL: '' },
    );
    expect(r.code).toBe(1);
    expect(r.json.error.code).toBe('precondition_failed');
    expect(r.json.error.message).toContain(`${s.prdId} has not been approved yet`);
    expect(r.json.error.message).toContain('wave prd approve');
  }, 90_000);

  it('refuses --agent P while the PRD is approved for another preset, naming both; --approve-as approves for P and runs it', async () => {
    const s = scenario({ stories: [{ id: 'P-1', wave: 1, domain: 'app', create: ['src/app/p1.ts'] }] });
    const env = { WAVE_HOME: await home(), DATABASE_URL: '', REDIS_URL: '', WAVE_TEST_TAG: tag };
    const imported = await runWave(['import', s.storiesDir, s.prdFile, '--project', s.repo.path, '--json'], env);
    expect(imported.code, imported.stderr).toBe(0);
    // Approved for wave.config.json's preset (command).
    const approved = await runWave(['prd', 'approve', s.prdId, '--json'], env);
    expect(approved.code, approved.stderr).toBe(0);
    const refused = await runWave(['run', '--project', s.repo.path, '--agent', 'scripted', '--json'], env);
    expect(refused.code).toBe(1);
    expect(refused.json.error.code).toBe('precondition_failed');
    expect(refused.json.error.message).toContain('for agent preset command, not for scripted');
    expect(refused.json.error.message).toContain(`wave prd approve ${s.prdId} --agent scripted`);

    const run = await runWave(
      ['run', '--project', s.repo.path, '--agent', 'scripted', '--approve-as', 'ci-bot', '--json'],
      env,
    );
    expect(run.stderr).toMatch(/Approved PRD .* as ci-bot for agent preset scripted/);
    expect(run.code, run.stderr).toBe(0);
    expect(run.json.stories).toMatchObject([{ id: 'P-1', status: 'merged' }]);
    expect(processesTagged(tag)).toEqual([]);
  }, 180_000);

  it('runs, shows live status, and stops from another process through the data dir with no agent left', async () => {
    const s = scenario({
      stories: [
        // Hangs in develop (and ignores SIGTERM) until the stop: there is always an agent to stop.
        {
          id: 'C-1',
          wave: 1,
          domain: 'app',
          create: ['src/app/c1.ts'],
          testAgent: { hang: ['develop'], ignore_sigterm: true, grandchildren: 1 },
        },
        { id: 'C-2', wave: 1, domain: 'app', create: ['src/app/c2.ts'] },
        { id: 'C-3', wave: 2, domain: 'web', create: ['src/web/c3.ts'] },
      ],
    });
    const env = await embeddedLeadEnv({ tag, home });
    const run = startWave(
      scenarioRunArgs(s, '--agent', 'command', '--concurrency', '2', '--budget', '3', '--json'),
      env,
    );
    await run.waitForStderr(/Approved PRD .* as ci-bot/, 90_000);
    await run.waitForStderr(/Session (ses-[\w-]+) started/, 90_000);
    const sessionId = /Session (ses-[\w-]+) started/.exec(run.stderr())![1]!;
    await run.waitForStderr(/C-1 gate-1 plan passed/, 90_000);

    // The database is held by `wave run`: status comes from the view it keeps in the data dir.
    const status = await runWave(['status', sessionId, '--json'], env);
    expect(status.code, status.stderr).toBe(0);
    expect(status.json).toMatchObject({ session: sessionId, status: 'running', live: true, budget_usd: 3 });
    expect(status.json.stories.map((x: { id: string }) => x.id)).toEqual(['C-1', 'C-2', 'C-3']);
    expect(processesTagged(tag).length).toBeGreaterThanOrEqual(2);

    const stop = await runWave(['stop', '--reason', 'end of the day', '--json'], env);
    expect(stop.code, stop.stderr).toBe(0);
    expect(stop.json).toMatchObject({ session: sessionId, alive_after: 0 });
    expect(stop.json.stopped_agents).toBeGreaterThanOrEqual(1);
    expect(await run.exited).toBe(1);
    const outcome = JSON.parse(run.stdout());
    expect(outcome).toMatchObject({ session: sessionId, status: 'stopped' });
    expect(outcome.stories.find((x: { id: string }) => x.id === 'C-1')).toMatchObject({
      status: 'stopped',
      gate: 'gate-2',
    });
    expect(processesTagged(tag)).toEqual([]);

    // With the database free again, status reads it.
    const list = await runWave(['status', '--json'], env);
    expect(list.json.sessions.find((x: { session: string }) => x.session === sessionId)).toMatchObject({
      status: 'stopped',
      reason: expect.stringContaining('end of the day'),
    });
  }, 180_000);
});
