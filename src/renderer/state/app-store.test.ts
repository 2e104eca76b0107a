import { beforeEach, describe, expect, it } from 'vitest';
import { emptySnapshotParts } from '../../../test/helpers/app-snapshot';
import { applyEvents, applySnapshot, useAppStore, type PendingEvent } from './app-store';

/** One pushed event, applied the way sync.ts applies a burst. */
const applyEvent = (name: PendingEvent['name'], payload: unknown, meta: { seq: number }) =>
  applyEvents([{ name, payload: payload as PendingEvent['payload'], seq: meta.seq }]);

const health = (detail: string) => ({
  store: { kind: 'pglite' as const, status: 'ok' as const, detail, latencyMs: 1, checkedAt: 'now' },
  events: {
    kind: 'in-process' as const,
    status: 'ok' as const,
    detail: 'ok',
    latencyMs: 0,
    checkedAt: 'now',
    reason: 'REDIS_URL not set',
    p99Ms: null,
  },
});
const info = {
  name: 'w',
  version: '1',
  dataDir: '/d',
  transport: 'websocket' as const,
  pid: 1,
  platform: 'p',
  startedAt: 'now',
  health: health('snap'),
};

describe('snapshot + sequenced events', () => {
  beforeEach(() =>
    applySnapshot({
      seq: 10,
      info,
      ...emptySnapshotParts(),
    }),
  );

  it('applies the next event in sequence', () => {
    expect(applyEvent('app.health', health('live'), { seq: 11 })).toBe(true);
    expect(useAppStore.getState().health?.store.detail).toBe('live');
    expect(useAppStore.getState().seq).toBe(11);
  });

  it('skips an event already folded into the snapshot', () => {
    expect(applyEvent('app.health', health('old'), { seq: 9 })).toBe(true);
    expect(useAppStore.getState().health?.store.detail).toBe('snap');
  });

  it('reports a gap instead of applying out of order', () => {
    expect(applyEvent('app.health', health('future'), { seq: 13 })).toBe(false);
    expect(useAppStore.getState().health?.store.detail).toBe('snap');
    expect(useAppStore.getState().seq).toBe(10);
  });
});

describe('session events', () => {
  const summary = {
    id: 's1',
    projectId: 'p',
    projectName: 'mathlib',
    prdId: 'PRD-1',
    status: 'running' as const,
    budgetUsd: 10,
    costUsd: 0,
    forecastUsd: null,
    concurrency: 2,
    currentWave: 1,
    waveCount: 2,
    createdAt: '2026-01-01T00:00:00Z',
    startedAt: '2026-01-01T00:00:00Z',
    endedAt: null,
    statusReason: null,
  };
  const story = (status: 'running' | 'merged', costUsd: number) => ({
    id: 'r1',
    sessionId: 's1',
    storyId: 'MATH-4',
    title: 'divide',
    waveNumber: 1,
    domain: 'be',
    agent: 'be-dev',
    status,
    currentGate: 'gate-4' as const,
    attempts: 1,
    costUsd,
    startedAt: null,
    endedAt: null,
    reason: null,
    mergeSha: null,
    progress: null,
    gates: [],
  });

  it('puts a new session on the board and keeps its stories current', () => {
    const seq = useAppStore.getState().seq;
    applyEvent('session.changed', summary, { seq: seq + 1 });
    applyEvent('story.changed', story('running', 0.1), { seq: seq + 2 });
    applyEvent('story.changed', story('merged', 0.41), { seq: seq + 3 });
    const s = useAppStore.getState().session;
    expect(s?.id).toBe('s1');
    expect(s?.stories).toHaveLength(1);
    expect(s?.stories[0]).toMatchObject({ status: 'merged', costUsd: 0.41 });
  });

  it("shows an agent's pushed progress line on its story, and ignores one for a story it does not show", () => {
    const seq = useAppStore.getState().seq;
    applyEvent('session.changed', summary, { seq: seq + 1 });
    applyEvent('story.changed', story('running', 0.1), { seq: seq + 2 });
    const line = (id: string, message: string) => ({
      id,
      sessionId: 's1',
      storyId: 'MATH-4',
      progress: { message, pct: 40 },
    });
    applyEvents([
      { name: 'story.progress', payload: line('r1', 'planning'), seq: seq + 3 },
      { name: 'story.progress', payload: line('r1', 'writing divide.js'), seq: seq + 4 },
      { name: 'story.progress', payload: line('r-unknown', 'elsewhere'), seq: seq + 5 },
    ]);
    const s = useAppStore.getState().session;
    expect(s?.stories).toHaveLength(1);
    expect(s?.stories[0]).toMatchObject({ status: 'running', progress: { message: 'writing divide.js', pct: 40 } });
  });
});

describe('batched events and log tails', () => {
  it('applies a burst in one update and stops at a gap', async () => {
    const seq = useAppStore.getState().seq;
    const tick = (at: string) => ({ sessionId: null, at, latency: null, eventsPerSecond: 1, costUsd: 0 });
    const ok = applyEvents([
      { name: 'metrics.tick', payload: tick('a'), seq: seq + 1 },
      { name: 'metrics.tick', payload: tick('b'), seq: seq + 2 },
      { name: 'metrics.tick', payload: tick('c'), seq: seq + 4 },
    ]);
    expect(ok).toBe(false);
    expect(useAppStore.getState().seq).toBe(seq + 2);
    expect(
      useAppStore
        .getState()
        .ticks.slice(-2)
        .map((t) => t.at),
    ).toEqual(['a', 'b']);
  });

  it('stitches a fetched log and pushed pieces by byte offset, without duplicates', async () => {
    const { appendLog, seedLog } = await import('./app-store');
    let tail = appendLog(undefined, 10, 'line 2\n');
    tail = appendLog(tail, 10, 'line 2\n');
    expect(tail).toEqual({ text: 'line 2\n', start: 10, end: 17 });
    tail = appendLog(tail, 20, 'line 4\n');
    expect(tail.text).toContain('3 bytes not received');
    useAppStore.setState({ logs: { 7: appendLog(undefined, 4, 'two\nthree\n') } });
    seedLog(7, 'one\ntwo\n', 0, 8);
    expect(useAppStore.getState().logs[7]?.text).toBe('one\ntwo\nthree\n');
  });
});
