import { randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StoryRunView } from '../../../shared/ipc';
import { RecordingHub } from '../../../../test/orchestrator/recording-hub';
import { sessions, storyRuns, type Store } from '../../store';
import { createEventBus, type EventBus } from '../events';
import { ensureProject, StoryImporter } from '../prd';
import { loadWaveConfig } from '../config';
import { openPgliteTestStore, type TestStore } from '../../../../test/helpers/pglite';
import { killTagged, processesTagged } from '../../../../test/fixtures/repos/leftovers';
import { createScenario, importAndApprove, type Scenario, type StorySpec } from '../../../../test/orchestrator/scenario';
import { expectReferenceOutcome } from '../../../../test/orchestrator/expectations';
import { Orchestrator, OrchestratorError } from '.';

// The orchestrator end to end on the embedded defaults: PGlite and the in-process bus,
// real git, the scripted agent. (orchestrator-servers.int.test.ts runs the same on
// Postgres and Redis.)

let ts: TestStore;
let store: Store;
let bus: EventBus;
const tag = randomUUID();
const scenarios: Scenario[] = [];

beforeAll(async () => {
  ts = await openPgliteTestStore();
  store = ts.store;
  bus = await createEventBus({ store });
});

afterAll(async () => {
  await bus?.close();
  await ts?.close();
  killTagged(tag);
  for (const s of scenarios) s.cleanup();
});

function orchestrator(hub: RecordingHub): Orchestrator {
  return new Orchestrator({ store, bus, hub, dataDir: ts.dataDir, options: { agentEnv: { WAVE_TEST_TAG: tag }, graceMs: 300, controlIntervalMs: 100 } });
}

function scenario(stories?: StorySpec[]): Scenario {
  const s = createScenario({ stories });
  scenarios.push(s);
  return s;
}

describe('orchestrator on the embedded store', () => {
  it('runs 8 stories in 2 waves: a QA failure fixed on retry, a domain violation, a blocked dependent, merges on main', async () => {
    const s = scenario();
    const prdId = await importAndApprove(store, s);
    const hub = new RecordingHub();
    const orch = orchestrator(hub);
    try {
      const handle = await orch.startSession({ prdId, agentPreset: 'command' });
      const outcome = await handle.done;
      await expectReferenceOutcome(store, s, outcome);

      // The last story.changed of every story is its final state (throttled, never dropped).
      const last = new Map<string, StoryRunView>();
      for (const v of hub.of('story.changed')) last.set(v.storyId, v);
      for (const st of outcome.stories) expect(last.get(st.id)?.status, st.id).toBe(st.status);
      // APP-2: gate-4 failed once, then passed after the fix phase got the QA output.
      const app2 = last.get('APP-2')!;
      expect(app2.gates.filter((g) => g.gate === 'gate-4').map((g) => g.status)).toEqual(['failed', 'passed']);
      expect(app2.gates.find((g) => g.gate === 'gate-4' && g.status === 'failed')?.reason).toContain('QA command "check"');
      // Waves in order: no wave-2 story started before every wave-1 story ended.
      const rows = await store.db.select().from(storyRuns).where(eq(storyRuns.sessionId, handle.sessionId));
      const wave1End = Math.max(...rows.filter((r) => r.waveNumber === 1).map((r) => r.endedAt?.getTime() ?? r.updatedAt.getTime()));
      const wave2Start = Math.min(...rows.filter((r) => r.waveNumber === 2 && r.startedAt).map((r) => r.startedAt!.getTime()));
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

  it('refuses to start a session when the PRD changed after its approval, and says so', async () => {
    const s = scenario([{ id: 'ONE-1', wave: 1, domain: 'app', create: ['src/app/x.ts'] }]);
    const prdId = await importAndApprove(store, s);
    writeFileSync(s.prdFile, `${readFileSync(s.prdFile, 'utf8')}\nOne more requirement.\n`);
    const project = await ensureProject(store, s.repo.path, (await loadWaveConfig(s.repo.path)).config);
    await new StoryImporter(store).importPaths([s.prdFile], { projectId: project.id, actor: 'someone-else', cwd: s.repo.base });
    const orch = orchestrator(new RecordingHub());
    try {
      const refused = await orch.startSession({ prdId, agentPreset: 'command' }).catch((e) => e);
      expect(refused).toBeInstanceOf(OrchestratorError);
      expect(refused.code).toBe('precondition_failed');
      expect(refused.message).toContain(prdId);
      expect(refused.message).toMatch(/text changed/);
      expect(refused.message).toMatch(/approve again/);
      expect(await store.db.select().from(sessions).where(eq(sessions.prdId, prdId))).toEqual([]);
    } finally {
      await orch.dispose();
    }
  });
});
