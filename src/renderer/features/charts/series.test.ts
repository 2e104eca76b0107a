import { describe, expect, it } from 'vitest';
import { contextTokenRows, durationHistogram, mergeSeries, timeAxisTicks, timeTicks, withForecast } from './series';

const tick = (at: string, costUsd: number, sessionId: string | null = 's1') => ({
  sessionId,
  at,
  latency: { p50Ms: 1, p95Ms: 2, p99Ms: 3, count: 10 },
  eventsPerSecond: 5,
  costUsd,
});

describe('chart series', () => {
  it('groups context tokens by story, one bar per gate in pipeline order', () => {
    const { rows, gates } = contextTokenRows([
      { storyId: 'A-1', gate: 'gate-2', tokens: 900, repoTokens: 10_000 },
      { storyId: 'A-1', gate: 'gate-1', tokens: 800, repoTokens: 10_000 },
      { storyId: 'B-1', gate: 'gate-4', tokens: 50, repoTokens: 10_000 },
    ]);
    expect(gates).toEqual(['gate-1', 'gate-2', 'gate-4']);
    expect(rows).toEqual([
      { story: 'A-1', 'gate-1': 800, 'gate-2': 900 },
      { story: 'B-1', 'gate-4': 50 },
    ]);
  });

  it('appends only ticks newer than the fetched series, of the same session', () => {
    const base = {
      latency: [{ at: '2026-01-01T00:00:10Z', p50Ms: 1, p95Ms: 2, p99Ms: 4, count: 3 }],
      eventRate: [],
      cumulativeCost: [{ at: '2026-01-01T00:00:10Z', usd: 0.5 }],
      costBy: { story: [], agent: [], model: [] },
      tokens: [],
      gateDurations: [],
      contextTokens: [],
    };
    const s = mergeSeries(
      base,
      [tick('2026-01-01T00:00:05Z', 0.1), tick('2026-01-01T00:00:11Z', 0.6), tick('2026-01-01T00:00:12Z', 9, 'other')],
      's1',
    );
    expect(s.latency).toHaveLength(2);
    expect(s.cost.map((c) => c.usd)).toEqual([0.5, 0.6]);
    expect(s.rate).toHaveLength(2);
  });

  it('projects the forecast in time from the spend rate', () => {
    const { rows, endsAt } = withForecast(
      [
        { t: 0, usd: 0 },
        { t: 1000, usd: 1 },
      ],
      3,
    );
    expect(endsAt).toBe(3000);
    expect(rows.at(-1)).toEqual({ t: 3000, forecast: 3 });
  });

  it('buckets gate durations per gate', () => {
    const h = durationHistogram([{ gate: 'gate-4', durationsMs: [500, 2000, 2500, 3_600_000] }]);
    expect(h[0]).toMatchObject({ bucket: '< 1 s', 'gate-4': 1 });
    expect(h[1]).toMatchObject({ 'gate-4': 2 });
    expect(h.at(-1)).toMatchObject({ 'gate-4': 1 });
  });
});

describe('time axis ticks', () => {
  it('never puts more than 5 labels on the axis, whatever the span, each distinct and a whole step inside the data', () => {
    const start = Date.parse('2026-12-04T14:03:17.250Z');
    for (const span of [0, 400, 3_000, 9_000, 61_000, 7 * 60_000, 59 * 60_000, 5 * 3600_000, 3 * 86_400_000]) {
      const { ticks, label } = timeAxisTicks(start, start + span);
      expect(ticks.length, `span ${span}`).toBeGreaterThanOrEqual(1);
      expect(ticks.length, `span ${span}`).toBeLessThanOrEqual(5);
      expect(new Set(ticks.map(label)).size, `span ${span}`).toBe(ticks.length);
      for (const t of ticks) expect(t >= start && t <= start + span, `span ${span}`).toBe(true);
      const steps = ticks.slice(1).map((t, i) => t - ticks[i]!);
      expect(new Set(steps).size, `span ${span}: even steps`).toBeLessThanOrEqual(1);
    }
  });

  it('has no ticks without data', () => {
    expect(timeTicks(Infinity, -Infinity)).toEqual([]);
  });
});
