import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { EventEnvelope, EventName, EventOf } from '../../../shared/ipc';
import { AppSnapshot, MetricsView, SessionView } from '../../../shared/ipc';
import { DisposableMap } from '../../../shared/lifecycle';
import { createEventBus, type EventBus } from '../events';
import { EventHub } from '../rpc';
import { SettingsStore } from '../settings/settings-store';
import { openPgliteTestStore, type TestStore } from '../../../../test/helpers/pglite';
import { processesTagged } from '../../../../test/fixtures/repos/leftovers';
import {
  createScenario,
  importAndApprove,
  type Scenario,
  type StorySpec,
} from '../../../../test/orchestrator/scenario';
import type { SessionServices } from './session-handlers';
import { closeSessionServices, openSessionServices } from '../../../../test/orchestrator/session-services';

// The session requests the UI sends, over the real store, bus and event hub, with the
// scripted agent preset the UI tests use.

let ts: TestStore;
let bus: EventBus;
let hub: EventHub;
let settings: SettingsStore;
let services: SessionServices;
const seen: EventEnvelope[] = [];
const tag = randomUUID();
const scenarios: Scenario[] = [];
const ctx = { clientId: 'test', transport: 'websocket' as const, client: new DisposableMap<string>() };

beforeAll(async () => {
  ts = await openPgliteTestStore();
  bus = await createEventBus({ store: ts.store });
  hub = new EventHub();
  hub.subscribe((e) => void seen.push(e));
  settings = new SettingsStore(ts.dataDir);
  services = await openSessionServices(ts, bus, hub, { user: 'ui-lead', tag, settings });
});

afterAll(async () => {
  await services?.close();
  // A second close is harmless.
  await closeSessionServices({ services, hub, bus, ts, tag });
  for (const s of scenarios) s.cleanup();
});

function pushed<E extends EventName>(name: E, from = 0): Array<EventOf<E>> {
  return seen
    .slice(from)
    .filter((e) => e.name === name)
    .map((e) => e.payload as EventOf<E>);
}

async function project(stories: StorySpec[], budgetUsd: number | null): Promise<{ s: Scenario; prdId: string }> {
  const s = createScenario({ stories });
  scenarios.push(s);
  await settings.update({ projectPath: s.repo.path, agentPreset: 'scripted', concurrency: 2, budgetUsd });
  return { s, prdId: await importAndApprove(ts.store, s, undefined, 'scripted') };
}

function sessionStatus(id: string, from: number): string | undefined {
  return pushed('session.changed', from)
    .filter((x) => x.id === id)
    .at(-1)?.status;
}

describe('session services', () => {
  it('starts from the UI, pauses at the budget with notices, resumes with a larger budget, and reports metrics and logs', async () => {
    const from = seen.length;
    const { prdId } = await project(
      [
        { id: 'U-1', wave: 1, domain: 'app', create: ['src/app/u1.ts'] },
        { id: 'U-2', wave: 1, domain: 'app', create: ['src/app/u2.ts'] },
        { id: 'U-3', wave: 2, domain: 'web', create: ['src/web/u3.ts'], dependencies: ['U-1'] },
        { id: 'U-4', wave: 2, domain: 'web', create: ['src/web/u4.ts'] },
      ],
      // Each agent phase of the scripted agent costs $0.0081: the budget runs out after three.
      0.02,
    );
    const started = await services.handlers['session.start']({ prdId }, ctx);
    expect(started.status).toBe('running');
    expect(started.budgetUsd).toBe(0.02);
    const id = started.id;
    await vi.waitFor(() => expect(sessionStatus(id, from)).toBe('paused'), { timeout: 90_000, interval: 100 });
    await services.orchestrator.handle(id)?.done;

    const kinds = pushed('notice', from).map((n) => n.kind);
    expect(kinds).toContain('budget_warning');
    expect(kinds).toContain('budget_exceeded');
    const paused = await services.handlers['session.get']({ sessionId: id }, ctx);
    expect(paused.status).toBe('paused');
    expect(paused.statusReason).toMatch(/budget/i);
    // No agent phase started once the budget was gone: at most the phases already running went over.
    expect(paused.costUsd).toBeLessThanOrEqual(0.02 + 2 * 0.0081 + 1e-9);
    // Wave 2 never started: its stories wait, queued.
    expect(paused.stories.filter((x) => x.waveNumber === 2).map((x) => x.status)).toEqual(['queued', 'queued']);
    expect(paused.stories.every((x) => x.status !== 'running')).toBe(true);
    expect((await services.handlers['recovery.list']({}, ctx)).map((r) => r.session)).toContain(id);

    await settings.update({ budgetUsd: 5 });
    const resumed = await services.handlers['session.resume']({ sessionId: id, strategy: 'resume_from_last' }, ctx);
    expect(resumed).toMatchObject({ id, status: 'running', budgetUsd: 5 });
    await services.orchestrator.handle(id)?.done;
    const done = SessionView.parse(await services.handlers['session.get']({ sessionId: id }, ctx));
    expect(done.status).toBe('completed');
    expect(done.stories.map((x) => x.status)).toEqual(['merged', 'merged', 'merged', 'merged']);
    expect(pushed('notice', from).map((n) => n.kind)).toContain('completed');
    // The last pushed state of every story is its final state.
    for (const st of done.stories)
      expect(
        pushed('story.changed', from)
          .filter((v) => v.id === st.id)
          .at(-1)?.status,
      ).toBe('merged');
    expect(pushed('metrics.tick', from).some((m) => m.sessionId === id && m.costUsd > 0)).toBe(true);

    const metrics = MetricsView.parse(await services.handlers['metrics.get']({ sessionId: id }, ctx));
    expect(metrics.costBy.story.map((x) => x.key).sort()).toEqual(['U-1', 'U-2', 'U-3', 'U-4']);
    expect(metrics.costBy.model.map((x) => x.key)).toEqual(['claude-sonnet-4-5']);
    expect(metrics.costBy.agent.map((x) => x.key)).toEqual(['scripted']);
    expect(metrics.gateDurations.map((g) => g.gate)).toEqual([
      'gate-0',
      'gate-1',
      'gate-2',
      'gate-3',
      'gate-4',
      'gate-5',
      'gate-6',
      'gate-7',
    ]);
    expect(metrics.cumulativeCost.at(-1)!.usd).toBeCloseTo(done.costUsd, 5);
    expect(metrics.eventRate.length).toBeGreaterThan(0);
    expect(metrics.latency.length + metrics.tokens.length).toBeGreaterThan(0);

    const develop = done.stories[0]!.gates.find((g) => g.gate === 'gate-2')!;
    const log = await services.handlers['gate.log']({ gateRunId: develop.gateRunId }, ctx);
    expect(log.running).toBe(false);
    expect(log.text).toContain('scripted-agent: story U-1, phase develop');
    const piece = await services.handlers['gate.log']({ gateRunId: develop.gateRunId, offset: 0, maxBytes: 10 }, ctx);
    expect(piece).toMatchObject({ offset: 0, nextOffset: 10 });

    const snap = await services.snapshot();
    AppSnapshot.pick({ session: true, sessions: true, interrupted: true }).parse(snap);
    expect(snap.session?.id).toBe(id);
    expect(snap.interrupted.map((i) => i.session)).not.toContain(id);
  }, 180_000);

  it('stops from the UI (every agent stopped, progress pushed, log followed), lists it for recovery, and resumes it', async () => {
    const from = seen.length;
    const { prdId } = await project(
      [
        {
          id: 'V-1',
          wave: 1,
          domain: 'app',
          create: ['src/app/v1.ts'],
          testAgent: { delay_ms: 3000, grandchildren: 1, ignore_sigterm: true },
        },
        {
          id: 'V-2',
          wave: 1,
          domain: 'app',
          create: ['src/app/v2.ts'],
          testAgent: { delay_ms: 1500, grandchildren: 1, ignore_sigterm: true },
        },
      ],
      5,
    );
    const { id } = await services.handlers['session.start']({ prdId }, ctx);
    // Follow the log of an agent phase while it runs.
    let followed = 0;
    await vi.waitFor(
      () => {
        const running = pushed('story.changed', from)
          .flatMap((v) => v.gates)
          .find((g) => (g.gate === 'gate-1' || g.gate === 'gate-2') && g.status === 'running');
        expect(running).toBeDefined();
        followed = running!.gateRunId;
      },
      { timeout: 60_000, interval: 50 },
    );
    expect(await services.handlers['gate.follow']({ gateRunId: followed, follow: true }, ctx)).toEqual({
      following: true,
    });
    await vi.waitFor(() => expect(pushed('gate.logAppended', from).some((a) => a.gateRunId === followed)).toBe(true), {
      timeout: 30_000,
      interval: 50,
    });
    await services.handlers['gate.follow']({ gateRunId: followed, follow: false }, ctx);
    await vi.waitFor(() => expect(processesTagged(tag).length).toBeGreaterThanOrEqual(2), {
      timeout: 30_000,
      interval: 50,
    });

    const stopped = await services.handlers['session.stop']({ sessionId: id, reason: 'STOP pressed' }, ctx);
    expect(stopped).toMatchObject({ sessionId: id, aliveAfter: 0 });
    expect(stopped.stoppedAgents).toBeGreaterThanOrEqual(1);
    expect(processesTagged(tag)).toEqual([]);
    const progress = pushed('stop.progress', from).filter((p) => p.sessionId === id);
    expect(progress[0]!.phase).toBe('stopping');
    expect(progress.at(-1)).toMatchObject({ phase: 'stopped', alive: 0 });
    expect((await services.handlers['session.get']({ sessionId: id }, ctx)).status).toBe('stopped');
    await vi.waitFor(
      () =>
        expect(
          pushed('recovery.changed', from)
            .at(-1)
            ?.interrupted.map((i) => i.session),
        ).toContain(id),
      { timeout: 10_000 },
    );
    const listed = (await services.handlers['recovery.list']({}, ctx)).find((i) => i.session === id)!;
    expect(listed.why).toContain('STOP pressed');
    expect(listed.stories.length).toBeGreaterThanOrEqual(1);

    await services.handlers['session.resume']({ sessionId: id, strategy: 'resume_from_last' }, ctx);
    await services.orchestrator.handle(id)?.done;
    const after = await services.handlers['session.get']({ sessionId: id }, ctx);
    expect(after.status).toBe('completed');
    expect(processesTagged(tag)).toEqual([]);
    expect((await services.handlers['session.list']({}, ctx)).find((x) => x.id === id)?.status).toBe('completed');
  }, 180_000);

  it('answers clearly when there is nothing to act on', async () => {
    await expect(services.handlers['session.get']({ sessionId: 'ses-none' }, ctx)).rejects.toMatchObject({
      code: 'not_found',
    });
    await expect(services.handlers['session.stop']({}, ctx)).rejects.toMatchObject({ code: 'precondition_failed' });
    await expect(services.handlers['session.start']({ prdId: 'PRD-NOPE' }, ctx)).rejects.toMatchObject({
      code: 'not_found',
    });
    // The fleet needs the shared Postgres and Redis: refused with what to set, nothing created.
    const before = (await services.handlers['session.list']({}, ctx)).length;
    await expect(services.handlers['session.start']({ prdId: 'PRD-NOPE', fleet: true }, ctx)).rejects.toMatchObject({
      code: 'precondition_failed',
      message: expect.stringMatching(/set DATABASE_URL \(a shared Postgres\) and REDIS_URL \(a shared Redis\)/),
    });
    expect(await services.handlers['session.list']({}, ctx)).toHaveLength(before);
    await expect(services.handlers['gate.log']({ gateRunId: 999_999 }, ctx)).rejects.toMatchObject({
      code: 'not_found',
    });
    expect(await services.handlers['events.deadLetters']({ limit: 5 }, ctx)).toEqual([]);
  });
});
