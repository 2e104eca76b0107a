import { readFileSync, readlinkSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { processesTagged } from '../fixtures/repos/leftovers';
import { scenarioRunArgs } from '../orchestrator/child';
import type { StorySpec } from '../orchestrator/scenario';
import { fleetHarness } from './fleet-harness';

/*
 * A worker frozen (SIGSTOP) past its lease while its agent runs, then thawed (SIGCONT), with
 * real processes: another worker has taken the story over; the thawed one finds its lease gone,
 * kills its stale agent group, lands nothing, and takes new work.
 */
describe('a worker SIGSTOPped past its lease, then SIGCONT', () => {
  const h = fleetHarness('fleet-sigstop');
  const LEASE_MS = 3_000;

  /** Tagged processes (agents and their children) working in `dir`. */
  const agentsIn = (dir: string, tag: string) =>
    processesTagged(tag).filter((pid) => {
      try {
        return readlinkSync(`/proc/${pid}/cwd`).startsWith(dir);
      } catch {
        return false;
      }
    });

  it('is fenced: kills its stale agents, lands nothing, takes new work; the story lands once', async () => {
    const marker = path.join(h.tmp('marker'), 'hung');
    const stories: StorySpec[] = [
      // Its first develop run anywhere hangs (with a grandchild); the run that takes it over goes on.
      {
        id: 'APP-1',
        wave: 1,
        domain: 'app',
        create: ['src/app/one.ts'],
        testAgent: { hang_once: { file: marker, phases: ['develop'] }, grandchildren: 1 },
      },
      { id: 'WEB-1', wave: 1, domain: 'web', create: ['src/web/one.ts'] },
      // Work for after the thaw.
      { id: 'APP-2', wave: 2, domain: 'app', create: ['src/app/two.ts'], dependencies: ['APP-1'] },
      { id: 'WEB-2', wave: 2, domain: 'web', create: ['src/web/two.ts'], dependencies: ['APP-1'] },
      { id: 'APP-3', wave: 2, domain: 'app', create: ['src/app/three.ts'], dependencies: ['APP-1'] },
    ];
    const { s, bare } = h.project(stories);
    const workers = await h.workers(['z1', 'z2'], ['--concurrency', '1', '--lease-ms', String(LEASE_MS)]);
    const coordinator = h.wave(scenarioRunArgs(s, '--fleet', '--json'), 'lead');

    // The worker whose APP-1 agent hangs in gate-2.
    let victim = '';
    let token = 0;
    await h.until(async () => {
      const [row] = await h.rows<{ name: string; token: string }>(
        `select w.name, l.token from story_runs r join story_run_leases l on l.story_run_id = r.id
         join fleet_workers w on w.id = l.worker_id
         where r.story_id = 'APP-1' and r.current_gate = 'gate-2' and l.expires_at > now()`,
      );
      expect(row).toBeDefined();
      expect(readFileSync(marker, 'utf8')).toMatch(/^\d+\n$/);
      victim = row!.name;
      token = Number(row!.token);
    });
    const frozen = workers.get(victim)!;
    const stale = agentsIn(frozen.workDir, h.suite.tag);
    expect(stale.length).toBeGreaterThanOrEqual(2); // the agent and its grandchild
    frozen.child.kill('SIGSTOP');

    // Past its lease, the other worker takes APP-1 over (a higher token).
    await h.until(async () => {
      const [row] = await h.rows<{ name: string; token: string }>(
        `select w.name, l.token from story_runs r join story_run_leases l on l.story_run_id = r.id
         join fleet_workers w on w.id = l.worker_id where r.story_id = 'APP-1'`,
      );
      expect(row?.name).not.toBe(victim);
      expect(Number(row?.token)).toBeGreaterThan(token);
    });
    // Its agents ran on while their worker was frozen.
    expect(agentsIn(frozen.workDir, h.suite.tag)).toEqual(expect.arrayContaining(stale));
    frozen.child.kill('SIGCONT');

    // Thawed: it finds the lease gone and stops the stale agent group.
    await frozen.waitForStderr(/the lease of \S+:APP-1 is gone: stopped 1 agent group|lost the lease of \S+:APP-1/);
    await h.until(async () => expect(stale.filter((pid) => processesTagged(h.suite.tag).includes(pid))).toEqual([]));

    expect(await coordinator.exited, coordinator.stderr()).toBe(0);
    // Every story landed exactly once; the thawed worker landed nothing of APP-1 and took new work.
    expect(h.landed(bare, stories)).toEqual(stories.map(() => 1));
    const log = frozen.stderr();
    expect(log).not.toMatch(/finished \S+:APP-1/);
    const thawedAt = log.search(/the lease of \S+:APP-1 is gone|lost the lease of \S+:APP-1/);
    expect(log.slice(thawedAt)).toMatch(/took \S+:(APP-2|WEB-2|APP-3)/);
    expect(agentsIn(frozen.workDir, h.suite.tag)).toEqual([]);

    for (const w of workers.values()) w.child.kill('SIGTERM');
    expect(await Promise.all([...workers.values()].map((w) => w.exited))).toEqual([0, 0]);
  }, 180_000);
});
