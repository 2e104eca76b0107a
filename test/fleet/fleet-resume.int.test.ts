import { describe, expect, it } from 'vitest';
import { runWave, scenarioRunArgs } from '../orchestrator/child';
import type { StorySpec } from '../orchestrator/scenario';
import { fleetHarness } from './fleet-harness';

/*
 * Pausing and resuming a fleet session. Its budget is the session's, whatever worker spends it. Every agent phase of the
 * scripted agent costs $0.0081: with $0.02 the budget runs out after a few phases, spread over
 * two workers. The coordinator warns, hands out nothing more, and pauses the session once no
 * worker runs a story of it; `wave resume --budget` continues it on the fleet (no recovery
 * reset: each worker resumes a story from its last checkpoint) and every story lands once. A
 * story waiting for its merge approval goes on the same way once the approval is recorded.
 */
describe('pausing and resuming a fleet session', () => {
  const h = fleetHarness('fleet-resume');

  it('pauses the session across workers when it is used up, and resume --budget lands every story once', async () => {
    const stories: StorySpec[] = Array.from({ length: 4 }, (_, i) => ({
      id: `BU-${i + 1}`,
      wave: 1,
      domain: i % 2 === 0 ? ('app' as const) : ('web' as const),
      create: [`src/${i % 2 === 0 ? 'app' : 'web'}/bu${i + 1}.ts`],
    }));
    const { s, bare } = h.project(stories);
    await h.workers(['b1', 'b2'], ['--concurrency', '1', '--lease-ms', '3000']);
    const lead = { ...h.env(), WAVE_HOME: h.tmp('lead-home') };

    const first = await runWave(scenarioRunArgs(s, '--fleet', '--budget', '0.02', '--json'), lead);
    expect(first.code, first.stderr).toBe(1);
    expect(first.json.status).toBe('paused');
    expect(first.json.reason).toMatch(/budget of \$0\.02 is used up/);
    expect(first.stderr).toMatch(/has used \d+% of its budget/);
    expect(first.stderr).toMatch(/is out of budget/);
    const sessionId: string = first.json.session;
    const [spent] = await h.rows<{ usd: string }>(
      'select coalesce(sum(cost_usd), 0) as usd from usage where session_id = $1',
      [sessionId],
    );
    // At most the phases already running on the two workers (one each) went over.
    expect(Number(spent!.usd)).toBeLessThanOrEqual(0.02 + 2 * 0.0081 + 1e-9);
    expect(h.landed(bare, stories).some((n) => n === 0)).toBe(true);

    const resumed = await runWave(['resume', sessionId, '--budget', '5', '--json'], lead);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.json).toMatchObject({ session: sessionId, status: 'completed' });
    expect(resumed.stderr).toMatch(/continues on the fleet/);
    expect(h.landed(bare, stories)).toEqual(stories.map(() => 1));
    const [row] = await h.rows<{ budget_usd: string }>('select budget_usd from sessions where id = $1', [sessionId]);
    expect(Number(row!.budget_usd)).toBe(5);
  }, 180_000);

  it('a story waiting for its merge approval: approve-merge records it, wave resume continues on the fleet and lands it once', async () => {
    const stories: StorySpec[] = [{ id: 'AP-1', wave: 1, domain: 'app', create: ['src/app/ap1.ts'] }];
    const { s, bare } = h.project(stories, { merge: { strategy: 'merge', requireApproval: true } });
    await h.workers(['a1'], ['--concurrency', '1', '--lease-ms', '3000']);
    const lead = { ...h.env(), WAVE_HOME: h.tmp('approver-home') };

    const first = await runWave(scenarioRunArgs(s, '--fleet', '--json'), lead);
    expect(first.json.status).toBe('paused');
    expect(first.json.reason).toMatch(/Waiting for merge approval of AP-1/);
    expect(h.landed(bare, stories)).toEqual([0]);
    const sessionId: string = first.json.session;

    // The approval is recorded; this process does not run a fleet session's story, and says how to go on.
    const approve = await runWave(['approve-merge', sessionId, 'AP-1', '--comment', 'diff read', '--json'], lead);
    expect(approve.code).toBe(1);
    expect(approve.json.error.message).toMatch(/decision is recorded/);
    expect(approve.json.error.message).toMatch(new RegExp(`wave resume ${sessionId}`));
    expect(h.landed(bare, stories)).toEqual([0]);

    const resumed = await runWave(['resume', sessionId, '--json'], lead);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.json).toMatchObject({ session: sessionId, status: 'completed' });
    expect(h.landed(bare, stories)).toEqual([1]);
  }, 180_000);
});
