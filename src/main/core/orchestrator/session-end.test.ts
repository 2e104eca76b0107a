import { describe, expect, it } from 'vitest';
import type { StoryRun } from '../../store';
import { MERGE_APPROVAL_WAIT } from './merge-approval';
import { decideSessionEnd, type SessionEndFacts } from './session-end';

function run(storyId: string, status: StoryRun['status'], extra: Partial<StoryRun> = {}): StoryRun {
  return { id: `s:${storyId}`, sessionId: 's', storyId, status, currentGate: null, reason: null, ...extra } as StoryRun;
}

const awaiting = (id: string) =>
  run(id, 'blocked', { currentGate: 'gate-7', reason: `${MERGE_APPROVAL_WAIT} of wave/${id} at abc into main.` });

function facts(runs: StoryRun[], extra: Partial<SessionEndFacts> = {}): SessionEndFacts {
  return {
    runs,
    errors: [],
    pausedForBudget: false,
    budget: { spentUsd: 1.5, budgetUsd: 2 },
    targetBranch: 'main',
    dependencies: new Map(),
    ...extra,
  };
}

describe('how a session ends', () => {
  it('completes when every story merged (or was cancelled)', () => {
    const end = decideSessionEnd('s', facts([run('A', 'merged'), run('B', 'cancelled')]));
    expect(end).toMatchObject({
      status: 'completed',
      reason: 'All 2 stories merged into main.',
      notice: { kind: 'completed' },
    });
  });

  it('fails with the stories by status otherwise', () => {
    const end = decideSessionEnd(
      's',
      facts([run('A', 'merged'), run('B', 'failed'), run('C', 'escalated'), run('D', 'failed')]),
    );
    expect(end.status).toBe('failed');
    expect(end.reason).toBe('1 of 4 stories merged; failed: B, D; escalated: C.');
  });

  it('an error outside the gates fails it, saying the checkpoints are intact', () => {
    const end = decideSessionEnd('s', facts([run('A', 'merged')], { errors: ['A: disk full'] }));
    expect(end).toMatchObject({ status: 'failed' });
    expect(end.reason).toContain('disk full');
    expect(end.reason).toContain('checkpoints are intact');
  });

  it('a used-up budget pauses it without a notice of its own (the pause had one)', () => {
    const end = decideSessionEnd('s', facts([run('A', 'merged'), run('B', 'queued')], { pausedForBudget: true }));
    expect(end).toMatchObject({ status: 'paused', notice: null });
    expect(end.reason).toContain('$2.00 is used up ($1.5000 spent); 1 story waits');
  });

  it('waiting only for merge approvals (directly or through dependencies) pauses it and tells the lead', () => {
    const blockedByA = run('B', 'blocked', { currentGate: 'gate-0' });
    const end = decideSessionEnd('s', facts([awaiting('A'), blockedByA], { dependencies: new Map([['B', ['A']]]) }));
    expect(end).toMatchObject({ status: 'paused', notice: { kind: 'escalation' } });
    expect(end.reason).toContain('Waiting for merge approval of A');
  });

  it('a dependency that failed makes a waiting session a failed one', () => {
    const end = decideSessionEnd(
      's',
      facts([awaiting('A'), run('C', 'failed'), run('B', 'blocked', { currentGate: 'gate-0' })], {
        dependencies: new Map([['B', ['C']]]),
      }),
    );
    expect(end.status).toBe('failed');
  });
});
