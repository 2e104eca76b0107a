import os from 'node:os';
import { afterAll, describe, expect, it } from 'vitest';
import type { AppCore } from '../../src/main/core/app-core';
import { openAppCore } from '../../src/main/core/open-app-core';
import { resolveSettings } from '../../src/main/core/settings/wave-settings';
import type { FleetView } from '../../src/shared/ipc/fleet';
import { runWave, scenarioRunArgs } from '../orchestrator/child';
import type { StorySpec } from '../orchestrator/scenario';
import { fleetHarness } from './fleet-harness';

/*
 * `wave workers` and drain with real worker processes: the read model the CLI prints and the
 * window's `fleet.workers` / `fleet.drain` requests answer (through the router, zod-validated),
 * and a drained worker that finishes its story run and takes no other.
 */
describe('wave workers and drain', () => {
  const h = fleetHarness('fleet-workers');
  let core: AppCore | null = null;
  afterAll(async () => {
    await core?.dispose();
  });
  const call = async <T>(method: 'fleet.workers' | 'fleet.drain', payload: unknown) =>
    core!.router.handle(method, payload, { clientId: 'test', transport: 'electron' }) as Promise<
      { ok: true; value: T } | { ok: false; error: { code: string; message: string } }
    >;
  const workersJson = async () => {
    const r = await runWave(['workers', '--json'], { ...h.env(), WAVE_HOME: h.tmp('cli-home') });
    expect(r.code, r.stderr).toBe(0);
    return r.json.workers as Array<Record<string, unknown>>;
  };

  it('lists each worker with its host, pid, version, runs, heartbeat, CPU, memory and agents; a drained one finishes its run and takes none', async () => {
    // Each agent phase takes 1.5 s: a drained worker is caught in the middle of its run.
    const slow = { delay_ms: 1_500 };
    const stories: StorySpec[] = [
      { id: 'APP-1', wave: 1, domain: 'app', create: ['src/app/one.ts'], testAgent: slow },
      { id: 'APP-2', wave: 1, domain: 'app', create: ['src/app/two.ts'], testAgent: slow },
      { id: 'WEB-1', wave: 1, domain: 'web', create: ['src/web/one.ts'], testAgent: slow },
      { id: 'WEB-2', wave: 1, domain: 'web', create: ['src/web/two.ts'], testAgent: slow },
    ];
    const { s, bare } = h.project(stories);
    const workers = await h.workers(['d1', 'd2'], ['--concurrency', '1', '--lease-ms', '3000']);
    core = await openAppCore({
      version: 'test',
      settings: resolveSettings({ ...h.env(), WAVE_HOME: h.tmp('window-home') }),
      log: () => undefined,
    });

    // Idle: both listed, taking work.
    const idle = await workersJson();
    expect(idle.map((w) => w.name).sort()).toEqual(['d1', 'd2']);
    for (const w of idle) {
      expect(w).toMatchObject({
        host: os.hostname(),
        concurrency: 1,
        story_runs: [],
        agents_alive: 0,
        state: 'taking',
      });
      expect(w.pid).toBe(workers.get(w.name as string)!.child.pid);
      expect(w.version).toMatch(/^\d+\.\d+\.\d+/);
      expect(w.memory_bytes).toBeGreaterThan(10 * 1024 * 1024);
      expect(w.heartbeat_age_ms).toBeLessThan(30_000);
      expect(typeof w.cpu).toBe('number');
    }

    // Both busy with a story: drain d1 through the window's API; it confirms while its run goes on.
    const coordinator = h.wave(scenarioRunArgs(s, '--fleet', '--json'), 'lead');
    let d1Run = '';
    await h.until(async () => {
      const r = await call<FleetView>('fleet.workers', {});
      if (!r.ok) throw new Error(r.error.message);
      const d1 = r.value.workers.find((w) => w.name === 'd1')!;
      expect(d1.storyRuns).toHaveLength(1);
      expect(d1.agentsAlive).toBeGreaterThan(0);
      d1Run = d1.storyRuns[0]!;
    });
    const drained = await call<FleetView>('fleet.drain', { worker: 'd1', draining: true });
    if (!drained.ok) throw new Error(drained.error.message);
    expect(drained.value.workers.find((w) => w.name === 'd1')).toMatchObject({ draining: true, state: 'draining' });
    await workers.get('d1')!.waitForStderr(/draining: finishing my story runs, taking none/);

    // Bad input is refused with a reason.
    const unknown = await call('fleet.drain', { worker: 'nobody', draining: true });
    expect(unknown).toMatchObject({ ok: false, error: { code: 'not_found' } });
    expect(!unknown.ok && unknown.error.message).toContain('No running worker is named "nobody"');
    expect(await call('fleet.drain', { worker: '', draining: true })).toMatchObject({
      ok: false,
      error: { code: 'invalid_request' },
    });

    // Every story lands; d1 took only the run it had when it was drained.
    expect(await coordinator.exited, coordinator.stderr()).toBe(0);
    expect(workers.get('d1')!.countStderr(/took /)).toBe(1);
    expect(workers.get('d1')!.stderr()).toContain(`took ${d1Run}`);
    expect(workers.get('d2')!.countStderr(/took /)).toBe(stories.length - 1);
    expect(h.landed(bare, stories)).toEqual(stories.map(() => 1));
    await h.until(async () => {
      const after = await workersJson();
      expect(after.find((w) => w.name === 'd1')).toMatchObject({ state: 'drained', draining: true, story_runs: [] });
      expect(after.find((w) => w.name === 'd2')).toMatchObject({ state: 'taking', draining: false });
    });

    // resume from the CLI: it takes work again; an unknown name is refused.
    const resumed = await runWave(['workers', 'resume', 'd1', '--json'], { ...h.env(), WAVE_HOME: h.tmp('cli-home') });
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.json.workers.find((w: { name: string }) => w.name === 'd1')).toMatchObject({
      draining: false,
      state: 'taking',
    });
    const bad = await runWave(['workers', 'drain', 'nobody'], { ...h.env(), WAVE_HOME: h.tmp('cli-home') });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('No running worker is named "nobody". List the workers with: wave workers');

    for (const w of workers.values()) w.child.kill('SIGTERM');
    expect(await Promise.all([...workers.values()].map((w) => w.exited))).toEqual([0, 0]);
    // A worker that left is no longer listed.
    expect(await workersJson()).toEqual([]);
  }, 180_000);
});
