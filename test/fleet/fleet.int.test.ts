import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWave, runWave, waveProcessSuite, scenarioRunArgs, type WaveChild } from '../orchestrator/child';
import type { StorySpec } from '../orchestrator/scenario';
import { createTestDatabase, type TestDatabase } from '../helpers/pg';
import { cleanupPrefix, uniquePrefix } from '../helpers/redis';
import { TEST_REDIS_URL } from '../helpers/env';

/*
 * The fleet with real processes: a bare repository as the project's remote, a coordinator
 * (`wave run --fleet`) and 3 `wave worker` processes, each with its own WAVE_HOME and work
 * dir, on the real Postgres and Redis, with the scripted agent. One worker is killed -9 while
 * a slow story is in gate-2: the story is reclaimed after the (short) lease and lands once.
 */
describe('wave run --fleet with 3 wave worker processes', () => {
  const suite = waveProcessSuite();
  const dirs: string[] = [];
  let db: TestDatabase;
  const prefix = uniquePrefix('fleet');
  const LEASE_MS = 3_000;

  beforeAll(async () => {
    db = await createTestDatabase('fleet');
  });
  afterAll(async () => {
    await db?.drop();
    await cleanupPrefix(prefix);
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  function tmp(label: string): string {
    const d = mkdtempSync(path.join(os.tmpdir(), `wave-fleet-${label}-`));
    dirs.push(d);
    return d;
  }

  it('lands every story exactly once on the remote, also the one whose worker was killed in gate-2', async () => {
    const bare = path.join(tmp('remote'), 'app.git');
    const stories: StorySpec[] = [
      { id: 'APP-1', wave: 1, domain: 'app', create: ['src/app/one.ts'] },
      { id: 'APP-2', wave: 1, domain: 'app', create: ['src/app/two.ts'] },
      { id: 'APP-3', wave: 1, domain: 'app', create: ['src/app/three.ts'], testAgent: { delay_ms: 8_000 } },
      { id: 'WEB-1', wave: 1, domain: 'web', create: ['src/web/one.ts'] },
      { id: 'WEB-2', wave: 2, domain: 'web', create: ['src/web/two.ts'], dependencies: ['APP-1'] },
    ];
    const s = suite.scenario({ stories, config: { project: { remote: bare } } });
    execFileSync('git', ['clone', '--quiet', '--bare', s.repo.path, bare]);

    const env = {
      DATABASE_URL: db.url,
      REDIS_URL: TEST_REDIS_URL,
      WAVE_REDIS_PREFIX: prefix,
      WAVE_TEST_TAG: suite.tag,
      WAVE_USER: 'cli-lead',
    };
    const workers = new Map<string, WaveChild>();
    for (const name of ['w1', 'w2', 'w3']) {
      const w = startWave(
        ['worker', '--name', name, '--concurrency', '2', '--work-dir', tmp(name), '--lease-ms', String(LEASE_MS)],
        { ...env, WAVE_HOME: tmp(`${name}-home`) },
      );
      workers.set(name, w);
    }
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    let killed: string | null = null;
    let result!: Awaited<ReturnType<typeof runWave>>;
    try {
      // The workers have registered (they apply the migrations on the way).
      for (let i = 0; i < 600; i++) {
        const n = await client
          .query('select count(*)::int as n from fleet_workers')
          .then((r) => (r.rows[0] as { n: number }).n)
          .catch(() => 0);
        if (n === 3) break;
        await sleep(100);
      }
      const coordinator = runWave(scenarioRunArgs(s, '--fleet', '--json'), { ...env, WAVE_HOME: tmp('lead-home') });
      // Kill -9 the worker running APP-3 once it is in gate-2 (develop).
      for (let i = 0; i < 600 && !killed; i++) {
        const { rows } = await client
          .query<{ name: string }>(
            `select w.name from story_runs r join story_run_leases l on l.story_run_id = r.id
             join fleet_workers w on w.id = l.worker_id
             where r.story_id = 'APP-3' and r.current_gate = 'gate-2' and r.status = 'running' and l.expires_at > now()`,
          )
          .catch(() => ({ rows: [] as { name: string }[] }));
        const name = rows[0]?.name;
        if (name) {
          workers.get(name)!.child.kill('SIGKILL');
          killed = name;
        } else await sleep(100);
      }
      result = await coordinator;
    } finally {
      await client.end();
    }
    expect(killed).not.toBeNull();

    for (const [name, w] of workers) if (name !== killed) w.child.kill('SIGTERM');
    await Promise.all([...workers.values()].map((w) => w.exited));
    expect(result.code, result.stderr).toBe(0);

    const subjects = execFileSync('git', ['log', '--format=%s', 'main'], { cwd: bare, encoding: 'utf8' });
    for (const st of stories) {
      const landed = subjects.split('\n').filter((l) => l.includes(`story ${st.id})`));
      expect(landed, `${st.id} in\n${subjects}`).toHaveLength(1);
    }
    // Another worker took APP-3 over after the lease.
    const tookOver = [...workers].filter(([n]) => n !== killed).some(([, w]) => /took \S+:APP-3/.test(w.stderr()));
    expect(tookOver).toBe(true);
  }, 180_000);
});
