import { describe, expect, it } from 'vitest';
import { scenarioRunArgs } from '../orchestrator/child';
import type { StorySpec } from '../orchestrator/scenario';
import { fleetHarness } from './fleet-harness';

/*
 * The fleet with real processes: a bare repository as the project's remote, a coordinator
 * (`wave run --fleet`) and 3 `wave worker` processes, each with its own WAVE_HOME and work
 * dir, on the real Postgres and Redis, with the scripted agent. One worker is killed -9 while
 * a slow story is in gate-2: the story is reclaimed after the (short) lease and lands once.
 */
describe('wave run --fleet with 3 wave worker processes', () => {
  const h = fleetHarness('fleet');
  const LEASE_MS = 3_000;

  it('lands every story exactly once on the remote, also the one whose worker was killed in gate-2', async () => {
    const stories: StorySpec[] = [
      { id: 'APP-1', wave: 1, domain: 'app', create: ['src/app/one.ts'] },
      { id: 'APP-2', wave: 1, domain: 'app', create: ['src/app/two.ts'] },
      { id: 'APP-3', wave: 1, domain: 'app', create: ['src/app/three.ts'], testAgent: { delay_ms: 8_000 } },
      { id: 'WEB-1', wave: 1, domain: 'web', create: ['src/web/one.ts'] },
      { id: 'WEB-2', wave: 2, domain: 'web', create: ['src/web/two.ts'], dependencies: ['APP-1'] },
    ];
    const { s, bare } = h.project(stories);
    const workers = await h.workers(['w1', 'w2', 'w3'], ['--concurrency', '2', '--lease-ms', String(LEASE_MS)]);
    const coordinator = h.wave(scenarioRunArgs(s, '--fleet', '--json'), 'lead');
    // Kill -9 the worker running APP-3 once it is in gate-2 (develop).
    let killed = '';
    await h.until(async () => {
      const [row] = await h.rows<{ name: string }>(
        `select w.name from story_runs r join story_run_leases l on l.story_run_id = r.id
         join fleet_workers w on w.id = l.worker_id
         where r.story_id = 'APP-3' and r.current_gate = 'gate-2' and r.status = 'running' and l.expires_at > now()`,
      );
      expect(row).toBeDefined();
      killed = row!.name;
    });
    workers.get(killed)!.child.kill('SIGKILL');
    const code = await coordinator.exited;

    for (const [name, w] of workers) if (name !== killed) w.child.kill('SIGTERM');
    await Promise.all([...workers.values()].map((w) => w.exited));
    expect(code, coordinator.stderr()).toBe(0);

    expect(h.landed(bare, stories)).toEqual(stories.map(() => 1));
    // Another worker took APP-3 over after the lease.
    const tookOver = [...workers].filter(([n]) => n !== killed).some(([, w]) => /took \S+:APP-3/.test(w.stderr()));
    expect(tookOver).toBe(true);
  }, 180_000);
});
