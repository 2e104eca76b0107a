import { useVirtualizer } from '@tanstack/react-virtual';
import { memo, useEffect, useLayoutEffect, useRef, useState, type ReactNode } from 'react';
import type { GateAttemptView } from '../../../shared/ipc/views';
import { duration, tokens, usd } from '../../lib/format';
import { gateLabel } from '../../lib/gates';
import { makeScale, resolution, ticks, type TimeScale } from './scale';

export interface GanttLane {
  key: string;
  label: ReactNode;
  /** Text for screen readers and the label's title. */
  labelText: string;
  attempts: readonly GateAttemptView[];
  onLabel?: () => void;
}

const LABEL_PX = 150;
/** Room before time zero, so the first tick label is not hidden under the sticky labels. */
const PAD_PX = 16;
const AXIS_PX = 26;
const ROW_PX = 34;
const ZOOMS = [1, 1.5, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64];

interface Hover {
  attempt: GateAttemptView;
  lane: string;
  x: number;
  y: number;
}

function attemptEnd(a: GateAttemptView, now: number): number {
  if (a.endedAt) return Date.parse(a.endedAt);
  if (a.durationMs !== null) return Date.parse(a.startedAt) + a.durationMs;
  return a.status === 'running' ? now : Date.parse(a.startedAt);
}

/** The time range covered by some attempts (now included while any runs). */
export function timeRange(
  lanes: readonly GanttLane[],
  now: number,
  startHint?: string | null,
): { t0: number; t1: number } | null {
  let t0 = startHint ? Date.parse(startHint) : Infinity;
  let t1 = -Infinity;
  for (const l of lanes)
    for (const a of l.attempts) {
      const s = Date.parse(a.startedAt);
      if (s < t0) t0 = s;
      const e = attemptEnd(a, now);
      if (e > t1) t1 = e;
    }
  if (!Number.isFinite(t0)) return null;
  if (!Number.isFinite(t1)) t1 = t0;
  return { t0, t1 };
}

/**
 * A Gantt of gate attempts: time on x, one lane per story (or per gate), one bar segment
 * per attempt, retries stacked below the first attempt, each subagent an attempt's agent
 * started a thin bar under it, a moving "now" line while live.
 * Lanes are virtualised, so a thousand stories cost what the visible ones cost.
 */
export function Gantt({
  lanes,
  now,
  live,
  startHint,
  onSelect,
  selectedGateRunId,
  testId,
  height,
}: {
  lanes: readonly GanttLane[];
  now: number;
  live: boolean;
  startHint?: string | null;
  onSelect: (attempt: GateAttemptView, laneKey: string) => void;
  selectedGateRunId?: number | null;
  testId: string;
  height?: number;
}) {
  const scroller = useRef<HTMLDivElement>(null);
  const [viewport, setViewport] = useState(600);
  const [zoomIdx, setZoomIdx] = useState(0);
  const [hover, setHover] = useState<Hover | null>(null);
  const zoom = ZOOMS[zoomIdx]!;

  useLayoutEffect(() => {
    const el = scroller.current;
    if (!el) return;
    const measure = () => setViewport(Math.max(100, el.clientWidth - LABEL_PX - PAD_PX - 24));
    measure();
    const ro = new ResizeObserver(measure);
    ro.observe(el);
    return () => ro.disconnect();
  }, []);

  useEffect(() => {
    const el = scroller.current;
    if (!el) return;
    // Ctrl+wheel zooms; React's wheel listener is passive, so this one is native.
    const onWheel = (e: WheelEvent) => {
      if (!e.ctrlKey) return;
      e.preventDefault();
      setZoomIdx((z) => Math.max(0, Math.min(ZOOMS.length - 1, z + (e.deltaY < 0 ? 1 : -1))));
    };
    el.addEventListener('wheel', onWheel, { passive: false });
    return () => el.removeEventListener('wheel', onWheel);
  }, []);

  const range = timeRange(lanes, now, startHint);
  const scale = range ? makeScale(range.t0, range.t1, viewport, zoom) : makeScale(now, now, viewport, zoom);

  // eslint-disable-next-line react-hooks/incompatible-library -- the virtualizer is a mutable object by design
  const virtualizer = useVirtualizer({
    count: lanes.length,
    getScrollElement: () => scroller.current,
    estimateSize: () => ROW_PX,
    paddingStart: AXIS_PX,
    overscan: 6,
  });

  const totalHeight = virtualizer.getTotalSize();
  const innerWidth = LABEL_PX + PAD_PX + scale.width + 24;
  return (
    <div className="gantt" data-testid={testId}>
      <div className="gantt-toolbar">
        <span className="muted small">zoom</span>
        <button
          type="button"
          className="btn btn-small"
          onClick={() => setZoomIdx((z) => Math.max(0, z - 1))}
          disabled={zoomIdx === 0}
          aria-label="Zoom out"
        >
          −
        </button>
        <span className="small num" data-testid={`${testId}-zoom`}>
          {zoom}× · {resolution(scale)}
        </span>
        <button
          type="button"
          className="btn btn-small"
          onClick={() => setZoomIdx((z) => Math.min(ZOOMS.length - 1, z + 1))}
          disabled={zoomIdx === ZOOMS.length - 1}
          aria-label="Zoom in"
        >
          +
        </button>
        <button type="button" className="btn btn-small" onClick={() => setZoomIdx(0)} disabled={zoomIdx === 0}>
          Fit
        </button>
        <span className="muted small">Ctrl+wheel zooms · x: time since the first gate started</span>
      </div>
      <div
        ref={scroller}
        className="gantt-scroll"
        style={height ? { height } : undefined}
        onMouseLeave={() => setHover(null)}
      >
        <div style={{ height: totalHeight, width: innerWidth, position: 'relative' }}>
          <Axis scale={scale} />
          {virtualizer.getVirtualItems().map((item) => {
            const lane = lanes[item.index]!;
            return (
              <div
                key={lane.key}
                className="gantt-row"
                style={{ transform: `translateY(${item.start}px)`, height: ROW_PX, width: innerWidth }}
                data-testid="gantt-row"
                data-lane={lane.key}
              >
                <div className="gantt-label" style={{ width: LABEL_PX }} title={lane.labelText}>
                  {lane.onLabel ? (
                    <button
                      type="button"
                      className="link-button"
                      onClick={lane.onLabel}
                      aria-label={`Open ${lane.labelText}`}
                    >
                      {lane.label}
                    </button>
                  ) : (
                    lane.label
                  )}
                </div>
                <Track
                  lane={lane}
                  scale={scale}
                  now={now}
                  selected={selectedGateRunId ?? null}
                  onSelect={onSelect}
                  onHover={setHover}
                />
              </div>
            );
          })}
          {live && range ? <NowLine scale={scale} height={totalHeight} /> : null}
        </div>
      </div>
      {hover ? <HoverCard hover={hover} now={now} /> : null}
    </div>
  );
}

function Axis({ scale }: { scale: TimeScale }) {
  return (
    <div
      className="gantt-axis"
      style={{ height: AXIS_PX, width: LABEL_PX + PAD_PX + scale.width + 24 }}
      aria-hidden="true"
    >
      <div className="gantt-label" style={{ width: LABEL_PX }}>
        time →
      </div>
      {ticks(scale).map((t) => (
        <span key={t.x} className="gantt-tick" style={{ left: LABEL_PX + PAD_PX + t.x }}>
          {t.label}
        </span>
      ))}
    </div>
  );
}

const Track = memo(function Track({
  lane,
  scale,
  now,
  selected,
  onSelect,
  onHover,
}: {
  lane: GanttLane;
  scale: TimeScale;
  now: number;
  selected: number | null;
  onSelect: (a: GateAttemptView, laneKey: string) => void;
  onHover: (h: Hover | null) => void;
}) {
  return (
    <div className="gantt-track" style={{ left: LABEL_PX + PAD_PX, width: scale.width }}>
      {lane.attempts.map((a) => {
        const start = Date.parse(a.startedAt);
        const end = attemptEnd(a, now);
        const left = (start - scale.t0) * scale.pxPerMs;
        const width = Math.max(3, (end - start) * scale.pxPerMs);
        const laneIdx = Math.min(a.attempt - 1, 2);
        const label = `${gateLabel(a.gate)}, attempt ${a.attempt}: ${a.status}, ${duration(end - start)}${a.reason ? `, ${a.reason}` : ''}`;
        const show = (x: number, y: number) => onHover({ attempt: a, lane: lane.labelText, x, y });
        return (
          <button
            key={a.gateRunId}
            type="button"
            className={`gantt-seg seg-${a.status}${a.attempt > 1 ? ' seg-retry' : ''}${selected === a.gateRunId ? ' selected' : ''}`}
            style={{ left, width, top: 3 + laneIdx * 10, height: laneIdx === 0 ? 14 : 8 }}
            aria-label={`${lane.labelText}: ${label}`}
            data-testid="gantt-seg"
            data-gate={a.gate}
            data-status={a.status}
            data-attempt={a.attempt}
            onClick={() => onSelect(a, lane.key)}
            onMouseEnter={(e) => show(e.clientX, e.clientY)}
            onMouseMove={(e) => show(e.clientX, e.clientY)}
            onFocus={(e) => {
              const r = e.currentTarget.getBoundingClientRect();
              show(r.left, r.bottom);
            }}
            onBlur={() => onHover(null)}
          >
            <span className="seg-text" aria-hidden="true">
              {width > 44
                ? `${width > 90 ? gateLabel(a.gate) : a.gate}${a.attempt > 1 ? ` ↻${a.attempt}` : ''}${a.status === 'failed' ? ' ✕' : a.status === 'stopped' ? ' ■' : ''}`
                : a.status === 'failed'
                  ? '✕'
                  : a.status === 'stopped'
                    ? '■'
                    : ''}
            </span>
          </button>
        );
      })}
      {lane.attempts.flatMap((a) =>
        (a.subagents ?? []).map((sub, k) =>
          sub.startedAt ? (
            <SubagentBar key={`${a.gateRunId}:${sub.agent}`} attempt={a} sub={sub} row={k} scale={scale} />
          ) : null,
        ),
      )}
    </div>
  );
});

type SubagentRun = NonNullable<GateAttemptView['subagents']>[number];

/** How a subagent ended, as the segment colour of a gate attempt that ended so. */
const SUB_SEG: Record<string, string> = {
  succeeded: 'passed',
  failed: 'failed',
  timed_out: 'failed',
  spawn_failed: 'failed',
  stopped: 'stopped',
};

/**
 * A subagent (spawn line) of an attempt: a thin bar of its own under its gate's segment,
 * from when it started for as long as it ran (its usage and cost are in the attempt's).
 */
function SubagentBar({
  attempt,
  sub,
  row,
  scale,
}: {
  attempt: GateAttemptView;
  sub: SubagentRun;
  row: number;
  scale: TimeScale;
}) {
  const start = Date.parse(sub.startedAt!);
  const left = (start - scale.t0) * scale.pxPerMs;
  const width = Math.max(3, sub.durationMs * scale.pxPerMs);
  const label = `${gateLabel(attempt.gate)}, subagent ${sub.agent}: ${sub.status}, ${duration(sub.durationMs)}, ${usd(sub.costUsd)}`;
  return (
    <span
      className={`gantt-sub seg-${SUB_SEG[sub.status] ?? 'stopped'}`}
      style={{ left, width, top: 19 + Math.min(row, 2) * 4 }}
      role="img"
      aria-label={label}
      title={`${label}\n${sub.task}`}
      data-testid="gantt-sub"
      data-gate={attempt.gate}
      data-agent={sub.agent}
      data-status={sub.status}
    />
  );
}

/** The "now" line: moved every frame by writing a transform, never by re-rendering or fetching. */
function NowLine({ scale, height }: { scale: TimeScale; height: number }) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    let frame = 0;
    const move = () => {
      const x = LABEL_PX + PAD_PX + (Date.now() - scale.t0) * scale.pxPerMs;
      if (ref.current) ref.current.style.transform = `translateX(${x}px)`;
      frame = requestAnimationFrame(move);
    };
    move();
    return () => cancelAnimationFrame(frame);
  }, [scale.t0, scale.pxPerMs]);
  return (
    <div ref={ref} className="gantt-now" style={{ height }} data-testid="now-line" aria-hidden="true">
      <span>now</span>
    </div>
  );
}

function HoverCard({ hover, now }: { hover: Hover; now: number }) {
  const a = hover.attempt;
  const end = attemptEnd(a, now);
  const left = Math.min(hover.x + 14, window.innerWidth - 300);
  const top = Math.min(hover.y + 14, window.innerHeight - 170);
  return (
    <div className="gantt-hover" role="tooltip" style={{ left, top }} data-testid="gantt-hover">
      <strong>{hover.lane}</strong>
      <div>
        {gateLabel(a.gate)} · attempt {a.attempt} · {a.status}
      </div>
      <div>
        duration {duration(end - Date.parse(a.startedAt))}
        {a.status === 'running' ? ' so far' : ''}
      </div>
      <div>
        {tokens(a.inputTokens)} in · {tokens(a.outputTokens)} out
      </div>
      <div>cost {usd(a.costUsd)}</div>
      {a.reason ? <div className="tone-bad">{a.reason}</div> : null}
      <div className="muted small">click for the log</div>
    </div>
  );
}
