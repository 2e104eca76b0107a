import { readFileSync, writeFileSync } from 'node:fs';
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import type { StoryRunView } from '../../../shared/ipc';
import { embeddedOrchestratorSuite } from '../../../../test/orchestrator/embedded-suite';
import { RecordingHub } from '../../../../test/orchestrator/recording-hub';
import { sessions, storyRuns } from '../../store';
import { ensureProject, PrdService, StoryImporter } from '../prd';
import { loadWaveConfig } from '../config';
import { processesTagged } from '../../../../test/fixtures/repos/leftovers';
import { importAndApprove } from '../../../../test/orchestrator/scenario';
import { expectReferenceOutcome } from '../../../../test/orchestrator/expectations';
import { OrchestratorError } from '.';

// The orchestrator end to end on the embedded defaults: PGlite and the in-process bus,
// real git, the scripted agent. (orchestrator-servers.int.test.ts runs the same on
// Postgres and Redis.)

const suite = embeddedOrchestratorSuite();
const { tag, orchestrator, scenario } = suite;

describe('orchestrator on the embedded store', () => {
  it('runs 8 stories in 2 waves: a QA failure fixed on retry, a domain violation, a blocked dependent, merges on main', async () => {
    const s = scenario();
    const prdId = await importAndApprove(suite.store, s);
    const hub = new RecordingHub();
    const orch = orchestrator(hub);
    try {
      const handle = await orch.startSession({ prdId, agentPreset: 'command' });
      const outcome = await handle.done;
      await expectReferenceOutcome(suite.store, s, outcome);

      // The last story.changed of every story is its final state (throttled, never dropped).
      const last = new Map<string, StoryRunView>();
      for (const v of hub.of('story.changed')) last.set(v.storyId, v);
      for (const st of outcome.stories) expect(last.get(st.id)?.status, st.id).toBe(st.status);
      // APP-2: gate-4 failed once, then passed after the fix phase got the QA output.
      const app2 = last.get('APP-2')!;
      expect(app2.gates.filter((g) => g.gate === 'gate-4').map((g) => g.status)).toEqual(['failed', 'passed']);
      expect(app2.gates.find((g) => g.gate === 'gate-4' && g.status === 'failed')?.reason).toContain(
        'QA command "check"',
      );
      // Waves in order: no wave-2 story started before every wave-1 story ended.
      const rows = await suite.store.db.select().from(storyRuns).where(eq(storyRuns.sessionId, handle.sessionId));
      const wave1End = Math.max(
        ...rows.filter((r) => r.waveNumber === 1).map((r) => r.endedAt?.getTime() ?? r.updatedAt.getTime()),
      );
      const wave2Start = Math.min(
        ...rows.filter((r) => r.waveNumber === 2 && r.startedAt).map((r) => r.startedAt!.getTime()),
      );
      expect(wave2Start).toBeGreaterThanOrEqual(wave1End);
      // What the lead sees at the end.
      const final = hub.of('session.changed').at(-1)!;
      expect(final).toMatchObject({ id: handle.sessionId, status: 'failed', waveCount: 2 });
      expect(hub.of('notice').map((n) => n.kind)).toContain('failed');
      expect(processesTagged(tag)).toEqual([]);
    } finally {
      await orch.dispose();
    }
  }, 180_000);

  it('refuses a session whose agent preset is not the one approved, naming both; approved for that preset, it starts with it', async () => {
    const s = scenario([{ id: 'PRE-1', wave: 1, domain: 'app', create: ['src/app/pre.ts'] }]);
    const prdId = await importAndApprove(suite.store, s); // for wave.config.json's preset: command
    const orch = orchestrator(new RecordingHub());
    try {
      const refused = await orch.startSession({ prdId, agentPreset: 'scripted' }).catch((e) => e);
      expect(refused).toBeInstanceOf(OrchestratorError);
      expect(refused.code).toBe('precondition_failed');
      expect(refused.message).toMatch(/^Session not started: /);
      expect(refused.message).toContain('for agent preset command, not for scripted');
      expect(refused.message).toContain(`wave prd approve ${prdId} --agent scripted`);
      expect(await suite.store.db.select().from(sessions).where(eq(sessions.prdId, prdId))).toEqual([]);

      await new PrdService(suite.store).approve(prdId, { by: 'test-lead', agentPreset: 'scripted' });
      const handle = await orch.startSession({ prdId, agentPreset: 'scripted' });
      const outcome = await handle.done;
      expect(outcome.stories.map((x) => [x.id, x.status])).toEqual([['PRE-1', 'merged']]);
      const [row] = await suite.store.db.select().from(sessions).where(eq(sessions.id, handle.sessionId));
      expect((row!.config as { agent: { preset: string } }).agent.preset).toBe('scripted');
      // The approval moved to scripted: wave.config.json's preset now needs its own approval.
      const again = await orch.startSession({ prdId }).catch((e) => e);
      expect(again.message).toContain('for agent preset scripted, not for command');
    } finally {
      await orch.dispose();
    }
  }, 120_000);

  it('refuses to start a session when the PRD changed after its approval, and says so', async () => {
    const s = scenario([{ id: 'ONE-1', wave: 1, domain: 'app', create: ['src/app/x.ts'] }]);
    const prdId = await importAndApprove(suite.store, s);
    writeFileSync(s.prdFile, `${readFileSync(s.prdFile, 'utf8')}\nOne more requirement.\n`);
    const project = await ensureProject(suite.store, s.repo.path, (await loadWaveConfig(s.repo.path)).config);
    await new StoryImporter(suite.store).importPaths([s.prdFile], {
      projectId: project.id,
      actor: 'someone-else',
      cwd: s.repo.base,
    });
    const orch = orchestrator(new RecordingHub());
    try {
      const refused = await orch.startSession({ prdId, agentPreset: 'command' }).catch((e) => e);
      expect(refused).toBeInstanceOf(OrchestratorError);
      expect(refused.code).toBe('precondition_failed');
      expect(refused.message).toContain(prdId);
      expect(refused.message).toMatch(/text changed/);
      expect(refused.message).toMatch(/approve again/);
      expect(await suite.store.db.select().from(sessions).where(eq(sessions.prdId, prdId))).toEqual([]);
    } finally {
      await orch.dispose();
    }
  });
});
