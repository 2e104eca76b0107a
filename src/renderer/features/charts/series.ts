import type { MetricsView } from '../../../shared/ipc/views';
import type { MetricsTick } from '../../state/app-store';

export interface LatencyRow {
  t: number;
  p50: number;
  p95: number;
  p99: number;
}
export interface RateRow {
  t: number;
  perSecond: number;
}
export interface CostRow {
  t: number;
  usd?: number;
  forecast?: number;
}

/** The fetched series plus every pushed tick newer than them, for one session. */
export function mergeSeries(base: MetricsView | null, ticks: readonly MetricsTick[], sessionId: string | null) {
  const latency: LatencyRow[] = (base?.latency ?? []).map((p) => ({
    t: Date.parse(p.at),
    p50: p.p50Ms,
    p95: p.p95Ms,
    p99: p.p99Ms,
  }));
  const rate: RateRow[] = (base?.eventRate ?? []).map((p) => ({ t: Date.parse(p.at), perSecond: p.perSecond }));
  const cost: CostRow[] = (base?.cumulativeCost ?? []).map((p) => ({ t: Date.parse(p.at), usd: p.usd }));
  const lastOf = (rows: Array<{ t: number }>) => (rows.length ? rows[rows.length - 1]!.t : -Infinity);
  const [lastLatency, lastRate, lastCost] = [lastOf(latency), lastOf(rate), lastOf(cost)];
  for (const tick of ticks) {
    if (sessionId !== null && tick.sessionId !== null && tick.sessionId !== sessionId) continue;
    const t = Date.parse(tick.at);
    if (tick.latency && t > lastLatency)
      latency.push({ t, p50: tick.latency.p50Ms, p95: tick.latency.p95Ms, p99: tick.latency.p99Ms });
    if (t > lastRate) rate.push({ t, perSecond: tick.eventsPerSecond });
    if (t > lastCost && tick.sessionId !== null) cost.push({ t, usd: tick.costUsd });
  }
  return { latency, rate, cost };
}

/**
 * Adds a straight-line forecast from the last cost point to the projected total, placed
 * in time by the spend rate so far. Without a rate the forecast is only a level.
 */
export function withForecast(cost: CostRow[], forecastUsd: number | null): { rows: CostRow[]; endsAt: number | null } {
  if (forecastUsd === null || cost.length < 2) return { rows: cost, endsAt: null };
  const first = cost[0]!;
  const last = cost[cost.length - 1]!;
  const spent = (last.usd ?? 0) - (first.usd ?? 0);
  const span = last.t - first.t;
  if (spent <= 0 || span <= 0 || forecastUsd <= (last.usd ?? 0)) return { rows: cost, endsAt: null };
  const rate = spent / span;
  const endsAt = last.t + (forecastUsd - (last.usd ?? 0)) / rate;
  const rows = cost.slice(0, -1);
  rows.push({ ...last, forecast: last.usd }, { t: endsAt, forecast: forecastUsd });
  return { rows, endsAt };
}

export const DURATION_BUCKETS: Array<{ label: string; maxMs: number }> = [
  { label: '< 1 s', maxMs: 1000 },
  { label: '1–5 s', maxMs: 5000 },
  { label: '5–15 s', maxMs: 15_000 },
  { label: '15–60 s', maxMs: 60_000 },
  { label: '1–2 min', maxMs: 120_000 },
  { label: '2–5 min', maxMs: 300_000 },
  { label: '5–15 min', maxMs: 900_000 },
  { label: '> 15 min', maxMs: Infinity },
];

/** Histogram of gate durations: one row per bucket, one count per gate. */
export function durationHistogram(gateDurations: MetricsView['gateDurations']): Array<Record<string, number | string>> {
  const rows = DURATION_BUCKETS.map((b) => ({ bucket: b.label }) as Record<string, number | string>);
  for (const g of gateDurations) {
    for (const d of g.durationsMs) {
      const idx = DURATION_BUCKETS.findIndex((b) => d < b.maxMs);
      const row = rows[idx === -1 ? rows.length - 1 : idx]!;
      row[g.gate] = ((row[g.gate] as number | undefined) ?? 0) + 1;
    }
  }
  return rows;
}

/** Context tokens per story (rows) and gate (columns), for grouped bars; the gates present, in pipeline order. */
export function contextTokenRows(data: MetricsView['contextTokens']): {
  rows: Array<Record<string, number | string>>;
  gates: string[];
} {
  const rows = new Map<string, Record<string, number | string>>();
  for (const c of data) {
    const row = rows.get(c.storyId) ?? { story: c.storyId };
    row[c.gate] = c.tokens;
    rows.set(c.storyId, row);
  }
  const gates = [...new Set(data.map((c) => c.gate))].sort((a, b) => Number(a.slice(5)) - Number(b.slice(5)));
  return { rows: [...rows.values()], gates };
}

export function quantile(sorted: readonly number[], q: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

/** Steps a time axis may use, from 1 s to a day. */
const TIME_STEPS_MS = [
  1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10_800, 21_600, 43_200, 86_400,
].map((s) => s * 1000);

/**
 * Whole-step times between `min` and `max` (ms), at most `maxCount` of them: the smallest
 * step that fits, so labels ("14:03:20") never crowd into each other whatever the span.
 * The chart cards are at least 460 px wide, which leaves room for 5 such labels with a gap.
 */
/**
 * A time axis: its ticks, and labels that tell them apart (with the day once the data spans
 * one: longer labels, so one fewer of them fits).
 */
export function timeAxisTicks(min: number, max: number): { ticks: number[]; label: (t: number) => string } {
  const two = (n: number) => String(n).padStart(2, '0');
  const clock = (d: Date) => `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
  if (max - min >= 86_400_000)
    return {
      ticks: timeTicks(min, max, 4),
      label: (t) => {
        const d = new Date(t);
        return `${two(d.getMonth() + 1)}-${two(d.getDate())} ${clock(d).slice(0, 5)}`;
      },
    };
  return { ticks: timeTicks(min, max), label: (t) => clock(new Date(t)) };
}

export function timeTicks(min: number, max: number, maxCount = 5): number[] {
  if (!Number.isFinite(min) || !Number.isFinite(max) || max < min) return [];
  if (max === min) return [min];
  const step =
    TIME_STEPS_MS.find((s) => Math.floor(max / s) - Math.ceil(min / s) + 1 <= maxCount) ??
    Math.ceil((max - min) / maxCount / 86_400_000) * 86_400_000;
  const ticks: number[] = [];
  for (let t = Math.ceil(min / step) * step; t <= max; t += step) ticks.push(t);
  // Under a second of data with no whole second in it: one label at its start.
  return ticks.length ? ticks : [min];
}
