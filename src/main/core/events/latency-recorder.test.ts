import { describe, expect, it } from 'vitest';
import { LatencyRecorder, percentile } from './latency-recorder';
import { MemoryLatencySink } from './memory-ports';

describe('LatencyRecorder', () => {
  it('gives nearest-rank percentiles per type and overall over the sliding window', () => {
    let now = 1_000_000;
    const rec = new LatencyRecorder({ now: () => now, windowMs: 60_000, bucketMs: 10_000 });
    for (let i = 1; i <= 100; i++) rec.record('progress', i);
    rec.record('usage', 500);
    const snap = rec.snapshot();
    expect(snap.byType.progress).toEqual({ count: 100, p50Ms: 50, p95Ms: 95, p99Ms: 99, maxMs: 100 });
    expect(snap.byType.usage).toEqual({ count: 1, p50Ms: 500, p95Ms: 500, p99Ms: 500, maxMs: 500 });
    expect(snap.overall.count).toBe(101);
    expect(snap.overall.maxMs).toBe(500);

    // A minute later the old samples have left the window but stay in the time series.
    now += 75_000;
    rec.record('progress', 7);
    const later = rec.snapshot();
    expect(later.byType.progress).toEqual({ count: 1, p50Ms: 7, p95Ms: 7, p99Ms: 7, maxMs: 7 });
    expect(later.byType.usage).toBeUndefined();
    expect(later.series.map((p) => p.eventType).sort()).toEqual(['*', 'progress', 'usage']);
    expect(later.series.find((p) => p.eventType === 'progress')).toMatchObject({
      count: 100,
      p99Ms: 99,
      windowMs: 10_000,
    });
  });

  it('persists closed buckets, and the open one on close, to the sink', async () => {
    let now = 0;
    const sink = new MemoryLatencySink();
    const rec = new LatencyRecorder({ now: () => now, bucketMs: 1_000, sink });
    rec.record('heartbeat', 2);
    now = 1_500;
    rec.record('heartbeat', 4);
    await rec.flush();
    expect(sink.points.map((p) => [p.eventType, p.windowStart, p.count])).toEqual([
      ['heartbeat', '1970-01-01T00:00:00.000000Z', 1],
      ['*', '1970-01-01T00:00:00.000000Z', 1],
    ]);
    await rec.close();
    expect(sink.points.filter((p) => p.windowStart === '1970-01-01T00:00:01.000000Z').map((p) => p.maxMs)).toEqual([
      4, 4,
    ]);
  });

  it('keeps percentiles representative when a bucket overflows its sample cap', () => {
    const rec = new LatencyRecorder({ maxSamplesPerBucket: 1_000 });
    for (let i = 0; i < 20_000; i++) rec.record('progress', i % 100);
    const stats = rec.snapshot().byType.progress;
    expect(stats?.count).toBe(20_000);
    expect(stats?.p50Ms).toBeGreaterThan(35);
    expect(stats?.p50Ms).toBeLessThan(65);
    expect(stats?.maxMs).toBe(99);
  });

  it('computes percentiles of small arrays without surprises', () => {
    expect(percentile([], 99)).toBe(0);
    expect(percentile([3], 50)).toBe(3);
    expect(percentile([1, 2, 3, 4], 50)).toBe(2);
    expect(percentile([1, 2, 3, 4], 100)).toBe(4);
  });
});
