import { existsSync, readFileSync } from 'node:fs';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { embeddedOrchestratorSuite } from '../../../../test/orchestrator/embedded-suite';
import { RecordingHub } from '../../../../test/orchestrator/recording-hub';
import { processesTagged } from '../../../../test/fixtures/repos/leftovers';
import {
  createScenario,
  importAndApprove,
  type Scenario,
  type StorySpec,
} from '../../../../test/orchestrator/scenario';
import { SCRIPTED_AGENT } from '../../../../test/fixtures/repos/agents';
import { repositories } from '../../store/repos';
import { sessionUsageMetrics } from '../metrics/session-metrics';
import { toGateAttemptView } from './session-views';

// Subagents on the embedded defaults (PGlite, in-process bus, real git and processes): the
// scripted agent prints spawn lines, WAVE runs them as child agents of the story.

const suite = embeddedOrchestratorSuite();
const { tag, orchestrator } = suite;
const made: Scenario[] = [];
afterAll(() => {
  for (const s of made) s.cleanup();
});

/** A scenario whose wave.config.json allows `maxPerStory` subagents per story. */
function scenario(stories: StorySpec[], maxPerStory: number, config: Record<string, unknown> = {}): Scenario {
  const s = createScenario({
    stories,
    config: {
      agent: { preset: 'command', command: [process.execPath, SCRIPTED_AGENT], subagents: { maxPerStory } },
      ...config,
    },
  });
  made.push(s);
  return s;
}

function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

async function gateLog(sessionId: string, gate: string): Promise<string> {
  const runs = await repositories(suite.store).gateRuns.ofSession(sessionId);
  const path = runs.find((r) => r.gate === gate)?.logPath;
  return path && existsSync(path) ? readFileSync(path, 'utf8') : '';
}

describe('subagents', () => {
  it('runs a spawned subagent in the story worktree, counts its cost in the budget, refuses depth 2 and spawns over the cap', async () => {
    const usage = (cost: number) => ({
      model: 'claude-sonnet-4-5',
      input_tokens: 1000,
      output_tokens: 100,
      cost_usd: cost,
    });
    const s = scenario(
      [
        {
          id: 'SUB-1',
          wave: 1,
          domain: 'app',
          create: ['src/app/sub1.ts'],
          testAgent: {
            usage: usage(0.01),
            spawn: [
              { task: 'write the helper module', paths: ['src/app/sub1.ts'] },
              { task: 'write the helper module again', paths: [] },
              { task: 'a third helper, over the cap', paths: [] },
            ],
            // Each subagent writes the helper, costs $0.25 and tries to start a subagent of its own.
            subagent: {
              content: { 'src/app/helper.ts': 'export const helper = 1;\n' },
              commit: false,
              usage: usage(0.25),
              spawn: [{ task: 'a grandchild', paths: [] }],
            },
          },
        },
      ],
      2,
      // With the subagents' $0.50 the session passes 80 % of its $0.60 budget; without, 3 %.
      { budgetUsd: 0.6 },
    );
    const prdId = await importAndApprove(suite.store, s);
    const hub = new RecordingHub();
    const orch = orchestrator(hub);
    try {
      const handle = await orch.startSession({ prdId, agentPreset: 'command', concurrency: 1 });
      const outcome = await handle.done;
      expect(outcome.status).toBe('completed');
      expect(outcome.stories.map((x) => x.status)).toEqual(['merged']);
      // The subagents' work is part of the story: merged on main.
      expect(s.repo.git(['show', 'main:src/app/helper.ts'])).toBe('export const helper = 1;');

      const rows = await repositories(suite.store).usage.ofSession(handle.sessionId);
      const parent = rows.find((r) => r.gate === 'gate-2' && !/-sub\d+$/.test(r.agent))!.agent;
      // The charts' cost by agent shows each subagent on its own.
      const byAgent = new Map(sessionUsageMetrics(rows, []).costBy.agent.map((a) => [a.key, a.usd]));
      expect(byAgent.get(`${parent}-sub1`)).toBeCloseTo(0.25);
      expect(byAgent.get(`${parent}-sub2`)).toBeCloseTo(0.25);
      expect([...byAgent.keys()].filter((a) => a.includes('-sub'))).toHaveLength(2);
      // The story's cost and its develop gate's include them (plan and develop: $0.01 each).
      expect(outcome.stories[0]!.cost_usd).toBeCloseTo(0.52);
      const develop = (await repositories(suite.store).gateRuns.ofSession(handle.sessionId)).find(
        (r) => r.gate === 'gate-2',
      )!;
      expect(Number(develop.costUsd)).toBeCloseTo(0.51);
      // The story detail lists them under the develop attempt.
      const listed = toGateAttemptView(develop)!.subagents!;
      expect(listed).toHaveLength(2);
      expect(listed).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            agent: `${parent}-sub1`,
            status: 'succeeded',
            costUsd: 0.25,
            // Within its develop attempt: the timeline draws it there.
            startedAt: expect.toSatisfy(
              (t: string) =>
                Date.parse(t) >= develop.startedAt.getTime() && Date.parse(t) <= develop.endedAt!.getTime(),
            ),
          }),
          expect.objectContaining({ agent: `${parent}-sub2`, status: 'succeeded', costUsd: 0.25 }),
        ]),
      );
      const spent = (await repositories(suite.store).usage.spentBySessions([handle.sessionId])).get(handle.sessionId)!;
      expect(spent).toBeGreaterThanOrEqual(0.5);
      expect(hub.of('notice').some((n) => n.kind === 'budget_warning')).toBe(true);

      const log = await gateLog(handle.sessionId, 'gate-2');
      expect(log).toMatch(new RegExp(`subagent ${parent}-sub1 started`));
      expect(log).toMatch(new RegExp(`subagent ${parent}-sub1 ended: succeeded`));
      expect(log).toContain('subagent refused: story SUB-1 already started 2 of at most 2 subagents');
      // Each subagent's own spawn line was refused in its log.
      const subLog = readFileSync(
        (await repositories(suite.store).gateRuns.ofSession(handle.sessionId))
          .find((r) => r.gate === 'gate-2')!
          .logPath!.replace(/(\.log)?$/, '-sub1.log'),
        'utf8',
      );
      expect(subLog).toContain('subagent refused: a subagent cannot start subagents (depth 1)');
      expect(processesTagged(tag)).toEqual([]);
    } finally {
      await orch.dispose();
    }
  }, 180_000);

  it('a STOP while a subagent runs kills it', async () => {
    const s = scenario(
      [
        {
          id: 'SUB-2',
          wave: 1,
          domain: 'app',
          create: ['src/app/sub2.ts'],
          testAgent: {
            spawn: [{ task: 'a long job', paths: ['src/app/sub2.ts'] }],
            subagent: { hang: true, ignore_sigterm: true },
          },
        },
      ],
      2,
    );
    const prdId = await importAndApprove(suite.store, s);
    const hub = new RecordingHub();
    const orch = orchestrator(hub);
    try {
      const handle = await orch.startSession({ prdId, agentPreset: 'command', concurrency: 1 });
      let pid = 0;
      await vi.waitFor(
        async () => {
          const m = /subagent \S+ started \(pid (\d+)/.exec(await gateLog(handle.sessionId, 'gate-2'));
          expect(m).not.toBeNull();
          pid = Number(m![1]);
        },
        { timeout: 60_000, interval: 100 },
      );
      // The story's agent has finished; the phase waits for its subagent, which hangs.
      await vi.waitFor(() => expect(processesTagged(tag)).toEqual([pid]), { timeout: 30_000, interval: 100 });
      expect(alive(pid)).toBe(true);
      await orch.stop(handle.sessionId, { reason: 'stop the helper' });
      const outcome = await handle.done;
      expect(outcome.status).toBe('stopped');
      expect(alive(pid)).toBe(false);
      expect(processesTagged(tag)).toEqual([]);
    } finally {
      await orch.dispose();
    }
  }, 180_000);
});
