import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPostgresTestStore, seedSession, type TestStore } from '../../../../test/helpers/pglite';
import { LeaseLostError, repositories } from '../../store/repos';
import { Checkpointer } from '../checkpointer';

describe('a fleet story run checkpoints only while it holds its lease (Postgres)', () => {
  let t: TestStore;

  beforeAll(async () => {
    t = await openPostgresTestStore('fleet_fence');
  });
  afterAll(async () => {
    await t?.close();
  });

  function fencedCheckpointer(token: number): Checkpointer {
    return new Checkpointer(t.store, { fence: (tx, id) => tx.storyRunLeases.assertHeld(id, token) });
  }

  it('a reclaimed worker cannot start or record a gate; the new holder can, and only its checkpoint is kept', async () => {
    const repos = repositories(t.store);
    const { runIds } = await seedSession(t.store.db, { stories: 1 });
    const id = runIds[0]!;
    const first = (await repos.storyRunLeases.acquire(id, 'worker-a', 200))!;
    const stale = fencedCheckpointer(first.token);
    const { gateRunId } = await stale.startGate({ storyRunId: id, gate: 'gate-0', attempt: 1 });

    await sleep(300); // worker-a is paused past its lease; worker-b reclaims the story run
    const second = (await repos.storyRunLeases.acquire(id, 'worker-b', 10_000))!;
    await expect(
      stale.recordGate({ storyRunId: id, gate: 'gate-0', status: 'passed', gateRunId, data: { who: 'a' } }),
    ).rejects.toBeInstanceOf(LeaseLostError);
    await expect(stale.startGate({ storyRunId: id, gate: 'gate-1', attempt: 1 })).rejects.toBeInstanceOf(
      LeaseLostError,
    );

    const fresh = fencedCheckpointer(second.token);
    const g = await fresh.startGate({ storyRunId: id, gate: 'gate-0', attempt: 2 });
    await fresh.recordGate({
      storyRunId: id,
      gate: 'gate-0',
      status: 'passed',
      gateRunId: g.gateRunId,
      data: { who: 'b' },
    });
    const latest = await fresh.loadLatest(id);
    expect(latest?.state.data).toEqual({ who: 'b' });
    expect(latest?.gate).toBe('gate-0');
  });
});
