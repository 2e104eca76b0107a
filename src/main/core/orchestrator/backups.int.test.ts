import { describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { auditLog } from '../../store';
import { embeddedOrchestratorSuite } from '../../../../test/orchestrator/embedded-suite';
import { RecordingHub } from '../../../../test/orchestrator/recording-hub';
import { importAndApprove } from '../../../../test/orchestrator/scenario';
import { Backups } from '../executor';
import { continueSession } from '.';

// Work that is never lost, through real sessions: PGlite, the in-process bus, real git and
// the scripted agent. Every snapshot is read back from refs/wave/backup/ in the repository.

const suite = embeddedOrchestratorSuite();
const { tag, orchestrator, scenario } = suite;

describe("orchestrator: snapshots before destroying a story's work (embedded store)", () => {
  it("keeps a crashed gate-2's partial files through restart, reconcile and skip, and each QA retry's previous attempt", async () => {
    const s = scenario([
      // Writes its files without committing, then dies: a crash in the middle of gate-2.
      {
        id: 'R-1',
        wave: 1,
        domain: 'app',
        create: ['src/app/r1.ts'],
        testAgent: { crash: true, crash_phases: ['develop'], commit: false },
      },
      {
        id: 'S-1',
        wave: 1,
        domain: 'app',
        create: ['src/app/s1.ts'],
        testAgent: { crash: true, crash_phases: ['develop'], commit: false },
      },
      {
        id: 'P-1',
        wave: 1,
        domain: 'app',
        create: ['src/app/p1.ts'],
        testAgent: { crash: true, crash_phases: ['develop'], commit: false },
      },
      // QA fails on the first attempt; the fix phase repairs it.
      { id: 'Q-1', wave: 1, domain: 'web', create: ['src/web/q1.ts'], testAgent: { qa_fix: true } },
    ]);
    const prdId = await importAndApprove(suite.store, s);
    const backups = new Backups({ repoRoot: s.repo.path, targetBranch: 'main' });
    const show = (sha: string, path: string) => s.repo.git(['show', `${sha}:${path}`]);
    const options = { agentEnv: { WAVE_TEST_TAG: tag }, graceMs: 300 };

    const orch = orchestrator(new RecordingHub());
    let sessionId: string;
    try {
      const handle = await orch.startSession({ prdId, agentPreset: 'command' });
      sessionId = handle.sessionId;
      const outcome = await handle.done;
      expect(outcome.stories.find((x) => x.id === 'R-1')).toMatchObject({ status: 'failed', gate: 'gate-2' });
      expect(outcome.stories.find((x) => x.id === 'Q-1')).toMatchObject({ status: 'merged' });
    } finally {
      await orch.dispose();
    }

    // The QA attempt that failed is kept, though the fix commit and the merge moved past it.
    const q = await backups.list('Q-1');
    expect(q.map((x) => [x.operation, x.gate])).toEqual([['qa-retry', 'gate-4']]);
    expect(show(q[0]!.sha, 'src/web/q1.ts')).toContain('WAVE_QA_BROKEN');
    expect(s.repo.git(['show', 'main:src/web/q1.ts'])).not.toContain('WAVE_QA_BROKEN');

    // Restart R-1 from gate-0: its worktree is reset to main, its partial file snapshotted first.
    // P-1 resumes at gate-2: its worktree goes back to the gate-1 checkpoint, snapshotted first.
    // S-1 does not continue: the resume's reconcile removes its worktree, snapshotting it first.
    const restarted = await continueSession({
      store: suite.store,
      bus: suite.bus,
      dataDir: suite.dataDir,
      sessionId,
      strategy: 'resume_from_last',
      perStory: { 'R-1': { strategy: 'restart' } },
      onlyStories: ['R-1', 'P-1'],
      includeFailed: true,
      options,
    });
    expect(restarted.stories.find((x) => x.id === 'R-1')).toMatchObject({ status: 'failed', gate: 'gate-2' });
    const p = await backups.list('P-1');
    expect(p.map((x) => [x.operation, x.gate, x.actor])).toEqual([['reset', 'gate-2', 'orchestrator']]);
    expect(show(p[0]!.sha, 'src/app/p1.ts')).toContain('export const value');
    const r = await backups.list('R-1');
    expect(r.map((x) => [x.operation, x.gate, x.actor])).toEqual([['restart', 'gate-0', 'orchestrator']]);
    expect(show(r[0]!.sha, 'src/app/r1.ts')).toContain('export const value');
    // Against main as it is now (Q-1 merged meanwhile): r1.ts is new, q1.ts is missing.
    expect(r[0]).toMatchObject({ sessionId, filesChanged: 2 });
    const sOne = await backups.list('S-1');
    expect(sOne.map((x) => [x.operation, x.actor])).toEqual([['reconcile', 'reconcile']]);
    expect(show(sOne[0]!.sha, 'src/app/s1.ts')).toContain('export const value');

    // Skip R-1: its worktree goes, its work stays. The restart had put the partial file on a
    // newer main (Q-1 merged meanwhile), a state of its own: it is kept too.
    await continueSession({
      store: suite.store,
      bus: suite.bus,
      dataDir: suite.dataDir,
      sessionId,
      strategy: 'skip',
      onlyStories: ['R-1'],
      includeFailed: true,
      options,
    });
    expect(s.repo.worktrees()).toHaveLength(1);
    const afterSkip = await backups.list('R-1');
    expect(afterSkip.map((x) => x.operation)).toEqual(['reconcile', 'restart']);
    expect(afterSkip[1]!.id).toBe(r[0]!.id);
    expect(show(afterSkip[0]!.sha, 'src/app/r1.ts')).toBe(show(r[0]!.sha, 'src/app/r1.ts'));
    expect(show(afterSkip[0]!.sha, 'src/web/q1.ts')).toContain('export const value');

    // Every snapshot is in the audit log, saying what caused it.
    const rows = await suite.store.db.select().from(auditLog).where(eq(auditLog.action, 'backup_created'));
    const mine = rows.filter((x) => x.subjectId.startsWith(`${sessionId}/`));
    expect(
      mine
        .map((x) => `${x.subjectId.split('/')[1]} ${x.actor} ${(x.detail as { operation: string }).operation}`)
        .sort(),
    ).toEqual([
      'P-1 orchestrator reset',
      'Q-1 orchestrator qa-retry',
      'R-1 orchestrator restart',
      'R-1 reconcile reconcile',
      'S-1 reconcile reconcile',
    ]);
  }, 180_000);
});
