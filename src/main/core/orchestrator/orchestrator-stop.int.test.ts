import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { embeddedOrchestratorSuite } from '../../../../test/orchestrator/embedded-suite';
import { RecordingHub } from '../../../../test/orchestrator/recording-hub';
import { processesTagged } from '../../../../test/fixtures/repos/leftovers';
import { importAndApprove } from '../../../../test/orchestrator/scenario';
import { expectedTree } from '../../../../test/orchestrator/expectations';
import { continueSession, Orchestrator, OrchestratorError, killSwitchPath } from '.';

// Emergency stop (kill switch), escalation and timeouts on the embedded defaults: PGlite and
// the in-process bus, real git, the scripted agent.

const suite = embeddedOrchestratorSuite();
const { tag, orchestrator, scenario } = suite;

describe('orchestrator: stop, escalation, timeout (embedded store)', () => {
  it('stops mid-wave on the kill switch .wave/STOP (no agent left alive, stories checkpointed), then resume completes', async () => {
    const slow = { delay_ms: 2000, grandchildren: 1, ignore_sigterm: true };
    const s = scenario([
      { id: 'S-1', wave: 1, domain: 'app', create: ['src/app/s1.ts'], testAgent: slow },
      { id: 'S-2', wave: 1, domain: 'app', create: ['src/app/s2.ts'], testAgent: slow },
      { id: 'S-3', wave: 1, domain: 'app', create: ['src/app/s3.ts'], testAgent: slow },
      { id: 'S-4', wave: 2, domain: 'web', create: ['src/web/s4.ts'], dependencies: ['S-1'] },
    ]);
    const prdId = await importAndApprove(suite.store, s);
    const hub = new RecordingHub();
    const orch = orchestrator(hub);
    let sessionId: string;
    try {
      const handle = await orch.startSession({ prdId, agentPreset: 'command', concurrency: 3 });
      sessionId = handle.sessionId;
      // Mid-wave: agents (and their grandchildren) running for several stories.
      await vi.waitFor(() => expect(processesTagged(tag).length).toBeGreaterThanOrEqual(4), {
        timeout: 60_000,
        interval: 50,
      });
      mkdirSync(join(s.repo.path, '.wave'), { recursive: true });
      writeFileSync(killSwitchPath(s.repo.path), 'release freeze\n');
      const outcome = await handle.done;
      expect(outcome.status).toBe('stopped');
      expect(processesTagged(tag)).toEqual([]);
      expect(outcome.reason).toContain('release freeze');
      const stopped = outcome.stories.filter((x) => x.status === 'stopped');
      expect(stopped.length).toBeGreaterThanOrEqual(2);
      // The stop was reported as it went, with the counts.
      const progress = hub.of('stop.progress');
      expect(progress[0]!.phase).toBe('stopping');
      expect(progress.at(-1)).toMatchObject({ phase: 'stopped', alive: 0 });
      expect(progress.at(-1)!.stopped).toBeGreaterThanOrEqual(2);
      expect(hub.of('notice').find((n) => n.kind === 'stopped')?.body).toMatch(/0 alive after/);
      // Nothing of wave 2 started.
      expect(outcome.stories.find((x) => x.id === 'S-4')!.status).toBe('queued');
      // While the kill switch is set, nothing resumes.
      const refused = await orch.resume(sessionId, { strategy: 'resume_from_last' }).catch((e) => e);
      expect(refused).toBeInstanceOf(OrchestratorError);
      expect(refused.message).toMatch(/kill switch/);
    } finally {
      await orch.dispose();
    }

    rmSync(killSwitchPath(s.repo.path));
    const resumed = await continueSession({
      store: suite.store,
      bus: suite.bus,
      dataDir: suite.dataDir,
      sessionId,
      options: { agentEnv: { WAVE_TEST_TAG: tag }, graceMs: 300 },
    });
    expect(resumed.status).toBe('completed');
    expect(resumed.stories.map((x) => x.status)).toEqual(['merged', 'merged', 'merged', 'merged']);
    expect(s.repo.git(['rev-parse', 'main^{tree}'])).toBe(expectedTree(s, ['S-1', 'S-2', 'S-3', 'S-4']));
    expect(processesTagged(tag)).toEqual([]);
  }, 180_000);

  it('escalates a story whose QA still fails after max_retries fixes, and fails a phase that passes its timeout', async () => {
    const s = scenario([
      // The fix phase itself fails every time: QA never passes.
      {
        id: 'E-1',
        wave: 1,
        domain: 'app',
        create: ['src/app/e1.ts'],
        testAgent: { qa_fix: true, fail_phases: ['fix'] },
        extra: { execution: { max_retries: 1 } },
      },
      {
        id: 'T-1',
        wave: 1,
        domain: 'app',
        create: ['src/app/t1.ts'],
        testAgent: { hang: ['develop'], grandchildren: 1 },
      },
    ]);
    const prdId = await importAndApprove(suite.store, s);
    const hub = new RecordingHub();
    const orch = new Orchestrator({
      store: suite.store,
      bus: suite.bus,
      hub,
      dataDir: suite.dataDir,
      options: { agentEnv: { WAVE_TEST_TAG: tag }, graceMs: 300, phaseTimeoutMs: 4_000 },
    });
    const escalations: string[] = [];
    try {
      const handle = await orch.startSession({ prdId, agentPreset: 'command' });
      const sub = await suite.bus.subscribe(
        'test-escalations',
        (e) => void (e.type === 'escalation' && escalations.push(e.story!)),
        { session: handle.sessionId },
      );
      const outcome = await handle.done;
      await sub.close();
      const e1 = outcome.stories.find((x) => x.id === 'E-1')!;
      expect(e1).toMatchObject({ status: 'escalated', gate: 'gate-4', attempts: 2 });
      expect(e1.reason).toMatch(/QA still fails after 1 fix attempt/);
      expect(hub.of('notice').find((n) => n.kind === 'escalation')?.title).toContain('E-1');
      await vi.waitFor(() => expect(escalations).toEqual(['E-1']), { timeout: 5_000 });
      const t1 = outcome.stories.find((x) => x.id === 'T-1')!;
      expect(t1).toMatchObject({ status: 'failed', gate: 'gate-2' });
      expect(t1.reason).toMatch(/did not finish within 4 s/);
      expect(processesTagged(tag)).toEqual([]);
    } finally {
      await orch.dispose();
    }
  }, 120_000);
});
