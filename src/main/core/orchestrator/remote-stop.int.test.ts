import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditLog, gateRuns, sessions, storyRuns } from '../../store';
import { deadPid, openPgliteTestStore, seedSession, type TestStore } from '../../../../test/helpers/pglite';
import { repositories } from '../../store/repos';
import { createControlChannel } from '../control';
import { ControlFiles } from './control-files';
import { requestSessionStop, type RemoteStopOptions } from './remote-stop';

/*
 * `wave stop` / the STOP button of a process that does not own the session, on a real store:
 * what the lead sees in the store afterwards when the owner is gone, alive, or never ran.
 */
describe('requestSessionStop', () => {
  let ts: TestStore;
  beforeAll(async () => {
    ts = await openPgliteTestStore();
  });
  afterAll(async () => {
    await ts?.close();
  });
  /** A stop by the lead from this process, on the test store and its data dir. */
  const stopFromHere = (sessionId: string, reason: string, more: Partial<RemoteStopOptions> = {}) =>
    requestSessionStop({ store: ts.store, dataDir: ts.dataDir, sessionId, reason, by: 'lead', ...more });

  it('closes a session whose process is gone: running gates interrupted, running stories stopped, session stopped, audited', async () => {
    const db = ts.store.db;
    const seeded = await seedSession(db, { ownerPid: await deadPid(), stories: ['A-1', 'A-2'], currentGate: 'gate-2' });
    const [run1, run2] = seeded.runIds as [string, string];
    await db.update(storyRuns).set({ status: 'merged' }).where(eq(storyRuns.id, run2));
    await db.insert(gateRuns).values([
      { storyRunId: run1, sessionId: seeded.sessionId, gate: 'gate-1', status: 'passed', endedAt: new Date() },
      {
        storyRunId: run1,
        sessionId: seeded.sessionId,
        gate: 'gate-2',
        status: 'running',
        detail: { phase: 'develop' },
      },
    ]);

    const r = await stopFromHere(seeded.sessionId, 'end of the day');

    expect(r).toMatchObject({ handledBy: 'here', status: 'stopped', stoppedAgents: 0, aliveAfter: 0 });
    const [s] = await db.select().from(sessions).where(eq(sessions.id, seeded.sessionId));
    expect(s).toMatchObject({
      status: 'stopped',
      stopReason: 'Stopped by lead: end of the day (its process was gone)',
      ownerPid: null,
      ownerHost: null,
      heartbeatAt: null,
    });
    expect(s!.endedAt).toBeInstanceOf(Date);
    const runs = await db.select().from(storyRuns).where(eq(storyRuns.sessionId, seeded.sessionId));
    expect(runs.find((x) => x.id === run1)).toMatchObject({ status: 'stopped', reason: 'Stopped: end of the day' });
    expect(runs.find((x) => x.id === run2)).toMatchObject({ status: 'merged' });
    const gates = await db.select().from(gateRuns).where(eq(gateRuns.storyRunId, run1));
    expect(gates.find((g) => g.gate === 'gate-1')).toMatchObject({ status: 'passed', detail: null });
    const interrupted = gates.find((g) => g.gate === 'gate-2');
    expect(interrupted).toMatchObject({ status: 'failed', detail: { phase: 'develop', interrupted: true } });
    expect(interrupted!.endedAt).toBeInstanceOf(Date);
    const audit = await db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.subjectId, seeded.sessionId), eq(auditLog.action, 'session.emergency_stop')));
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({
      actor: 'lead',
      subjectType: 'session',
      detail: { reason: 'end of the day', by: 'lead', stoppedAgents: 0, aliveAfter: 0, ownerGone: true },
    });
  });

  it('marks a session driven by a live process `stopping` and asks it through the control file, then says when it does not confirm', async () => {
    const db = ts.store.db;
    const seeded = await seedSession(db, { stories: 1 });
    const attempt = stopFromHere(seeded.sessionId, 'budget', { timeoutMs: 300 });
    await expect(attempt).rejects.toThrow(
      `The process running session ${seeded.sessionId} did not confirm the stop within 0 s.`,
    );
    const [s] = await db.select().from(sessions).where(eq(sessions.id, seeded.sessionId));
    expect(s).toMatchObject({ status: 'stopping', stopReason: 'Stopping: budget', ownerPid: process.pid });
    expect(new ControlFiles(ts.dataDir).pendingStop(seeded.sessionId)).toMatchObject({ reason: 'budget', by: 'lead' });
    const runs = await db.select().from(storyRuns).where(eq(storyRuns.sessionId, seeded.sessionId));
    expect(runs.map((x) => x.status)).toEqual(['running']);
  });

  it('reports a finished session as not running and changes nothing; refuses an unknown id', async () => {
    const db = ts.store.db;
    const seeded = await seedSession(db, {
      status: 'completed',
      ownerPid: null,
      ownerHost: null,
      heartbeatAgoMs: null,
      storyStatus: 'merged',
    });
    const r = await stopFromHere(seeded.sessionId, 'x');
    expect(r).toMatchObject({
      handledBy: 'none',
      status: 'completed',
      message: `Session ${seeded.sessionId} is not running (it is completed); nothing to stop.`,
    });
    const [s] = await db.select().from(sessions).where(eq(sessions.id, seeded.sessionId));
    expect(s).toMatchObject({ status: 'completed', stopReason: null });

    await expect(stopFromHere('no-such-session', 'x')).rejects.toThrow(
      'Session no-such-session does not exist. List the sessions with: wave status',
    );
  });

  it('a fleet session: totals per host from the workers that answered, and names the host whose worker did not', async () => {
    const db = ts.store.db;
    const repos = repositories(ts.store);
    const seeded = await seedSession(db, { ownerPid: null, ownerHost: null, heartbeatAgoMs: null, stories: 2 });
    const [run1, run2] = seeded.runIds as [string, string];
    const worker = (id: string, host: string) => ({
      id,
      name: id,
      host,
      pid: 4242,
      version: '0',
      concurrency: 1,
      workDir: '/w',
    });
    await repos.fleetWorkers.register(worker('near-1', 'near'));
    await repos.fleetWorkers.register(worker('far-1', 'far'));
    await repos.storyRunLeases.acquire(run1, 'near-1', 60_000);
    await repos.storyRunLeases.acquire(run2, 'far-1', 60_000);
    const settings = { dataDir: ts.dataDir, redisUrl: undefined, redisPrefix: undefined, databaseUrl: undefined };
    // near-1 answers the STOP as a worker does; far-1 never does (paused, cut off).
    const near = createControlChannel(settings);
    await near.subscribe((env) => {
      const m = env.message;
      if (m.kind === 'stop' && m.sessionId === seeded.sessionId)
        void near.publish({
          kind: 'fleet-stopped',
          sessionId: m.sessionId,
          workerId: 'near-1',
          name: 'near-1',
          host: 'near',
          pid: 4242,
          stoppedAgents: 2,
          aliveAfter: 0,
        });
    });
    const channel = createControlChannel(settings);
    try {
      const r = await stopFromHere(seeded.sessionId, 'end of the day', { channel, fleetGraceMs: 500 });
      expect(r).toMatchObject({ status: 'stopped', stoppedAgents: 2, aliveAfter: 0 });
      expect(r.fleet).toMatchObject({
        unansweredHosts: ['far'],
        hosts: [
          { host: 'far', answered: false, workers: [{ name: 'far-1', answered: false }] },
          {
            host: 'near',
            answered: true,
            stoppedAgents: 2,
            aliveAfter: 0,
            workers: [{ name: 'near-1', answered: true }],
          },
        ],
      });
      expect(r.message).toContain('far: did not answer within 1 s (far-1, pid 4242)');
      expect(r.message).toContain('near: 2 agent group(s) stopped, 0 alive (near-1)');
    } finally {
      await channel.close();
      await near.close();
    }
  });
});
