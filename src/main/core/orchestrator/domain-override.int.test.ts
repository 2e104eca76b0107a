import { execFileSync } from 'node:child_process';
import { and, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { embeddedOrchestratorSuite } from '../../../../test/orchestrator/embedded-suite';
import { RecordingHub } from '../../../../test/orchestrator/recording-hub';
import { importAndApprove } from '../../../../test/orchestrator/scenario';
import { auditLog, gateRuns, storyRuns } from '../../store';
import { DOMAIN_OVERRIDE_GRANTED, grantDomainOverride, storySubject } from './domain-override';
import { OrchestratorError } from '.';

// A lead's override of a failed domain check, end to end on the embedded defaults: the
// story fails gate-3 naming the path, the lead allows that path with a reason, the session
// resumes the story from gate-3 and it merges; the decision is in the audit log.

const suite = embeddedOrchestratorSuite();

describe('domain override', () => {
  it('lets exactly the listed out-of-domain paths through after a lead decides, and audits it', async () => {
    const s = suite.scenario([
      {
        id: 'OUT-1',
        wave: 1,
        domain: 'app',
        create: ['src/app/out.ts'],
        testAgent: { write_outside: 'src/web/intruder.ts' },
      },
      { id: 'OK-1', wave: 1, domain: 'app', create: ['src/app/ok.ts'] },
    ]);
    const prdId = await importAndApprove(suite.store, s);
    const orch = suite.orchestrator(new RecordingHub());
    const mainFiles = () =>
      execFileSync('git', ['ls-tree', '-r', '--name-only', 'main'], { cwd: s.repo.path, encoding: 'utf8' })
        .split('\n')
        .filter(Boolean);
    const statusOf = async (sessionId: string, storyId: string) =>
      (
        await suite.store.db
          .select()
          .from(storyRuns)
          .where(and(eq(storyRuns.sessionId, sessionId), eq(storyRuns.storyId, storyId)))
      )[0]!;
    try {
      const first = await orch.startSession({ prdId, agentPreset: 'command' });
      const outcome = await first.done;
      const sessionId = first.sessionId;
      expect(outcome.status).toBe('failed');
      expect((await statusOf(sessionId, 'OUT-1')).status).toBe('failed');
      expect(mainFiles()).toContain('src/app/ok.ts');
      expect(mainFiles()).not.toContain('src/web/intruder.ts');

      // Refused, with nothing recorded: a reason too short to mean anything, a story that passed its check.
      const short = await orch
        .overrideDomain(sessionId, 'OUT-1', { reason: 'ok', actor: 'lead' })
        .catch((e: unknown) => e);
      expect(short).toBeInstanceOf(OrchestratorError);
      expect((short as OrchestratorError).message).toMatch(/reason of at least 10 characters/);
      const passed = await orch
        .overrideDomain(sessionId, 'OK-1', { reason: 'no reason to do this at all', actor: 'lead' })
        .catch((e: unknown) => e);
      expect((passed as OrchestratorError).code).toBe('precondition_failed');
      expect((passed as OrchestratorError).message).toMatch(/did not fail its domain check/);
      const subject = storySubject(sessionId, 'OUT-1');
      const grants = () =>
        suite.store.db
          .select()
          .from(auditLog)
          .where(and(eq(auditLog.subjectId, subject), eq(auditLog.action, DOMAIN_OVERRIDE_GRANTED)));
      expect(await grants()).toEqual([]);

      // An older decision about other paths does not cover this one: gate-3 fails again and says so.
      const stale = await grantDomainOverride(suite.store, {
        sessionId,
        storyId: 'OUT-1',
        reason: 'web stub agreed with the web team',
        actor: 'someone',
      });
      expect(stale.paths).toEqual(['src/web/intruder.ts']);
      expect(stale.epoch).toBe((await statusOf(sessionId, 'OUT-1')).epoch);
      const [row] = await grants();
      await suite.store.db
        .update(auditLog)
        .set({ detail: { ...row!.detail, paths: ['src/web/other.ts'] } })
        .where(eq(auditLog.id, row!.id));
      const again = await orch.resume(sessionId, {
        strategy: 'resume_from_last',
        perStory: { 'OUT-1': { strategy: 'resume_from_gate', gate: 'gate-3' } },
      });
      expect((await again.done).status).toBe('failed');
      const out1 = await statusOf(sessionId, 'OUT-1');
      expect(out1.reason).toMatch(
        /override covered src\/web\/other\.ts only; src\/web\/intruder\.ts is new and needs a decision/,
      );

      // The lead's decision: the story resumes from gate-3 and merges with the path it was allowed.
      const { grant, handle } = await orch.overrideDomain(sessionId, 'OUT-1', {
        reason: 'the web stub is agreed with the web team',
        actor: 'dana',
      });
      expect(grant).toMatchObject({ storyId: 'OUT-1', paths: ['src/web/intruder.ts'], actor: 'dana', domain: 'app' });
      expect((await handle.done).status).toBe('completed');
      expect((await statusOf(sessionId, 'OUT-1')).status).toBe('merged');
      expect(mainFiles()).toEqual(expect.arrayContaining(['src/app/out.ts', 'src/web/intruder.ts', 'src/app/ok.ts']));

      // Both the decision and its use at gate-3 are in the audit log, with who and why.
      const audit = await suite.store.db.select().from(auditLog).where(eq(auditLog.subjectId, subject));
      expect(audit.filter((a) => a.action === DOMAIN_OVERRIDE_GRANTED).map((a) => a.actor)).toEqual([
        'someone',
        'dana',
      ]);
      const used = audit.filter((a) => a.action === 'domain_boundary_override');
      expect(used).toHaveLength(1);
      expect(used[0]).toMatchObject({
        actor: 'dana',
        detail: expect.objectContaining({
          reason: 'the web stub is agreed with the web team',
          paths: ['src/web/intruder.ts'],
        }),
      });
      const gate3 = await suite.store.db
        .select()
        .from(gateRuns)
        .where(and(eq(gateRuns.storyRunId, out1.id), eq(gateRuns.gate, 'gate-3')));
      expect(gate3.map((g) => g.status)).toEqual(['failed', 'failed', 'passed']);
      expect(gate3.at(-1)!.detail).toMatchObject({ override: { by: 'dana', paths: ['src/web/intruder.ts'] } });

      // Once merged there is nothing left to override.
      const late = await orch
        .overrideDomain(sessionId, 'OUT-1', { reason: 'again, for no reason at all', actor: 'dana' })
        .catch((e: unknown) => e);
      expect((late as OrchestratorError).code).toBe('precondition_failed');
    } finally {
      await orch.dispose();
    }
  }, 180_000);
});
