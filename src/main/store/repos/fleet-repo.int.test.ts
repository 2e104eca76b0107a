import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { openPostgresTestStore, seedSession, type TestStore } from '../../../../test/helpers/pglite';
import { LeaseLostError, repositories, type StoreRepos } from './index';

describe('story run leases and fencing (Postgres)', () => {
  let t: TestStore;
  let repos: StoreRepos;

  beforeAll(async () => {
    t = await openPostgresTestStore('fleet_leases');
    repos = repositories(t.store);
  });
  afterAll(async () => {
    await t?.close();
  });

  async function storyRun(): Promise<string> {
    const { runIds } = await seedSession(t.store.db, { stories: 1 });
    return runIds[0]!;
  }

  /** A fenced write the test can see: the story run's reason. */
  async function writeReason(id: string, token: number, reason: string): Promise<void> {
    await repos.fenced(id, token, async (tx) => {
      await tx.audit.append({ actor: 'test', action: reason, subjectType: 'story_run', subjectId: id, detail: {} });
    });
  }

  /** Waits until the store says the story run's lease is over (no fixed wait: a busy machine is slow). */
  async function expired(id: string): Promise<void> {
    await vi.waitFor(async () => expect(await repos.storyRunLeases.live([id])).toEqual(new Set()), {
      timeout: 30_000,
      interval: 50,
    });
  }

  async function reasons(id: string): Promise<string[]> {
    const all = ['stale write', 'fresh write', 'in time', 'too late', 'never leased', 'slow write'];
    return (await repos.audit.aboutSubject('story_run', id, all)).map((e) => e.action);
  }

  it('gives a live lease to one of two claimants; the other gets it with a higher token once it expires', async () => {
    const id = await storyRun();
    const [a, b] = await Promise.all([
      repos.storyRunLeases.acquire(id, 'worker-a', 1_000),
      repos.storyRunLeases.acquire(id, 'worker-b', 1_000),
    ]);
    const winner = a ?? b;
    expect([a, b].filter(Boolean)).toHaveLength(1);
    expect(winner!.token).toBe(1);
    const loser = a ? 'worker-b' : 'worker-a';
    expect(await repos.storyRunLeases.acquire(id, loser, 1_000)).toBeNull();

    await expired(id);
    const taken = await repos.storyRunLeases.acquire(id, loser, 5_000);
    expect(taken).toMatchObject({ workerId: loser, token: 2 });
    // The first holder finds itself fenced: no renewal, no write.
    expect(await repos.storyRunLeases.renew(winner!, 5_000)).toBe(false);
    await expect(writeReason(id, winner!.token, 'stale write')).rejects.toBeInstanceOf(LeaseLostError);
    await writeReason(id, taken!.token, 'fresh write');
    expect(await reasons(id)).toEqual(['fresh write']);
  });

  it('renews only an unexpired lease with its token, and a released lease is taken at once with the next token', async () => {
    const id = await storyRun();
    const held = (await repos.storyRunLeases.acquire(id, 'worker-a', 10_000))!;
    expect(await repos.storyRunLeases.renew(held, 10_000)).toBe(true);
    expect(await repos.storyRunLeases.renew({ ...held, token: held.token + 1 }, 10_000)).toBe(false);
    expect(await repos.storyRunLeases.live([id])).toEqual(new Set([id]));

    await repos.storyRunLeases.release(held);
    expect(await repos.storyRunLeases.live([id])).toEqual(new Set());
    const next = await repos.storyRunLeases.acquire(id, 'worker-b', 5_000);
    expect(next?.token).toBe(held.token + 1);
    // Releasing with the old token does not free the new holder's lease.
    await repos.storyRunLeases.release(held);
    expect(await repos.storyRunLeases.live([id])).toEqual(new Set([id]));
  });

  it('refuses a write once the lease expired, even when nobody took it over', async () => {
    const id = await storyRun();
    const held = (await repos.storyRunLeases.acquire(id, 'worker-a', 1_000))!;
    await writeReason(id, held.token, 'in time');
    await expired(id);
    await expect(writeReason(id, held.token, 'too late')).rejects.toThrow(/expired/);
    await expect(writeReason(id, held.token, 'never leased')).rejects.toBeInstanceOf(LeaseLostError);
    expect(await reasons(id)).toEqual(['in time']);
  });

  it('a claimant waits for a fenced write in flight, then takes the lease: the write landed before it', async () => {
    const id = await storyRun();
    const held = (await repos.storyRunLeases.acquire(id, 'worker-a', 300))!;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const write = repos.fenced(id, held.token, async (tx) => {
      await gate;
      await tx.audit.append({
        actor: 'test',
        action: 'slow write',
        subjectType: 'story_run',
        subjectId: id,
        detail: {},
      });
    });
    await sleep(400); // the lease expires while the write holds the row
    const claim = repos.storyRunLeases.acquire(id, 'worker-b', 5_000);
    let claimed = false;
    void claim.then(() => (claimed = true));
    await sleep(100);
    expect(claimed).toBe(false);
    release();
    await write;
    expect((await claim)?.token).toBe(held.token + 1);
    expect(await reasons(id)).toEqual(['slow write']);
  });

  it('registers workers, records heartbeats with stats, and drains by name', async () => {
    await repos.fleetWorkers.register({
      id: 'w-1',
      name: 'alpha',
      host: 'h1',
      pid: 11,
      version: '0.1.0',
      concurrency: 2,
      workDir: '/tmp/a',
    });
    expect(
      await repos.fleetWorkers.heartbeat('w-1', { cpu: 0.5, memoryBytes: 10, agentsAlive: 1, storyRuns: ['x'] }),
    ).toEqual({ draining: false });
    expect(await repos.fleetWorkers.setDraining('alpha', true)).toBe(1);
    expect(
      await repos.fleetWorkers.heartbeat('w-1', { cpu: 0, memoryBytes: 10, agentsAlive: 0, storyRuns: [] }),
    ).toEqual({ draining: true });
    const [row] = await repos.fleetWorkers.running();
    expect(row).toMatchObject({ name: 'alpha', draining: true, stats: { agentsAlive: 0 } });
    expect(row!.heartbeatAgeMs).toBeLessThan(5_000);
    await repos.fleetWorkers.markStopped('w-1');
    expect(await repos.fleetWorkers.running()).toEqual([]);
  });
});
