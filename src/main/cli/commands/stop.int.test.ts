import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { processesTagged } from '../../../../test/fixtures/repos/leftovers';
import { TEST_REDIS_URL } from '../../../../test/helpers/env';
import { createTestDatabase, type TestDatabase } from '../../../../test/helpers/pg';
import { cleanupPrefix, uniquePrefix } from '../../../../test/helpers/redis';
import { runWave, startWave, waveProcessSuite } from '../../../../test/orchestrator/child';

/*
 * `wave stop` from a second process, on a shared store (Postgres + Redis): the stop reaches the
 * process running the session on the control channel at once, and that process ends every agent
 * (each ignoring SIGTERM, each with grandchildren) within its grace, then answers on the channel.
 */

const { tag, scenario } = waveProcessSuite();
const AGENTS = 4;
const GRANDCHILDREN = 2;

describe('wave stop through the control channel', () => {
  let db: TestDatabase;
  const prefix = uniquePrefix('stop');
  const home = mkdtempSync(path.join(os.tmpdir(), 'wave-stop-'));
  beforeAll(async () => {
    db = await createTestDatabase('stop');
  });
  afterAll(async () => {
    await db?.drop();
    await cleanupPrefix(prefix);
    rmSync(home, { recursive: true, force: true });
  });

  it('ends a session whose agents ignore SIGTERM and leave grandchildren: every process gone, the session stopped', async () => {
    const s = scenario({
      stories: Array.from({ length: AGENTS }, (_, i) => ({
        id: `K-${i + 1}`,
        wave: 1,
        domain: 'app' as const,
        create: [`src/app/k${i + 1}.ts`],
        testAgent: { hang: ['develop'], ignore_sigterm: true, grandchildren: GRANDCHILDREN },
      })),
    });
    const env = {
      WAVE_HOME: home,
      DATABASE_URL: db.url,
      REDIS_URL: TEST_REDIS_URL,
      WAVE_REDIS_PREFIX: prefix,
      WAVE_STOP_GRACE_MS: '500',
      WAVE_USER: 'cli-lead',
    };
    const run = startWave(
      [
        'run',
        ...['--project', s.repo.path, '--stories', s.storiesDir, '--prd', s.prdFile],
        ...['--approve-as', 'ci-bot', '--agent', 'command', '--concurrency', String(AGENTS), '--json'],
      ],
      { ...env, WAVE_DEBUG: '1' },
    );
    await run.waitForStderr(/Session (ses-[\w-]+) started/, 90_000);
    const sessionId = /Session (ses-[\w-]+) started/.exec(run.stderr())![1]!;
    // Every agent in develop, with its grandchildren.
    await expect
      .poll(() => processesTagged(tag).length, { timeout: 90_000, interval: 200 })
      .toBeGreaterThanOrEqual(AGENTS * (1 + GRANDCHILDREN));

    const stop = await runWave(['stop', sessionId, '--reason', 'end of the day', '--json'], env);
    expect(stop.code, stop.stderr).toBe(0);
    expect(stop.json).toMatchObject({ session: sessionId, status: 'stopped', handled_by: 'owner', alive_after: 0 });
    expect(stop.json.stopped_agents).toBe(AGENTS);
    // Nothing of the session is left when `wave stop` returns.
    expect(processesTagged(tag)).toEqual([]);
    // The owner heard it on the channel, not on its next poll of the store.
    expect(run.stderr()).toMatch(/stop request from .+ heard on the control channel/);
    expect(await run.exited).toBe(1);
    expect(JSON.parse(run.stdout())).toMatchObject({ session: sessionId, status: 'stopped' });
  }, 240_000);
});
