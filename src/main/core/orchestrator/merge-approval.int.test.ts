import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { and, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { embeddedOrchestratorSuite } from '../../../../test/orchestrator/embedded-suite';
import { RecordingHub } from '../../../../test/orchestrator/recording-hub';
import { importAndApprove } from '../../../../test/orchestrator/scenario';
import { auditLog, sessions, storyRuns } from '../../store';
import { storySubject } from './domain-override';
import { MERGE_APPROVAL_REQUESTED, MERGE_APPROVED } from './merge-approval';
import { OrchestratorError } from '.';

// merge.requireApproval end to end on the embedded defaults: gate-7 waits for a person, the
// session pauses instead of failing, nothing reaches the target branch before the approval,
// and the approval (who, which commit) is in the audit log.

const suite = embeddedOrchestratorSuite();

describe('merge approval at gate-7', () => {
  it('parks each story before its merge until a person approves that commit, then merges it', async () => {
    const s = suite.scenario([
      { id: 'MA-1', wave: 1, domain: 'app', create: ['src/app/ma1.ts'] },
      { id: 'MA-2', wave: 2, domain: 'app', create: ['src/app/ma2.ts'], dependencies: ['MA-1'] },
    ]);
    // merge.requireApproval on, committed as a lead would.
    const configPath = join(s.repo.path, 'wave.config.json');
    const config = JSON.parse(readFileSync(configPath, 'utf8')) as Record<string, unknown>;
    writeFileSync(
      configPath,
      `${JSON.stringify({ ...config, merge: { strategy: 'merge', requireApproval: true } }, null, 2)}\n`,
    );
    execFileSync('git', ['commit', '-qam', 'require merge approval'], { cwd: s.repo.path });
    const mainFiles = () =>
      execFileSync('git', ['ls-tree', '-r', '--name-only', 'main'], { cwd: s.repo.path, encoding: 'utf8' })
        .split('\n')
        .filter(Boolean);
    const runOf = async (sessionId: string, storyId: string) =>
      (
        await suite.store.db
          .select()
          .from(storyRuns)
          .where(and(eq(storyRuns.sessionId, sessionId), eq(storyRuns.storyId, storyId)))
      )[0]!;

    const prdId = await importAndApprove(suite.store, s);
    const hub = new RecordingHub();
    const orch = suite.orchestrator(hub);
    try {
      const first = await orch.startSession({ prdId, agentPreset: 'command' });
      const sessionId = first.sessionId;
      expect((await first.done).status).toBe('paused');
      const [row] = await suite.store.db.select().from(sessions).where(eq(sessions.id, sessionId));
      expect(row!.stopReason).toMatch(/Waiting for merge approval of MA-1/);
      const ma1 = await runOf(sessionId, 'MA-1');
      expect(ma1).toMatchObject({ status: 'blocked', currentGate: 'gate-7', lastPassedGate: 'gate-6' });
      expect(ma1.reason).toMatch(new RegExp(`wave approve-merge ${sessionId} MA-1`));
      // MA-2 waits for MA-1 to merge; nothing reached main.
      expect((await runOf(sessionId, 'MA-2')).status).toBe('blocked');
      expect(mainFiles()).not.toContain('src/app/ma1.ts');
      expect(
        hub.of('notice').some((n) => n.kind === 'escalation' && /MA-1 waits for your merge approval/.test(n.title)),
      ).toBe(true);

      // Only a story that waits can be approved.
      const wrong = await orch.approveMerge(sessionId, 'MA-2', { actor: 'dana' }).catch((e: unknown) => e);
      expect(wrong).toBeInstanceOf(OrchestratorError);
      expect((wrong as OrchestratorError).message).toMatch(/not waiting for a merge approval/);

      // The screen shows the commit waiting; an approval of another commit is refused.
      const requested = await suite.store.db
        .select()
        .from(auditLog)
        .where(
          and(eq(auditLog.subjectId, storySubject(sessionId, 'MA-1')), eq(auditLog.action, MERGE_APPROVAL_REQUESTED)),
        );
      const waitingSha = (requested.at(-1)!.detail as { headSha: string }).headSha;
      const shown = hub
        .of('story.changed')
        .filter((v) => v.storyId === 'MA-1')
        .at(-1)!;
      expect(shown).toMatchObject({
        awaitingMergeApproval: true,
        mergeApprovalSha: waitingSha,
        branch: expect.stringContaining('MA-1'),
      });
      const stale = await orch
        .approveMerge(sessionId, 'MA-1', { actor: 'dana', headSha: 'deadbeef' })
        .catch((e: unknown) => e);
      expect((stale as OrchestratorError).code).toBe('conflict');
      expect((stale as OrchestratorError).message).toMatch(/not the deadbeef you reviewed/);

      // Approve MA-1 (the commit shown): it merges; MA-2 then runs and waits for its own approval.
      const { approval, handle } = await orch.approveMerge(sessionId, 'MA-1', {
        actor: 'dana',
        comment: 'reviewed the diff',
        headSha: waitingSha.slice(0, 12),
      });
      expect(approval.headSha).toBe(waitingSha);
      expect((await handle.done).status).toBe('paused');
      expect((await runOf(sessionId, 'MA-1')).status).toBe('merged');
      expect(mainFiles()).toContain('src/app/ma1.ts');
      expect(await runOf(sessionId, 'MA-2')).toMatchObject({ status: 'blocked', currentGate: 'gate-7' });

      const last = await orch.approveMerge(sessionId, 'MA-2', { actor: 'dana' });
      expect((await last.handle.done).status).toBe('completed');
      expect(mainFiles()).toEqual(expect.arrayContaining(['src/app/ma1.ts', 'src/app/ma2.ts']));
      const approvals = await suite.store.db.select().from(auditLog).where(eq(auditLog.action, MERGE_APPROVED));
      expect(
        approvals
          .filter((a) => a.subjectId.startsWith(`${sessionId}/`))
          .map((a) => [a.actor, a.subjectId.split('/')[1]]),
      ).toEqual([
        ['dana', 'MA-1'],
        ['dana', 'MA-2'],
      ]);
    } finally {
      await orch.dispose();
    }
  }, 180_000);

  it('asks again when the branch changed after the approval (the target moved and gate-6 merged it in)', async () => {
    const s = suite.scenario([{ id: 'MB-1', wave: 1, domain: 'app', create: ['src/app/mb1.ts'] }]);
    const configPath = join(s.repo.path, 'wave.config.json');
    const config = JSON.parse(readFileSync(configPath, 'utf8')) as Record<string, unknown>;
    // Fast-forward only: a target that moved sends the story back to gate-6, which changes the branch.
    writeFileSync(
      configPath,
      `${JSON.stringify({ ...config, merge: { strategy: 'ff', requireApproval: true } }, null, 2)}\n`,
    );
    execFileSync('git', ['commit', '-qam', 'require merge approval, fast-forward only'], { cwd: s.repo.path });
    const prdId = await importAndApprove(suite.store, s);
    const orch = suite.orchestrator(new RecordingHub());
    try {
      const first = await orch.startSession({ prdId, agentPreset: 'command' });
      const sessionId = first.sessionId;
      expect((await first.done).status).toBe('paused');
      // Someone else lands work on main while the story waits.
      writeFileSync(join(s.repo.path, 'NOTES.md'), 'landed meanwhile\n');
      execFileSync('git', ['add', 'NOTES.md'], { cwd: s.repo.path });
      execFileSync('git', ['commit', '-qm', 'work landed while MB-1 waited'], { cwd: s.repo.path });

      const { approval, handle } = await orch.approveMerge(sessionId, 'MB-1', { actor: 'dana' });
      expect((await handle.done).status).toBe('paused');
      const [run] = await suite.store.db
        .select()
        .from(storyRuns)
        .where(and(eq(storyRuns.sessionId, sessionId), eq(storyRuns.storyId, 'MB-1')));
      expect(run).toMatchObject({ status: 'blocked', currentGate: 'gate-7' });
      expect(run!.reason).toContain(`dana approved ${approval.headSha.slice(0, 12)}, but the branch has changed since`);
      expect(
        execFileSync('git', ['ls-tree', '-r', '--name-only', 'main'], { cwd: s.repo.path, encoding: 'utf8' }),
      ).not.toContain('src/app/mb1.ts');

      const again = await orch.approveMerge(sessionId, 'MB-1', { actor: 'dana', comment: 'looked at it again' });
      expect(again.approval.headSha).not.toBe(approval.headSha);
      expect((await again.handle.done).status).toBe('completed');
      expect(
        execFileSync('git', ['ls-tree', '-r', '--name-only', 'main'], { cwd: s.repo.path, encoding: 'utf8' }),
      ).toContain('src/app/mb1.ts');
    } finally {
      await orch.dispose();
    }
  }, 180_000);
});
