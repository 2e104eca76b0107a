import os from 'node:os';
import { describe, expect, it } from 'vitest';
import { processesTagged } from '../fixtures/repos/leftovers';
import { runWave, scenarioRunArgs } from '../orchestrator/child';
import type { StorySpec } from '../orchestrator/scenario';
import { fleetHarness } from './fleet-harness';

/*
 * STOP of a fleet session with real processes: a coordinator (`wave run --fleet`) and 3
 * `wave worker` processes, each running one story whose agent (and its grandchild) hangs in
 * gate-1. `wave stop` reaches every worker at once on the control channel: each stops its
 * agents, verifies them dead and answers with its counts, shown per host.
 */
describe('STOP of a fleet session', () => {
  const h = fleetHarness('fleet-stop');

  it('reaches every worker: 0 agents alive anywhere, each worker’s counts reported per host', async () => {
    const hang = { hang: true, grandchildren: 1 };
    const stories: StorySpec[] = [
      { id: 'APP-1', wave: 1, domain: 'app', create: ['src/app/one.ts'], testAgent: hang },
      { id: 'APP-2', wave: 1, domain: 'app', create: ['src/app/two.ts'], testAgent: hang },
      { id: 'WEB-1', wave: 1, domain: 'web', create: ['src/web/one.ts'], testAgent: hang },
    ];
    const { s } = h.project(stories);
    const names = ['s1', 's2', 's3'];
    const workers = await h.workers(names, ['--concurrency', '1']);
    const coordinator = h.wave(scenarioRunArgs(s, '--fleet', '--json'), 'lead');

    // Each worker holds one story whose agent and grandchild are running.
    await h.until(async () => {
      const held = await h.rows<{ name: string }>(
        `select distinct w.name from story_run_leases l join fleet_workers w on w.id = l.worker_id
         join story_runs r on r.id = l.story_run_id
         where l.expires_at > now() and r.status = 'running' and r.current_gate = 'gate-1'`,
      );
      expect(held.map((r) => r.name).sort()).toEqual(names);
      expect(processesTagged(h.suite.tag).length).toBeGreaterThanOrEqual(6);
    });
    const [session] = await h.rows<{ id: string }>('select id from sessions');

    const stop = await runWave(['stop', session!.id, '--reason', 'end of the day', '--json'], {
      ...h.env(),
      WAVE_HOME: h.tmp('stopper-home'),
    });
    expect(stop.code, stop.stderr).toBe(0);
    // Nothing of any story is alive, by a scan independent of WAVE's own records.
    expect(processesTagged(h.suite.tag)).toEqual([]);
    expect(stop.json.alive_after).toBe(0);
    expect(stop.json.unanswered_hosts).toEqual([]);
    expect(stop.json.hosts).toHaveLength(1);
    const [host] = stop.json.hosts;
    expect(host).toMatchObject({ host: os.hostname(), answered: true, alive_after: 0 });
    expect(host.workers.map((w: { name: string }) => w.name)).toEqual(names);
    for (const w of host.workers) {
      expect(w).toMatchObject({ answered: true, alive_after: 0 });
      expect(w.pid).toBe(workers.get(w.name)!.child.pid);
      expect(w.stopped_agents).toBeGreaterThanOrEqual(1);
    }
    expect(host.stopped_agents).toBe(
      host.workers.reduce((n: number, w: { stopped_agents: number }) => n + w.stopped_agents, 0),
    );
    expect(stop.json.stopped_agents).toBeGreaterThanOrEqual(host.stopped_agents);
    // Each worker heard it on the control channel, not at a heartbeat.
    for (const w of workers.values())
      expect(w.stderr()).toMatch(/stop of session \S+ by cli-lead heard on the control channel/);

    // The session ended stopped, every story parked there, and the coordinator is done.
    const [row] = await h.rows<{ status: string }>('select status from sessions where id = $1', [session!.id]);
    expect(row!.status).toBe('stopped');
    const runs = await h.rows<{ status: string }>('select status from story_runs where session_id = $1', [session!.id]);
    expect(runs.map((r) => r.status)).toEqual(['stopped', 'stopped', 'stopped']);
    await coordinator.exited;

    for (const w of workers.values()) w.child.kill('SIGTERM');
    expect(await Promise.all([...workers.values()].map((w) => w.exited))).toEqual([0, 0, 0]);
  }, 180_000);
});
