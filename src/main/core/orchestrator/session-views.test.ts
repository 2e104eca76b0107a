import { describe, expect, it } from 'vitest';
import type { GateRun } from '../../store';
import { toGateAttemptView } from './session-views';

const run = (over: Partial<GateRun>): GateRun =>
  ({
    id: 7,
    storyRunId: 'r1',
    sessionId: 's1',
    gate: 'gate-2',
    attempt: 1,
    epoch: 0,
    status: 'failed',
    startedAt: new Date('2026-01-01T00:00:00Z'),
    endedAt: new Date('2026-01-01T00:00:02Z'),
    durationMs: 2000,
    inputTokens: 0,
    outputTokens: 0,
    costUsd: 0,
    logPath: null,
    detail: null,
    ...over,
  }) as GateRun;

describe('gate attempt view', () => {
  it('shows a gate cut short by an emergency stop as stopped, not as a failure', () => {
    expect(toGateAttemptView(run({ detail: { stopped: true, reason: 'stopped: end of day' } }))?.status).toBe(
      'stopped',
    );
  });

  it('keeps a real failure a failure, with its one-line reason', () => {
    const v = toGateAttemptView(run({ detail: { reason: 'npm test failed: 2 tests\nmore output' } }));
    expect(v?.status).toBe('failed');
    expect(v?.reason).toBe('npm test failed: 2 tests');
  });
});
