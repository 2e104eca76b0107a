import { formatTimestamp, type LatencyPoint, type LatencySnapshot, type LatencyStats } from '../../../shared/events';
import { silentLog, type EventBusLog, type LatencySink } from './ports';

export interface LatencyRecorderOptions {
  /** Sliding window of the live percentiles. Default 60 s. */
  windowMs?: number;
  /** Width of one persisted time-series bucket. Default 10 s. */
  bucketMs?: number;
  /** Closed buckets kept in memory for the charts. Default 90 (15 min at 10 s). */
  keepBuckets?: number;
  /** Samples kept per (bucket, type); beyond it a uniform reservoir sample keeps percentiles honest. */
  maxSamplesPerBucket?: number;
  sink?: LatencySink;
  log?: EventBusLog;
  now?: () => number;
}

interface Series {
  seen: number;
  max: number;
  samples: number[];
}

interface Bucket {
  start: number;
  byType: Map<string, Series>;
}

export const ALL_TYPES = '*';

/** Producer → handler-start latency per event type: sliding-window percentiles and a persisted time series. */
export class LatencyRecorder {
  private readonly windowMs: number;
  private readonly bucketMs: number;
  private readonly keepBuckets: number;
  private readonly maxSamples: number;
  private readonly now: () => number;
  private readonly log: EventBusLog;
  private current: Bucket;
  /** Closed buckets still inside the sliding window, with their raw samples. */
  private recent: Bucket[] = [];
  private series: LatencyPoint[] = [];
  private unsaved: LatencyPoint[] = [];
  private timer: ReturnType<typeof setInterval> | null = null;
  private flushing: Promise<void> = Promise.resolve();

  constructor(private readonly options: LatencyRecorderOptions = {}) {
    this.windowMs = options.windowMs ?? 60_000;
    this.bucketMs = options.bucketMs ?? 10_000;
    this.keepBuckets = options.keepBuckets ?? 90;
    this.maxSamples = options.maxSamplesPerBucket ?? 20_000;
    this.now = options.now ?? Date.now;
    this.log = options.log ?? silentLog;
    this.current = this.newBucket(this.now());
  }

  /** Overall p99 over the sliding window, or null before the first sample (what health shows). */
  p99Ms(): number | null {
    const overall = this.snapshot().overall;
    return overall.count ? overall.p99Ms : null;
  }

  /** Persists closed buckets every bucket width; the timer never keeps the process alive. */
  start(): void {
    if (this.timer || !this.options.sink) return;
    this.timer = setInterval(() => void this.flush(), this.bucketMs);
    this.timer.unref?.();
  }

  record(eventType: string, latencyMs: number): void {
    const ms = Number.isFinite(latencyMs) ? Math.max(0, latencyMs) : 0;
    this.rotate(this.now());
    this.add(this.current, eventType, ms);
    this.add(this.current, ALL_TYPES, ms);
  }

  snapshot(): LatencySnapshot {
    const now = this.now();
    this.rotate(now);
    const from = now - this.windowMs;
    const merged = new Map<string, Series>();
    for (const bucket of [...this.recent, this.current]) {
      if (bucket.start + this.bucketMs <= from) continue;
      for (const [type, s] of bucket.byType) {
        const m = merged.get(type) ?? { seen: 0, max: 0, samples: [] };
        m.seen += s.seen;
        m.max = Math.max(m.max, s.max);
        for (const v of s.samples) m.samples.push(v);
        merged.set(type, m);
      }
    }
    const byType: Record<string, LatencyStats> = {};
    for (const [type, s] of merged) if (type !== ALL_TYPES) byType[type] = stats(s);
    const all = merged.get(ALL_TYPES);
    return {
      at: formatTimestamp(now),
      windowMs: this.windowMs,
      overall: all ? stats(all) : { count: 0, p50Ms: 0, p95Ms: 0, p99Ms: 0, maxMs: 0 },
      byType,
      series: [...this.series],
      open: this.openPoint(now),
    };
  }

  /** The open bucket as a provisional "*" point (a short session has no closed bucket yet). */
  private openPoint(now: number): LatencyPoint | null {
    const all = this.current.byType.get(ALL_TYPES);
    if (!all || all.seen === 0) return null;
    const windowMs = Math.max(1, Math.min(this.bucketMs, Math.round(now - this.current.start)));
    return { eventType: ALL_TYPES, windowStart: formatTimestamp(this.current.start), windowMs, ...stats(all) };
  }

  /** Closes due buckets and writes unsaved points to the sink; failures are retried next time. */
  flush(options: { includeCurrent?: boolean } = {}): Promise<void> {
    this.flushing = this.flushing.then(async () => {
      const now = this.now();
      this.rotate(now);
      if (options.includeCurrent && this.current.byType.size > 0) {
        this.closeBucket(this.current);
        this.current = this.newBucket(now);
      }
      const sink = this.options.sink;
      if (!sink || this.unsaved.length === 0) return;
      const batch = this.unsaved;
      this.unsaved = [];
      try {
        await sink.write(batch);
      } catch (e) {
        this.unsaved = [...batch, ...this.unsaved].slice(-10_000);
        this.log.warn('Could not persist event latency statistics; will retry', { error: (e as Error).message });
      }
    });
    return this.flushing;
  }

  /** Stops the timer and persists what was recorded, including the open bucket. */
  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.flush({ includeCurrent: true });
  }

  private newBucket(at: number): Bucket {
    return { start: at - (at % this.bucketMs), byType: new Map() };
  }

  private add(bucket: Bucket, type: string, ms: number): void {
    let s = bucket.byType.get(type);
    if (!s) bucket.byType.set(type, (s = { seen: 0, max: 0, samples: [] }));
    s.seen++;
    if (ms > s.max) s.max = ms;
    if (s.samples.length < this.maxSamples) s.samples.push(ms);
    else {
      const j = Math.floor(Math.random() * s.seen);
      if (j < this.maxSamples) s.samples[j] = ms;
    }
  }

  private rotate(now: number): void {
    if (now < this.current.start + this.bucketMs) return;
    if (this.current.byType.size > 0) this.closeBucket(this.current);
    this.current = this.newBucket(now);
  }

  private closeBucket(bucket: Bucket): void {
    const windowStart = formatTimestamp(bucket.start);
    for (const [eventType, s] of bucket.byType) {
      const point: LatencyPoint = { eventType, windowStart, windowMs: this.bucketMs, ...stats(s) };
      this.series.push(point);
      this.unsaved.push(point);
    }
    this.recent.push(bucket);
    const horizon = this.now() - this.windowMs - this.bucketMs;
    this.recent = this.recent.filter((b) => b.start >= horizon);
    const oldestKept = bucket.start - this.keepBuckets * this.bucketMs;
    this.series = this.series.filter((p) => Date.parse(p.windowStart) > oldestKept);
  }
}

function stats(s: Series): LatencyStats {
  const sorted = Float64Array.from(s.samples).sort();
  return {
    count: s.seen,
    p50Ms: percentile(sorted, 50),
    p95Ms: percentile(sorted, 95),
    p99Ms: percentile(sorted, 99),
    maxMs: s.max,
  };
}

/** Nearest-rank percentile of an ascending array. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1] ?? 0;
}
