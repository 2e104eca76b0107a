import { useMemo, useState, type ComponentProps, type ReactNode } from 'react';
import {
  Area,
  AreaChart,
  Bar,
  BarChart,
  CartesianGrid,
  ComposedChart,
  Legend,
  Line,
  LineChart,
  ReferenceLine,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts';
import type { MetricsView } from '../../../shared/ipc/views';
import { GATE_IDS, GATE_NAMES } from '../../lib/contract-constants';
import { api } from '../../api/client';
import { CheckboxField } from '../../components/CheckboxField';
import { describeError } from '../../lib/errors';
import { useRequest } from '../../lib/use-request';
import { clock, duration, ms, shortId, tokens, usd } from '../../lib/format';
import { PALETTES, type ChartPalette } from '../../lib/theme';
import { shownBudget } from '../../lib/budget';
import { useAppStore } from '../../state/app-store';
import { useUiStore } from '../../state/ui-store';
import { contextTokenRows, durationHistogram, mergeSeries, quantile, timeAxisTicks, withForecast } from './series';

const HEIGHT = 230;
const timeTick = (t: number) =>
  new Date(t).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false });

export function ChartsView() {
  const session = useAppStore((s) => s.session);
  const settings = useAppStore((s) => s.settings);
  const ticks = useAppStore((s) => s.ticks);
  const connection = useAppStore((s) => s.connection);
  const theme = useUiStore((s) => s.theme);
  const palette = PALETTES[theme];
  const sessionId = session?.id ?? null;
  const [logScale, setLogScale] = useState(false);
  const [costBy, setCostBy] = useState<'story' | 'agent' | 'model'>('agent');

  // Fetched once when the view opens (or the session changes, or the link comes back);
  // everything after that arrives as metrics.tick events.
  const metrics = useRequest(
    () => api.metrics.get(sessionId ? { sessionId } : {}),
    [sessionId, connection],
    connection === 'open',
  );
  const base = metrics.value;
  const series = useMemo(() => mergeSeries(base, ticks, sessionId), [base, ticks, sessionId]);
  const cost = useMemo(
    () => withForecast(series.cost, session?.forecastUsd ?? null),
    [series.cost, session?.forecastUsd],
  );

  if (metrics.error) {
    return (
      <section className="callout callout-bad" data-testid="charts-error">
        <p>{describeError('load the metrics', metrics.error)}</p>
        <button type="button" className="btn" onClick={metrics.reload}>
          Retry
        </button>
      </section>
    );
  }
  if (!base)
    return (
      <p className="muted" data-testid="charts-loading">
        Loading metrics…
      </p>
    );
  const data = base;
  const shown = shownBudget(session, settings);
  const budget = shown.usd;
  return (
    <section className="charts" aria-label="Charts" data-testid="charts">
      <div className="board-toolbar">
        <h2 className="inline-title">Charts{session ? ` · session ${shortId(session.id)}` : ' · all sessions'}</h2>
        <span className="muted small">live from pushed metrics; times are local</span>
      </div>
      <div className="chart-grid">
        <Card
          title="Signal latency (producer → handler)"
          empty={series.latency.length === 0 ? 'No latency samples yet: they appear once agents report events.' : null}
          testId="chart-latency"
          extra={
            <CheckboxField
              label="log scale"
              checked={logScale}
              onChange={setLogScale}
              className="inline-field small"
              testId="latency-log"
            />
          }
        >
          <ResponsiveContainer width="100%" height={HEIGHT}>
            <LineChart
              data={
                logScale
                  ? series.latency.map((r) => ({
                      ...r,
                      p50: Math.max(r.p50, 0.01),
                      p95: Math.max(r.p95, 0.01),
                      p99: Math.max(r.p99, 0.01),
                    }))
                  : series.latency
              }
            >
              {grid(palette)}
              {timeAxis(palette, series.latency)}
              {valueAxis(palette, 'latency (ms)', {
                scale: logScale ? 'log' : 'auto',
                domain: logScale ? [0.01, 'auto'] : [0, 'auto'],
                allowDataOverflow: logScale,
              })}
              {tooltip(palette, (v) => ms(v))}
              {legend(palette)}
              {lines([
                { key: 'p50', color: palette.series[0] },
                { key: 'p95', color: palette.series[1] },
                { key: 'p99', color: palette.series[2], dash: '4 2' },
              ])}
            </LineChart>
          </ResponsiveContainer>
        </Card>

        <Card title="Event rate" empty={series.rate.length === 0 ? 'No events handled yet.' : null} testId="chart-rate">
          <ResponsiveContainer width="100%" height={HEIGHT}>
            <AreaChart data={series.rate}>
              {grid(palette)}
              {timeAxis(palette, series.rate)}
              {valueAxis(palette, 'events/s')}
              {tooltip(palette, (v) => `${v.toFixed(1)} events/s`)}
              <Area
                type="monotone"
                dataKey="perSecond"
                name="events handled"
                stroke={palette.series[0]}
                fill={palette.series[0]}
                fillOpacity={0.25}
                isAnimationActive={false}
              />
            </AreaChart>
          </ResponsiveContainer>
        </Card>

        <Card
          title="Cumulative cost against budget"
          empty={series.cost.length === 0 ? 'No spend recorded yet: cost appears as agents report usage.' : null}
          testId="chart-cost"
          extra={
            <span className="small muted">
              {shown.label}
              {session?.forecastUsd != null
                ? ` · forecast ${usd(session.forecastUsd)}${cost.endsAt ? ` by ${clock(new Date(cost.endsAt).toISOString())}` : ''}`
                : ' · forecast: not enough data yet'}
            </span>
          }
        >
          <ResponsiveContainer width="100%" height={HEIGHT}>
            <ComposedChart data={cost.rows}>
              {grid(palette)}
              {timeAxis(palette, cost.rows)}
              {valueAxis(palette, 'cost (USD)', {
                tickFormatter: dollars,
                domain: [0, (max: number) => Math.max(max, budget ?? 0) * 1.05],
              })}
              {tooltip(palette, (v) => usd(v))}
              {legend(palette)}
              {lines([
                { key: 'usd', name: 'spent', color: palette.series[0], type: 'stepAfter', connectNulls: true },
                { key: 'forecast', color: palette.warn, dash: '6 4', type: 'linear', connectNulls: true },
              ])}
              {budget !== null ? (
                <ReferenceLine
                  y={budget}
                  stroke={palette.bad}
                  strokeDasharray="3 3"
                  label={{ value: `budget ${usd(budget)}`, fill: palette.bad, fontSize: 11, position: 'insideTopLeft' }}
                />
              ) : null}
            </ComposedChart>
          </ResponsiveContainer>
        </Card>

        <Card
          title="Cost by"
          empty={data.costBy[costBy].length === 0 ? `No cost recorded per ${costBy} yet.` : null}
          testId="chart-cost-by"
          extra={
            <span className="segmented" role="group" aria-label="Group cost by">
              {(['story', 'agent', 'model'] as const).map((k) => (
                <button
                  key={k}
                  type="button"
                  className="btn btn-small"
                  aria-pressed={costBy === k}
                  onClick={() => setCostBy(k)}
                >
                  {k}
                </button>
              ))}
            </span>
          }
        >
          <ResponsiveContainer width="100%" height={HEIGHT}>
            <BarChart
              data={[...data.costBy[costBy]].sort((a, b) => b.usd - a.usd).slice(0, 15)}
              layout="vertical"
              margin={{ left: 16, bottom: 8, right: 16 }}
            >
              {grid(palette)}
              <XAxis
                type="number"
                stroke={palette.muted}
                tick={{ fill: palette.muted, fontSize: 11 }}
                tickFormatter={dollars}
                label={bottomLabel('cost (USD)', palette)}
                height={36}
              />
              {valueAxis(palette, null, { type: 'category', dataKey: 'key', width: 110 })}
              {tooltip(palette, (v) => usd(v))}
              {bars([{ key: 'usd', name: 'cost', color: palette.series[0] }])}
            </BarChart>
          </ResponsiveContainer>
        </Card>

        <Card title="Tokens" empty={data.tokens.length === 0 ? 'No tokens reported yet.' : null} testId="chart-tokens">
          <ResponsiveContainer width="100%" height={HEIGHT}>
            <BarChart data={[...data.tokens].sort((a, b) => b.input + b.output - (a.input + a.output)).slice(0, 15)}>
              {grid(palette)}
              <XAxis dataKey="key" stroke={palette.muted} tick={{ fill: palette.muted, fontSize: 11 }} />
              {valueAxis(palette, 'tokens', {
                tickFormatter: (v: number) => (v >= 1000 ? `${v / 1000}k` : String(v)),
              })}
              {tooltip(palette, (v) => tokens(v))}
              {legend(palette)}
              {bars(
                [
                  { key: 'input', color: palette.series[0] },
                  { key: 'output', color: palette.series[1] },
                  { key: 'cacheRead', name: 'cache read', color: palette.series[3] },
                  { key: 'cacheWrite', name: 'cache write', color: palette.series[4] },
                ],
                't',
              )}
            </BarChart>
          </ResponsiveContainer>
        </Card>

        <GateDurations data={data.gateDurations} palette={palette} />
        <ContextTokens data={data.contextTokens} palette={palette} />
      </div>
    </section>
  );
}

function GateDurations({ data, palette }: { data: MetricsView['gateDurations']; palette: ChartPalette }) {
  const rows = useMemo(() => durationHistogram(data), [data]);
  const present = data.filter((g) => g.durationsMs.length > 0);
  return (
    <Card title="Gate durations" empty={present.length === 0 ? 'No finished gate yet.' : null} testId="chart-durations">
      <ResponsiveContainer width="100%" height={HEIGHT}>
        <BarChart data={rows}>
          {grid(palette)}
          <XAxis
            dataKey="bucket"
            stroke={palette.muted}
            tick={{ fill: palette.muted, fontSize: 10 }}
            label={bottomLabel('duration', palette)}
            height={36}
          />
          {valueAxis(palette, 'gate runs', { allowDecimals: false })}
          {tooltip(palette, (v) => `${v} runs`)}
          {bars(
            GATE_IDS.filter((g) => present.some((p) => p.gate === g)).map((g, i) => ({
              key: g,
              name: `${g} ${GATE_NAMES[g]}`,
              color: seriesColor(palette, i),
            })),
            'd',
          )}
        </BarChart>
      </ResponsiveContainer>
      <table className="table small">
        <thead>
          <tr>
            <th>gate</th>
            <th>runs</th>
            <th>p50</th>
            <th>p95</th>
            <th>max</th>
          </tr>
        </thead>
        <tbody>
          {present.map((g) => {
            const s = [...g.durationsMs].sort((a, b) => a - b);
            return (
              <tr key={g.gate}>
                <td>
                  {g.gate} {GATE_NAMES[g.gate]}
                </td>
                <td className="num">{s.length}</td>
                <td className="num">{duration(quantile(s, 0.5))}</td>
                <td className="num">{duration(quantile(s, 0.95))}</td>
                <td className="num">{duration(s[s.length - 1])}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </Card>
  );
}

/** The context pack each story got per gate (the latest attempt), with the repository's size for scale. */
function ContextTokens({ data, palette }: { data: MetricsView['contextTokens']; palette: ChartPalette }) {
  const { rows, gates } = useMemo(() => contextTokenRows(data), [data]);
  const repo = data.reduce((m, c) => Math.max(m, c.repoTokens), 0);
  return (
    <Card
      title="Context tokens per story and gate"
      empty={data.length === 0 ? 'No context pack yet: one is built before each agent phase.' : null}
      testId="chart-context"
      extra={repo > 0 ? <span className="small muted">repository: {tokens(repo)}</span> : null}
    >
      <ResponsiveContainer width="100%" height={HEIGHT}>
        <BarChart data={rows}>
          {grid(palette)}
          <XAxis dataKey="story" stroke={palette.muted} tick={{ fill: palette.muted, fontSize: 10 }} height={36} />
          {valueAxis(palette, 'context tokens')}
          {tooltip(palette, (v) => tokens(v))}
          {legend(palette)}
          {bars(
            gates.map((g, i) => ({
              key: g,
              name: `${g} ${GATE_NAMES[g as keyof typeof GATE_NAMES] ?? ''}`.trim(),
              color: seriesColor(palette, i),
            })),
          )}
        </BarChart>
      </ResponsiveContainer>
    </Card>
  );
}

function Card({
  title,
  empty,
  children,
  extra,
  testId,
}: {
  title: string;
  empty: string | null;
  children: ReactNode;
  extra?: ReactNode;
  testId: string;
}) {
  return (
    <figure className="card chart-card" data-testid={testId}>
      <figcaption className="card-head">
        <strong>{title}</strong>
        {extra}
      </figcaption>
      {empty ? (
        <p className="chart-empty muted" data-testid={`${testId}-empty`}>
          {empty}
        </p>
      ) : (
        children
      )}
    </figure>
  );
}

const grid = (p: ChartPalette) => <CartesianGrid stroke={p.grid} strokeDasharray="3 3" />;
const timeAxis = (p: ChartPalette, rows: ReadonlyArray<{ t: number }>) => {
  const axis = timeAxisTicks(
    rows.reduce((m, r) => Math.min(m, r.t), Infinity),
    rows.reduce((m, r) => Math.max(m, r.t), -Infinity),
  );
  return (
    <XAxis
      dataKey="t"
      type="number"
      scale="time"
      domain={['dataMin', 'dataMax']}
      ticks={axis.ticks}
      interval={0}
      tickFormatter={axis.label}
      stroke={p.muted}
      tick={{ fill: p.muted, fontSize: 11 }}
      label={bottomLabel('time (local)', p)}
      height={36}
    />
  );
};
/** The value axis on the left: muted, 64 px wide, labelled along its side (`props` add to or override that). */
const valueAxis = (p: ChartPalette, label: string | null, props: ComponentProps<typeof YAxis> = {}) => (
  <YAxis
    stroke={p.muted}
    tick={{ fill: p.muted, fontSize: 11 }}
    label={label === null ? undefined : axisLabel(label, p)}
    width={64}
    {...props}
  />
);
const legend = (p: ChartPalette) => (
  <Legend verticalAlign="top" height={24} wrapperStyle={{ color: p.text, fontSize: 12 }} />
);
const dollars = (v: number) => `$${v}`;
const seriesColor = (p: ChartPalette, i: number) => p.series[i % p.series.length];

/** A line or bar of a chart: its data key, legend name (default: the key) and colour. */
interface Series {
  key: string;
  name?: string;
  color: string | undefined;
}
/** Lines drawn without dots or animation; monotone unless `type` says otherwise. */
const lines = (series: Array<Series & { type?: 'linear' | 'stepAfter'; dash?: string; connectNulls?: boolean }>) =>
  series.map((s) => (
    <Line
      key={s.key}
      type={s.type ?? 'monotone'}
      dataKey={s.key}
      name={s.name ?? s.key}
      stroke={s.color}
      strokeDasharray={s.dash}
      dot={false}
      isAnimationActive={false}
      connectNulls={s.connectNulls}
    />
  ));
/** Bars drawn without animation, stacked when `stackId` is given. */
const bars = (series: Series[], stackId?: string) =>
  series.map((s) => (
    <Bar
      key={s.key}
      dataKey={s.key}
      name={s.name ?? s.key}
      stackId={stackId}
      fill={s.color}
      isAnimationActive={false}
    />
  ));
const bottomLabel = (value: string, p: ChartPalette) => ({
  value,
  position: 'insideBottom' as const,
  offset: -2,
  fill: p.muted,
  fontSize: 11,
});
const axisLabel = (value: string, p: ChartPalette) => ({
  value,
  angle: -90,
  position: 'insideLeft' as const,
  fill: p.muted,
  fontSize: 11,
  style: { textAnchor: 'middle' as const },
});
const tooltip = (p: ChartPalette, fmt: (v: number) => string) => (
  <Tooltip
    contentStyle={{ background: p.tooltipBg, border: `1px solid ${p.grid}`, color: p.text }}
    labelStyle={{ color: p.text }}
    labelFormatter={(l) => (typeof l === 'number' && l > 1e11 ? timeTick(l) : String(l))}
    formatter={(v) => (typeof v === 'number' ? fmt(v) : String(v))}
  />
);
