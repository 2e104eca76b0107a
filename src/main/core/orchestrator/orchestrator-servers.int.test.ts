import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { auditLog, openStore, sessions, storyRuns, type Store } from '../../store';
import { createEventBus, publishRemote, type EventBus } from '../events';
import { createTestDatabase, type TestDatabase } from '../../../../test/helpers/pg';
import { cleanupPrefix, uniquePrefix } from '../../../../test/helpers/redis';
import { TEST_REDIS_URL } from '../../../../test/helpers/env';
import { killTagged, processesTagged } from '../../../../test/fixtures/repos/leftovers';
import { createScenario, importAndApprove, type Scenario } from '../../../../test/orchestrator/scenario';
import { expectReferenceOutcome, expectedTree } from '../../../../test/orchestrator/expectations';
import { killChildren, runWave } from '../../../../test/orchestrator/child';
import { continueSession, Orchestrator } from '.';

// The same end-to-end runs on the real servers: Postgres (a database of its own) and Redis
// (a key prefix of its own), plus an emergency stop sent by `wave stop` from another process.

let db: TestDatabase;
let store: Store;
let bus: EventBus;
let dataDir: string;
const prefix = uniquePrefix('orch');
const tag = randomUUID();
const scenarios: Scenario[] = [];

beforeAll(async () => {
  db = await createTestDatabase('orch');
  dataDir = mkdtempSync(join(tmpdir(), 'wave-orch-servers-'));
  store = await openStore({ dataDir, databaseUrl: db.url });
  bus = await createEventBus({ redisUrl: TEST_REDIS_URL, keyPrefix: prefix, store });
});

afterAll(async () => {
  killChildren();
  await bus?.close();
  await store?.close();
  await db?.drop();
  await cleanupPrefix(prefix);
  killTagged(tag);
  for (const s of scenarios) s.cleanup();
  rmSync(dataDir, { recursive: true, force: true });
});

function orchestrator(): Orchestrator {
  return new Orchestrator({ store, bus, dataDir, options: { agentEnv: { WAVE_TEST_TAG: tag }, graceMs: 300 } });
}

describe('orchestrator on Postgres and Redis', () => {
  it('runs 8 stories in 2 waves with the same outcome as on the embedded store', async () => {
    expect(bus.kind).toBe('redis');
    const s = createScenario();
    scenarios.push(s);
    const prdId = await importAndApprove(store, s);
    const orch = orchestrator();
    try {
      const handle = await orch.startSession({ prdId, agentPreset: 'command' });
      await expectReferenceOutcome(store, s, await handle.done);
      expect(processesTagged(tag)).toEqual([]);
    } finally {
      await orch.dispose();
    }
  }, 180_000);

  it('stops when `wave stop` runs in another process (Redis system stream + store), leaves no agent alive, and resumes to completion', async () => {
    const s = createScenario({
      stories: [
        // Hangs in develop, ignoring SIGTERM, until stopped: there is always an agent to stop.
        {
          id: 'R-1',
          wave: 1,
          domain: 'app',
          create: ['src/app/r1.ts'],
          testAgent: { hang: ['develop'], ignore_sigterm: true, grandchildren: 1 },
        },
        {
          id: 'R-2',
          wave: 1,
          domain: 'app',
          create: ['src/app/r2.ts'],
          testAgent: { delay_ms: 800, grandchildren: 1 },
        },
        { id: 'R-3', wave: 2, domain: 'web', create: ['src/web/r3.ts'], dependencies: ['R-2'] },
      ],
    });
    scenarios.push(s);
    const prdId = await importAndApprove(store, s);
    const orch = orchestrator();
    let sessionId: string;
    try {
      const handle = await orch.startSession({ prdId, agentPreset: 'command', concurrency: 2 });
      sessionId = handle.sessionId;
      await vi.waitFor(
        async () => {
          const [r1] = await store.db
            .select()
            .from(storyRuns)
            .where(and(eq(storyRuns.sessionId, sessionId), eq(storyRuns.storyId, 'R-1')));
          expect(r1?.currentGate).toBe('gate-2');
        },
        { timeout: 60_000, interval: 100 },
      );
      const stop = await runWave(['stop', sessionId, '--reason', 'lead pressed stop in a terminal', '--json'], {
        WAVE_HOME: dataDir,
        DATABASE_URL: db.url,
        REDIS_URL: TEST_REDIS_URL,
        WAVE_REDIS_PREFIX: prefix,
        WAVE_USER: 'terminal-lead',
      });
      expect(stop.code, stop.stderr).toBe(0);
      expect(stop.json).toMatchObject({ session: sessionId, alive_after: 0 });
      expect(stop.json.stopped_agents).toBeGreaterThanOrEqual(1);
      const outcome = await handle.done;
      expect(outcome.status).toBe('stopped');
      expect(outcome.reason).toContain('lead pressed stop in a terminal');
      expect(outcome.stories.find((x) => x.id === 'R-1')).toMatchObject({ status: 'stopped', gate: 'gate-2' });
      expect(processesTagged(tag)).toEqual([]);
      const [audit] = await store.db
        .select()
        .from(auditLog)
        .where(and(eq(auditLog.subjectId, sessionId), eq(auditLog.action, 'session.emergency_stop')));
      expect(audit?.detail).toMatchObject({ aliveAfter: 0 });
    } finally {
      await orch.dispose();
    }
    // R-1 would hang again: the lead skips it and resumes the rest.
    const resumed = await continueSession({
      store,
      bus,
      dataDir,
      sessionId,
      perStory: { 'R-1': { strategy: 'skip' } },
      options: { agentEnv: { WAVE_TEST_TAG: tag }, graceMs: 300 },
    });
    expect(resumed.status).toBe('completed');
    expect(resumed.stories.map((x) => `${x.id}:${x.status}`)).toEqual(['R-1:cancelled', 'R-2:merged', 'R-3:merged']);
    expect(s.repo.git(['rev-parse', 'main^{tree}'])).toBe(expectedTree(s, ['R-2', 'R-3']));
    const [row] = await store.db.select().from(sessions).where(eq(sessions.id, sessionId));
    expect(row).toMatchObject({ status: 'completed', ownerPid: null });
    expect(processesTagged(tag)).toEqual([]);
  }, 180_000);

  it("stops on an emergency_stop published to the session's Redis system stream by another connection", async () => {
    const s = createScenario({
      stories: [
        {
          id: 'Q-1',
          wave: 1,
          domain: 'app',
          create: ['src/app/q1.ts'],
          testAgent: { delay_ms: 1500, grandchildren: 1 },
        },
      ],
    });
    scenarios.push(s);
    const prdId = await importAndApprove(store, s);
    const orch = orchestrator();
    try {
      const handle = await orch.startSession({ prdId, agentPreset: 'command' });
      await vi.waitFor(() => expect(processesTagged(tag).length).toBeGreaterThanOrEqual(1), {
        timeout: 60_000,
        interval: 50,
      });
      await publishRemote(
        { redisUrl: TEST_REDIS_URL, keyPrefix: prefix, source: 'cli:elsewhere' },
        { type: 'emergency_stop', session: handle.sessionId, reason: 'stop from another machine', by: 'remote-lead' },
      );
      const outcome = await handle.done;
      expect(outcome.status).toBe('stopped');
      expect(outcome.reason).toBe('Stopped by remote-lead: stop from another machine');
      expect(processesTagged(tag)).toEqual([]);
    } finally {
      await orch.dispose();
    }
  }, 120_000);
});
