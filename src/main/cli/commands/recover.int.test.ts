import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  deadPid,
  openPgliteTestStore,
  openPostgresTestStore,
  seedSession,
  type TestStore,
} from '../../../../test/helpers/pglite';
import { Checkpointer } from '../../core/checkpointer';
import { openStore, type Store } from '../../store';
import { runCliCaptured } from '../../../../test/helpers/cli';
import type { CliCommand } from '../cli-types';
import { recoverCommand } from './recover';
import { createResumeCommand, resumeCommand } from './resume';

const commands: CliCommand[] = [recoverCommand, resumeCommand];

const wave = (argv: string[], env: NodeJS.ProcessEnv, cmds: CliCommand[] = commands) =>
  runCliCaptured(argv, { commands: cmds, env, version: '0.0.0-test' });

/** A session whose process died in gate-2 of S-1 (gates 0–1 passed), with S-2 still at gate-0. */
async function seedCrashed(store: Store) {
  const s = await seedSession(store.db, { ownerPid: await deadPid(), projectId: 'proj-cli', stories: ['S-1', 'S-2'] });
  const cp = new Checkpointer(store);
  const s1 = s.runs.get('S-1')!;
  for (const gate of ['gate-0', 'gate-1'] as const)
    await cp.recordGate({ storyRunId: s1, gate, status: 'passed', data: { gate } });
  await cp.startGate({ storyRunId: s1, gate: 'gate-2', attempt: 1 });
  return s;
}

describe.each([
  ['pglite', () => openPgliteTestStore()],
  ['postgres', () => openPostgresTestStore('cli_recover')],
] as const)('wave recover / wave resume on %s', (kind, open) => {
  let t: TestStore;
  let env: NodeJS.ProcessEnv;
  /** The CLI needs the embedded database to itself: run `fn` with the test's store closed. */
  let withStore: <T>(fn: (s: Store) => Promise<T>) => Promise<T>;

  beforeAll(async () => {
    t = await open();
    env = { ...process.env, WAVE_HOME: t.dataDir, DATABASE_URL: t.databaseUrl ?? '' };
    if (kind === 'pglite') await t.store.close();
    withStore = async (fn) => {
      if (kind === 'postgres') return fn(t.store);
      const s = await openStore({ dataDir: t.dataDir });
      try {
        return await fn(s);
      } finally {
        await s.close();
      }
    };
  });
  afterAll(async () => {
    await t?.close();
  });

  it('lists an interrupted session with what each story was doing, then resumes it', async () => {
    const s = await withStore(seedCrashed);

    const list = await wave(['recover', '--list', '--json'], env);
    expect(list.code).toBe(0);
    const doc = JSON.parse(list.stdout) as { interrupted: Array<Record<string, unknown>> };
    const entry = doc.interrupted.find((i) => i.session === s.sessionId);
    expect(entry).toMatchObject({
      session: s.sessionId,
      project: 'proj-cli',
      stories: [
        { id: 'S-1', gate: 'gate-2', status: 'running' },
        { id: 'S-2', gate: 'gate-0', status: 'running' },
      ],
    });
    expect(Date.parse(entry!.last_checkpoint_at as string)).not.toBeNaN();

    const human = await wave(['recover', '--list'], env);
    expect(human.stdout).toContain(`wave resume ${s.sessionId}`);

    const resumed = await wave(['resume', s.sessionId, '--json'], env);
    expect(resumed.code).toBe(0);
    const plan = JSON.parse(resumed.stdout);
    expect(plan).toMatchObject({ session: s.sessionId, strategy: 'resume_from_last', status: 'stopped', problems: [] });
    expect(plan.stories).toEqual([
      expect.objectContaining({
        id: 'S-1',
        action: 'resume',
        next_gate: 'gate-2',
        from_checkpoint: expect.objectContaining({ gate: 'gate-1' }),
      }),
      expect.objectContaining({ id: 'S-2', action: 'resume', next_gate: 'gate-0', from_checkpoint: null }),
    ]);
    const after = JSON.parse((await wave(['recover', '--list', '--json'], env)).stdout) as {
      interrupted: Array<{ session: string }>;
    };
    expect(after.interrupted.map((i) => i.session)).not.toContain(s.sessionId);
  });

  it('hands the recovered plan to whatever continues the session', async () => {
    const s = await withStore(seedCrashed);
    const seen: string[] = [];
    const wired = createResumeCommand({
      claimsSession: true,
      continueSession: async (_store, result) => {
        seen.push(...result.stories.filter((p) => p.nextGate).map((p) => `${p.storyId}@${p.nextGate}`));
        return { started: seen.length };
      },
    });
    const r = await wave(['resume', s.sessionId, '--strategy', 'resume_from_gate', '--gate', 'gate-1', '--json'], env, [
      wired,
    ]);
    expect(r.code).toBe(0);
    expect(seen).toEqual(['S-1@gate-1', 'S-2@gate-0']);
    expect(JSON.parse(r.stdout)).toMatchObject({ status: 'running', continued: { started: 2 } });
  });

  it('exits non-zero and names session, story and gate when a checkpoint is corrupted', async () => {
    const s = await withStore(async (store) => {
      const seeded = await seedCrashed(store);
      await store.db.execute(
        sql`update checkpoints set state = jsonb_set(state, '{attempt}', '0') where session_id = ${seeded.sessionId} and gate = 'gate-1'`,
      );
      return seeded;
    });
    const r = await wave(['resume', s.sessionId, '--json'], env);
    expect(r.code).toBe(1);
    const plan = JSON.parse(r.stdout);
    expect(plan.problems).toEqual([expect.objectContaining({ session: s.sessionId, story: 'S-1', gate: 'gate-1' })]);
    expect(plan.stories.find((x: { id: string }) => x.id === 'S-2')).toMatchObject({ action: 'resume' });
  });

  it('rejects bad usage with a message saying what to do', async () => {
    const r1 = await wave(['resume', '--json'], env);
    expect(r1.code).toBe(2);
    expect(JSON.parse(r1.stdout).error.message).toMatch(/wave recover --list/);
    const r2 = await wave(['resume', 'x', '--strategy', 'resume_from_gate'], env);
    expect(r2.code).toBe(2);
    expect(r2.stderr).toMatch(/needs --gate gate-N/);
    const r3 = await wave(['resume', 'no-such-session', '--json'], env);
    expect(r3.code).toBe(1);
    expect(JSON.parse(r3.stdout).error).toMatchObject({ code: 'not_found' });
  });
});
