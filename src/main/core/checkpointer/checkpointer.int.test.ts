import os from 'node:os';
import { and, asc, eq, sql } from 'drizzle-orm';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CuttableProxy } from '../../../../test/crash/tcp-proxy';
import {
  deadPid,
  openPgliteTestStore,
  openPostgresTestStore,
  openProxiedPostgresTestStore,
  seedSession,
  type ProxiedTestStore,
  type TestStore,
} from '../../../../test/helpers/pglite';
import { auditLog, checkpoints, gateRuns, sessions, storyRuns, type GateId } from '../../store/schema';
import type { Store } from '../../store/store';
import { Checkpointer } from './checkpointer';
import { CorruptCheckpointError, RecoveryError } from './errors';
import { RecoveryService } from './recovery';
import { SessionLease } from './session-lease';

const GATES = ['gate-0', 'gate-1', 'gate-2', 'gate-3', 'gate-4', 'gate-5', 'gate-6', 'gate-7'] as const;

/** Runs gates `from`..`to` (inclusive) to `passed`, each with a small state and a cost. */
async function passGates(cp: Checkpointer, storyRunId: string, from: number, to: number, cost = 0.01) {
  const out = [];
  for (let i = from; i <= to; i++) {
    const gate = GATES[i]!;
    const { gateRunId } = await cp.startGate({ storyRunId, gate, attempt: 1 });
    out.push(
      await cp.recordGate({
        storyRunId,
        gate,
        status: 'passed',
        gateRunId,
        costUsd: cost,
        data: { note: `after ${gate}`, files: [`src/${i}.ts`] },
      }),
    );
  }
  return out;
}

async function storyRun(store: Store, id: string) {
  const [row] = await store.db.select().from(storyRuns).where(eq(storyRuns.id, id));
  return row!;
}

async function sessionRow(store: Store, id: string) {
  const [row] = await store.db.select().from(sessions).where(eq(sessions.id, id));
  return row!;
}

/** Rewrites a stored state behind the checkpointer's back, as disk damage or a bad edit would. */
async function tamper(store: Store, checkpointId: number) {
  await store.db.execute(
    sql`update checkpoints set state = jsonb_set(state, '{costUsd}', '999') where id = ${checkpointId}`,
  );
}

describe.each([
  ['pglite', () => openPgliteTestStore()],
  ['postgres', () => openPostgresTestStore('checkpointer')],
] as const)('checkpointer and recovery on %s', (_kind, open) => {
  let t: TestStore;
  let store: Store;
  let cp: Checkpointer;
  const logs: string[] = [];
  let recovery: RecoveryService;

  beforeAll(async () => {
    t = await open();
    store = t.store;
    cp = new Checkpointer(store);
    recovery = new RecoveryService(store, { log: (l) => logs.push(l) });
  });
  afterAll(async () => {
    await t?.close();
  });

  describe('Checkpointer', () => {
    it('records the gate result, the story progress and the checkpoint together', async () => {
      const s = await seedSession(store.db, { stories: ['S-1'] });
      const id = s.runIds[0]!;
      const { gateRunId } = await cp.startGate({ storyRunId: id, gate: 'gate-0', attempt: 1, logPath: '/logs/g0.log' });
      expect((await storyRun(store, id)).currentGate).toBe('gate-0');

      const rec = await cp.recordGate({
        storyRunId: id,
        gate: 'gate-0',
        status: 'passed',
        gateRunId,
        inputTokens: 1200,
        outputTokens: 300,
        costUsd: 0.125,
        headSha: 'abc123',
        data: { plan: 'do it', nested: { b: 2, a: 1 } },
      });

      const [gr] = await store.db.select().from(gateRuns).where(eq(gateRuns.id, gateRunId));
      expect(gr).toMatchObject({
        status: 'passed',
        inputTokens: 1200,
        outputTokens: 300,
        costUsd: 0.125,
        logPath: '/logs/g0.log',
      });
      expect(gr!.endedAt).toBeInstanceOf(Date);
      expect(gr!.durationMs).toBeGreaterThanOrEqual(0);
      expect(await storyRun(store, id)).toMatchObject({
        status: 'running',
        lastPassedGate: 'gate-0',
        currentGate: 'gate-1',
        costUsd: 0.125,
      });

      const latest = await cp.loadLatest(id);
      expect(latest).toMatchObject({
        id: rec.checkpointId,
        gate: 'gate-0',
        gateStatus: 'passed',
        gateRunId,
        storyId: 'S-1',
        sessionId: s.sessionId,
      });
      expect(latest!.state).toMatchObject({
        nextGate: 'gate-1',
        lastPassedGate: 'gate-0',
        headSha: 'abc123',
        costUsd: 0.125,
        branch: 'wave/scripted/S-1',
      });
      expect(latest!.state.data).toEqual({ plan: 'do it', nested: { a: 1, b: 2 } });
    });

    it('writes nothing at all when any part of the gate record fails', async () => {
      const s = await seedSession(store.db, { stories: ['S-1'] });
      const id = s.runIds[0]!;
      await passGates(cp, id, 0, 0);
      const before = await storyRun(store, id);
      const gateRunsBefore = await store.db.select().from(gateRuns).where(eq(gateRuns.storyRunId, id));

      // jsonb cannot hold a NUL character: the checkpoint insert fails after the gate run
      // row and the story run update were already sent in the same transaction.
      await expect(
        cp.recordGate({ storyRunId: id, gate: 'gate-1', status: 'passed', costUsd: 5, data: { bad: 'a\u0000b' } }),
      ).rejects.toThrow();
      await expect(
        cp.recordGate({ storyRunId: id, gate: 'gate-1', status: 'passed', gateRunId: 987654321 }),
      ).rejects.toThrow(/does not belong/);

      expect(await storyRun(store, id)).toEqual(before);
      expect(await store.db.select().from(gateRuns).where(eq(gateRuns.storyRunId, id))).toEqual(gateRunsBefore);
      expect((await cp.loadLatest(id))!.gate).toBe('gate-0');
    });

    it('keeps the last N checkpoints and every recovery point, nothing else', async () => {
      const small = new Checkpointer(store, { retain: 2 });
      const s = await seedSession(store.db, { stories: ['S-1'] });
      const id = s.runIds[0]!;
      const passed = await passGates(small, id, 0, 3);
      // gate-4 (QA) fails three times before the fix loop gives up
      const failed = [];
      for (let attempt = 1; attempt <= 3; attempt++) {
        failed.push(
          await small.recordGate({
            storyRunId: id,
            gate: 'gate-4',
            status: 'failed',
            attempt,
            data: { qa: `failure ${attempt}` },
          }),
        );
      }
      const kept = await store.db
        .select({ id: checkpoints.id })
        .from(checkpoints)
        .where(eq(checkpoints.storyRunId, id))
        .orderBy(asc(checkpoints.id));
      // newest 2 (failed attempts 2 and 3) + the passed checkpoint of each gate 0..3
      expect(kept.map((k) => k.id)).toEqual([
        ...passed.map((p) => p.checkpointId),
        failed[1]!.checkpointId,
        failed[2]!.checkpointId,
      ]);
      for (const g of ['gate-0', 'gate-1', 'gate-2', 'gate-3'] as const)
        expect((await small.loadByGate(id, g))!.gate).toBe(g);

      // A gate passed again replaces the older recovery point of that gate.
      const again = await passGates(small, id, 3, 3);
      const after = await store.db
        .select({ id: checkpoints.id })
        .from(checkpoints)
        .where(eq(checkpoints.storyRunId, id));
      expect(after.map((k) => k.id)).not.toContain(passed[3]!.checkpointId);
      expect((await small.loadByGate(id, 'gate-3'))!.id).toBe(again[0]!.checkpointId);
    });

    it('reports a corrupted checkpoint naming session, story and gate', async () => {
      const s = await seedSession(store.db, { stories: ['S-9'] });
      const id = s.runIds[0]!;
      const [rec] = await passGates(cp, id, 0, 0);
      await tamper(store, rec!.checkpointId);
      const err = await cp.loadLatest(id).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(CorruptCheckpointError);
      const msg = (err as Error).message;
      expect(msg).toContain(s.sessionId);
      expect(msg).toContain('story S-9');
      expect(msg).toContain('gate-0');
      expect(msg).toMatch(/hash mismatch/);
    });

    it('lists the recovery points of every story of a session', async () => {
      const s = await seedSession(store.db, { stories: ['S-1', 'S-2'] });
      await passGates(cp, s.runs.get('S-1')!, 0, 3);
      const points = await cp.listRecoveryPoints(s.sessionId);
      const a = points.find((p) => p.storyId === 'S-1')!;
      const b = points.find((p) => p.storyId === 'S-2')!;
      expect(a.latest).toMatchObject({ gate: 'gate-3', resumesAt: 'gate-4' });
      expect(a.gates.map((g) => g.gate)).toEqual(['gate-0', 'gate-1', 'gate-2', 'gate-3']);
      expect(a.resumableGates).toEqual(['gate-0', 'gate-1', 'gate-2', 'gate-3', 'gate-4']);
      expect(b.latest).toBeNull();
      expect(b.resumableGates).toEqual(['gate-0']);
    });
  });

  describe('interrupted sessions', () => {
    it('finds sessions whose owner died or whose lease expired, with what each story was doing', async () => {
      const dead = await deadPid();
      const crashed = await seedSession(store.db, { ownerPid: dead, stories: ['S-1', 'S-2'] });
      await passGates(cp, crashed.runs.get('S-1')!, 0, 1);
      await cp.startGate({ storyRunId: crashed.runs.get('S-1')!, gate: 'gate-2', attempt: 1 });
      const remoteSilent = await seedSession(store.db, {
        ownerPid: 77,
        ownerHost: 'other-host',
        heartbeatAgoMs: 60_000,
        stories: 1,
      });
      const live = await seedSession(store.db, { ownerPid: process.pid, stories: 1 });
      const remoteLive = await seedSession(store.db, {
        status: 'paused',
        ownerPid: 77,
        ownerHost: 'other-host',
        heartbeatAgoMs: 1000,
        stories: 1,
      });
      const done = await seedSession(store.db, { status: 'completed', ownerPid: dead, stories: 1 });

      const found = await recovery.findInterrupted();
      const ids = found.map((f) => f.sessionId);
      expect(ids).toContain(crashed.sessionId);
      expect(ids).toContain(remoteSilent.sessionId);
      for (const s of [live, remoteLive, done]) expect(ids).not.toContain(s.sessionId);

      const c = found.find((f) => f.sessionId === crashed.sessionId)!;
      expect(c.reason).toContain(`process ${dead} on ${os.hostname()} is no longer running`);
      expect(c.lastCheckpointAt).toBeInstanceOf(Date);
      expect(c.stories).toEqual([
        expect.objectContaining({ storyId: 'S-1', gate: 'gate-2', status: 'running', lastPassedGate: 'gate-1' }),
        expect.objectContaining({ storyId: 'S-2', gate: 'gate-0', status: 'running' }),
      ]);
      expect(found.find((f) => f.sessionId === remoteSilent.sessionId)!.reason).toMatch(
        /no heartbeat .* other-host for 6\d s/,
      );
    });

    it('keeps a session alive while its lease is beaten, and hands it over once the lease expires', async () => {
      const s = await seedSession(store.db, {
        ownerPid: null,
        ownerHost: null,
        heartbeatAgoMs: null,
        status: 'created',
        stories: 1,
      });
      const lost: string[] = [];
      const first = await SessionLease.acquire(store, s.sessionId, {
        heartbeatMs: 60_000,
        status: 'running',
        onLost: (r) => lost.push(r),
      });
      try {
        expect(await sessionRow(store, s.sessionId)).toMatchObject({
          status: 'running',
          ownerPid: process.pid,
          ownerHost: os.hostname(),
        });
        expect(await first.heartbeat()).toBe(true);
        // Another process on this host while we are alive and beating: refused.
        const other = { pid: process.pid + 100000, isAlive: () => true, leaseMs: 15_000 };
        await expect(SessionLease.acquire(store, s.sessionId, other)).rejects.toThrow(/being run by process/);
        expect((await recovery.findInterrupted()).map((f) => f.sessionId)).not.toContain(s.sessionId);

        // Our heartbeat stops (hung process): past the lease another process may take over.
        await store.db
          .update(sessions)
          .set({ heartbeatAt: sql`now() - interval '1 minute'` })
          .where(eq(sessions.id, s.sessionId));
        const judge = new RecoveryService(store, { isAlive: () => true });
        expect((await judge.findInterrupted()).map((f) => f.sessionId)).toContain(s.sessionId);
        const second = await SessionLease.acquire(store, s.sessionId, other);
        expect(await first.heartbeat()).toBe(false);
        expect(first.isLost).toBe(true);
        expect(lost).toEqual([expect.stringContaining('taken over')]);
        await second.release();
        expect(await sessionRow(store, s.sessionId)).toMatchObject({ ownerPid: null, heartbeatAt: null });
      } finally {
        await first.release();
        await first.release();
      }
    });
  });

  describe('recovery strategies', () => {
    /** A session killed while S-1 was in gate-3 (0..2 passed), S-2 in gate-0 (nothing), S-3 done. */
    async function crashedSession() {
      const s = await seedSession(store.db, { ownerPid: await deadPid(), stories: ['S-1', 'S-2', 'S-3'] });
      const s1 = s.runs.get('S-1')!;
      const recs = await passGates(cp, s1, 0, 2);
      const { gateRunId } = await cp.startGate({ storyRunId: s1, gate: 'gate-3', attempt: 1 });
      await store.db
        .update(storyRuns)
        .set({ status: 'passed', currentGate: 'gate-7', lastPassedGate: 'gate-7' })
        .where(eq(storyRuns.id, s.runs.get('S-3')!));
      return { ...s, recs, danglingGateRun: gateRunId };
    }

    it('resume_from_last continues every unfinished story at the gate it was in, from its last checkpoint', async () => {
      const s = await crashedSession();
      const r = await recovery.recoverSession(s.sessionId, { strategy: 'resume_from_last', actor: 'lead@test' });
      const plan = (id: string) => r.stories.find((p) => p.storyId === id)!;
      expect(plan('S-1')).toMatchObject({ action: 'resume', nextGate: 'gate-3', statusAfter: 'queued' });
      expect(plan('S-1').checkpoint).toMatchObject({ id: s.recs[2]!.checkpointId, gate: 'gate-2' });
      expect(plan('S-1').checkpoint!.state.data).toEqual({ note: 'after gate-2', files: ['src/2.ts'] });
      expect(plan('S-2')).toMatchObject({ action: 'resume', nextGate: 'gate-0', checkpoint: null });
      expect(plan('S-3')).toMatchObject({ action: 'unchanged', statusAfter: 'passed' });

      expect(await storyRun(store, s.runs.get('S-1')!)).toMatchObject({
        status: 'queued',
        currentGate: 'gate-3',
        lastPassedGate: 'gate-2',
      });
      // The gate run the dead process left open is closed, not left "running" forever.
      const [gr] = await store.db.select().from(gateRuns).where(eq(gateRuns.id, s.danglingGateRun));
      expect(gr).toMatchObject({ status: 'failed', detail: { interrupted: true } });
      expect(await sessionRow(store, s.sessionId)).toMatchObject({ status: 'stopped', ownerPid: null });
      expect((await recovery.findInterrupted()).map((f) => f.sessionId)).not.toContain(s.sessionId);
      const audit = await store.db
        .select()
        .from(auditLog)
        .where(and(eq(auditLog.subjectType, 'session'), eq(auditLog.subjectId, s.sessionId)));
      expect(audit).toEqual([expect.objectContaining({ actor: 'lead@test', action: 'session.recover' })]);
    });

    it('resume_from_gate rewinds to the gate, and a later resume_from_last does not jump forward again', async () => {
      const s = await crashedSession();
      const s1 = s.runs.get('S-1')!;
      const r = await recovery.recoverSession(s.sessionId, { strategy: 'resume_from_gate', gate: 'gate-2' });
      const p1 = r.stories.find((p) => p.storyId === 'S-1')!;
      expect(p1).toMatchObject({ action: 'resume', strategy: 'resume_from_gate', nextGate: 'gate-2' });
      expect(p1.checkpoint).toMatchObject({ id: s.recs[1]!.checkpointId, gate: 'gate-1' });
      expect(await storyRun(store, s1)).toMatchObject({ currentGate: 'gate-2', lastPassedGate: 'gate-1' });
      // S-2 has not passed gate-1 yet: it simply continues from where it is.
      expect(r.stories.find((p) => p.storyId === 'S-2')).toMatchObject({
        strategy: 'resume_from_last',
        nextGate: 'gate-0',
        note: expect.stringMatching(/has not passed gate-1/),
      });

      expect((await cp.loadLatest(s1))!.gate).toBe('gate-1');
      const again = await recovery.recoverSession(s.sessionId, { strategy: 'resume_from_last' });
      expect(again.stories.find((p) => p.storyId === 'S-1')).toMatchObject({ nextGate: 'gate-2' });
      await passGates(cp, s1, 2, 2);
      expect(
        (await cp.listRecoveryPoints(s.sessionId)).find((p) => p.storyId === 'S-1')!.gates.map((g) => g.gate),
      ).toEqual(['gate-0', 'gate-1', 'gate-2']);
    });

    it('restart resets the story run but keeps its history for the audit', async () => {
      const s = await crashedSession();
      const s1 = s.runs.get('S-1')!;
      const r = await recovery.recoverSession(s.sessionId, {
        strategy: 'restart',
        perStory: { 'S-2': { strategy: 'resume_from_last' } },
      });
      expect(r.stories.find((p) => p.storyId === 'S-1')).toMatchObject({
        action: 'restart',
        nextGate: 'gate-0',
        checkpoint: null,
        epoch: 1,
      });
      expect(r.stories.find((p) => p.storyId === 'S-2')).toMatchObject({
        action: 'resume',
        strategy: 'resume_from_last',
      });
      expect(await storyRun(store, s1)).toMatchObject({
        status: 'queued',
        currentGate: 'gate-0',
        lastPassedGate: null,
        epoch: 1,
        attempts: 0,
      });
      expect(await cp.loadLatest(s1)).toBeNull();
      expect(await store.db.select().from(gateRuns).where(eq(gateRuns.storyRunId, s1))).toHaveLength(4);
      // A worker still running the old attempt cannot record into the new one.
      await expect(
        cp.recordGate({ storyRunId: s1, gate: 'gate-3', status: 'passed', expectedEpoch: 0 }),
      ).rejects.toThrow(RecoveryError);
      const audit = await store.db.select().from(auditLog).where(eq(auditLog.subjectId, s1));
      expect(audit).toEqual([
        expect.objectContaining({
          action: 'story_run.recover.restart',
          detail: expect.objectContaining({ statusBefore: 'running' }),
        }),
      ]);
    });

    it('skip cancels the unfinished stories and completes the session', async () => {
      const s = await crashedSession();
      const r = await recovery.recoverSession(s.sessionId, { strategy: 'skip' });
      expect(r.stories.map((p) => [p.storyId, p.action, p.statusAfter])).toEqual([
        ['S-1', 'skip', 'cancelled'],
        ['S-2', 'skip', 'cancelled'],
        ['S-3', 'unchanged', 'passed'],
      ]);
      expect((await storyRun(store, s.runs.get('S-1')!)).reason).toMatch(/skipped during recovery/);
      expect(r.sessionStatusAfter).toBe('completed');
      await expect(recovery.recoverSession(s.sessionId, { strategy: 'resume_from_last' })).rejects.toThrow(
        /nothing to resume/,
      );
    });

    it('reports a corrupted checkpoint by session, story and gate and still recovers the other stories', async () => {
      const s = await seedSession(store.db, { ownerPid: await deadPid(), stories: ['S-1', 'S-2', 'S-3'] });
      const recs = new Map<string, Awaited<ReturnType<typeof passGates>>>();
      for (const [story, id] of s.runs) recs.set(story, await passGates(cp, id, 0, 2));
      await tamper(store, recs.get('S-2')![2]!.checkpointId);
      logs.length = 0;

      const r = await recovery.recoverSession(s.sessionId, { strategy: 'resume_from_last' });
      expect(r.problems).toEqual([
        expect.objectContaining({
          sessionId: s.sessionId,
          storyId: 'S-2',
          gate: 'gate-2',
          checkpointId: recs.get('S-2')![2]!.checkpointId,
        }),
      ]);
      expect(r.stories.find((p) => p.storyId === 'S-1')).toMatchObject({ action: 'resume', nextGate: 'gate-3' });
      expect(r.stories.find((p) => p.storyId === 'S-3')).toMatchObject({ action: 'resume', nextGate: 'gate-3' });
      expect(r.stories.find((p) => p.storyId === 'S-2')).toMatchObject({ action: 'error', statusAfter: 'stopped' });
      const bad = await storyRun(store, s.runs.get('S-2')!);
      expect(bad.reason).toMatch(new RegExp(`session ${s.sessionId}, story S-2, gate-2 is corrupted`));
      expect(logs.join('\n')).toMatch(/story S-2, gate-2 is corrupted/);

      // The lead then rewinds that story past the damaged checkpoint.
      const fix = await recovery.recoverSession(s.sessionId, {
        strategy: 'resume_from_last',
        perStory: { 'S-2': { strategy: 'resume_from_gate', gate: 'gate-2' } },
      });
      expect(fix.problems).toEqual([]);
      expect(fix.stories.find((p) => p.storyId === 'S-2')).toMatchObject({ action: 'resume', nextGate: 'gate-2' });
    });

    it('refuses to recover a session a live process is running, and hands it to the caller with claimAs', async () => {
      const s = await seedSession(store.db, { ownerPid: process.pid, stories: 1 });
      await expect(recovery.recoverSession(s.sessionId, { strategy: 'resume_from_last' })).rejects.toMatchObject({
        code: 'busy',
      });
      await expect(recovery.recoverSession('no-such-session', { strategy: 'skip' })).rejects.toMatchObject({
        code: 'not_found',
      });
      await expect(recovery.recoverSession(s.sessionId, { strategy: 'resume_from_gate' })).rejects.toThrow(
        /needs a gate/,
      );

      await store.db
        .update(sessions)
        .set({ heartbeatAt: sql`now() - interval '1 hour'` })
        .where(eq(sessions.id, s.sessionId));
      const me = { pid: process.pid, host: os.hostname() };
      const r = await new RecoveryService(store, { isAlive: () => true }).recoverSession(s.sessionId, {
        strategy: 'resume_from_last',
        claimAs: me,
      });
      expect(r.sessionStatusAfter).toBe('running');
      expect(await sessionRow(store, s.sessionId)).toMatchObject({
        status: 'running',
        ownerPid: me.pid,
        ownerHost: me.host,
      });
    });

    it('never recovers a fleet session in-process (its workers hold its story runs), and changes nothing', async () => {
      const s = await seedSession(store.db, { ownerPid: await deadPid(), stories: ['F-1'], config: { fleet: true } });
      const f1 = s.runs.get('F-1')!;
      await passGates(cp, f1, 0, 1);
      const before = await storyRun(store, f1);
      for (const strategy of ['resume_from_last', 'restart', 'skip'] as const)
        await expect(recovery.recoverSession(s.sessionId, { strategy, force: true })).rejects.toMatchObject({
          code: 'fleet',
          message: expect.stringContaining('runs on the fleet'),
        });
      expect(await storyRun(store, f1)).toEqual(before);
    });

    it('rejects a gate outside the pipeline', async () => {
      const s = await seedSession(store.db, {
        ownerPid: await deadPid(),
        stories: 1,
        config: { gates: ['gate-0', 'gate-1', 'gate-2'] },
      });
      await expect(
        recovery.recoverSession(s.sessionId, { strategy: 'resume_from_gate', gate: 'gate-5' as GateId }),
      ).rejects.toThrow(/gate-0, gate-1, gate-2/);
    });
  });
});

describe('Checkpointer on a connection that breaks mid-write (Postgres)', () => {
  let t: ProxiedTestStore;
  let proxy: CuttableProxy;
  let store: Store;

  beforeAll(async () => {
    t = await openProxiedPostgresTestStore('checkpointer_conn');
    ({ proxy, store } = t);
  });
  afterAll(() => t?.close());

  // The statement that records a gate carries the state; its marker is unique per test.
  for (const [when, arm] of [
    [
      'after the write reached the server',
      (p: CuttableProxy, marker: string) => (p.cutAfterForwarding = new RegExp(marker)),
    ],
    [
      'before the write reached the server',
      (p: CuttableProxy, marker: string) => (p.cutBeforeForwarding = new RegExp(marker)),
    ],
  ] as const) {
    it(`acknowledges a gate exactly once when the connection breaks ${when}`, async () => {
      const cp = new Checkpointer(store);
      const s = await seedSession(store.db, { stories: ['S-1'] });
      const id = s.runIds[0]!;
      await passGates(cp, id, 0, 0);
      const marker = `marker-${randomUUID()}`;
      const fired = proxy.fired;
      arm(proxy, marker);
      const rec = await cp.recordGate({
        storyRunId: id,
        gate: 'gate-1',
        status: 'passed',
        costUsd: 0.5,
        data: { marker },
      });
      proxy.restore();
      expect(proxy.fired).toBe(fired + 1);
      const rows = await store.db
        .select()
        .from(checkpoints)
        .where(and(eq(checkpoints.storyRunId, id), eq(checkpoints.gate, 'gate-1')));
      expect(rows.map((r) => r.id)).toEqual([rec.checkpointId]);
      expect(
        await store.db
          .select()
          .from(gateRuns)
          .where(and(eq(gateRuns.storyRunId, id), eq(gateRuns.gate, 'gate-1'))),
      ).toHaveLength(1);
      expect(await storyRun(store, id)).toMatchObject({ lastPassedGate: 'gate-1', costUsd: 0.51 });
    });
  }
});
