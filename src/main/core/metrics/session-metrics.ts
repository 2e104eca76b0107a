import type { MetricsView } from '../../../shared/ipc';
import { GATE_IDS } from '../../../shared/ipc';
import type { LatencyPoint } from '../../../shared/events';
import type { ContextPackRow, LatencyStat, UsageRow } from '../../store';

export const EMPTY_METRICS: MetricsView = {
  latency: [],
  eventRate: [],
  cumulativeCost: [],
  costBy: { story: [], agent: [], model: [] },
  tokens: [],
  gateDurations: [],
  contextTokens: [],
};

/**
 * Both event charts of the metrics panel from one source, the latency windows: stored ones
 * (persisted by every process that handled events) overlaid with this process's live ones
 * (same window start wins live), the newest 300, oldest first. Each window's count of
 * handled events gives its rate, so the rate chart is never empty beside a filled latency
 * chart, whichever process ran the session.
 */
export function eventSeries(
  stored: readonly LatencyStat[],
  live: readonly LatencyPoint[],
): Pick<MetricsView, 'latency' | 'eventRate'> {
  const points = new Map<string, MetricsView['latency'][number] & { windowMs: number }>();
  for (const r of stored)
    points.set(r.windowStart.toISOString(), {
      at: r.windowStart.toISOString(),
      p50Ms: r.p50Ms,
      p95Ms: r.p95Ms,
      p99Ms: r.p99Ms,
      count: r.count,
      windowMs: r.windowMs,
    });
  for (const p of live) {
    if (p.eventType === '*')
      points.set(p.windowStart, {
        at: p.windowStart,
        p50Ms: p.p50Ms,
        p95Ms: p.p95Ms,
        p99Ms: p.p99Ms,
        count: p.count,
        windowMs: p.windowMs,
      });
  }
  const windows = [...points.values()].sort((a, b) => a.at.localeCompare(b.at)).slice(-300);
  return {
    latency: windows.map(({ windowMs: _w, ...p }) => p),
    eventRate: windows.map((w) => ({
      at: w.at,
      perSecond: Math.round((w.count / Math.max(1, w.windowMs / 1000)) * 100) / 100,
    })),
  };
}

/** Cost over time, cost by story/agent/model, tokens by model and gate durations of one session. */
export function sessionUsageMetrics(
  rows: readonly UsageRow[],
  gates: ReadonlyArray<{ gate: string; durationMs: number | null }>,
): Pick<MetricsView, 'cumulativeCost' | 'costBy' | 'tokens' | 'gateDurations'> {
  let total = 0;
  const cumulativeCost = rows.map((r) => {
    total += Number(r.costUsd ?? 0);
    return { at: r.createdAt.toISOString(), usd: Math.round(total * 1e6) / 1e6 };
  });
  const sumBy = (key: (r: UsageRow) => string) => {
    const m = new Map<string, number>();
    for (const r of rows) m.set(key(r), (m.get(key(r)) ?? 0) + Number(r.costUsd ?? 0));
    return [...m].map(([k, usd]) => ({ key: k, usd: Math.round(usd * 1e6) / 1e6 })).sort((a, b) => b.usd - a.usd);
  };
  const tokens = new Map<string, MetricsView['tokens'][number]>();
  for (const r of rows) {
    const t = tokens.get(r.model) ?? { key: r.model, input: 0, output: 0, cacheRead: 0, cacheWrite: 0 };
    t.input += r.inputTokens;
    t.output += r.outputTokens;
    t.cacheRead += r.cacheReadTokens;
    t.cacheWrite += r.cacheWriteTokens;
    tokens.set(r.model, t);
  }
  const durations = new Map<string, number[]>();
  for (const g of gates)
    if ((GATE_IDS as readonly string[]).includes(g.gate))
      durations.set(g.gate, [...(durations.get(g.gate) ?? []), Math.max(0, g.durationMs ?? 0)]);
  return {
    cumulativeCost,
    costBy: {
      story: sumBy((r) => r.storyId ?? '(session)'),
      agent: sumBy((r) => r.agent),
      model: sumBy((r) => r.model),
    },
    tokens: [...tokens.values()],
    gateDurations: GATE_IDS.filter((g) => durations.has(g)).map((g) => ({ gate: g, durationsMs: durations.get(g)! })),
  };
}

/** Context tokens per story and gate for the charts: the latest pack of each (packs oldest first). */
export function contextTokenSeries(
  packs: ReadonlyArray<Pick<ContextPackRow, 'storyId' | 'gate' | 'totalTokens' | 'repoTokens'>>,
): MetricsView['contextTokens'] {
  const latest = new Map<string, MetricsView['contextTokens'][number]>();
  for (const p of packs)
    latest.set(`${p.storyId}\u0000${p.gate}`, {
      storyId: p.storyId,
      gate: p.gate as MetricsView['contextTokens'][number]['gate'],
      tokens: p.totalTokens,
      repoTokens: p.repoTokens,
    });
  return [...latest.values()].sort((a, b) => a.storyId.localeCompare(b.storyId) || a.gate.localeCompare(b.gate));
}
