/** Time → pixels for the Gantt charts. */
export interface TimeScale {
  t0: number;
  t1: number;
  pxPerMs: number;
  /** Width of the whole time range in px. */
  width: number;
}

const MIN_SPAN_MS = 10_000;

export function makeScale(t0: number, t1: number, viewportPx: number, zoom: number): TimeScale {
  const span = Math.max(t1 - t0, MIN_SPAN_MS);
  const pxPerMs = (Math.max(viewportPx, 100) * zoom) / span;
  return { t0, t1: t0 + span, pxPerMs, width: span * pxPerMs };
}

const STEPS_MS = [
  100, 250, 500, 1000, 2000, 5000, 10_000, 15_000, 30_000, 60_000, 120_000, 300_000, 600_000, 900_000, 1_800_000,
  3_600_000, 7_200_000, 21_600_000,
];

/** Tick positions at least `minPx` apart, labelled with their unit ("30 s", "2 min", "1 h"). */
export function ticks(scale: TimeScale, minPx = 90): Array<{ x: number; label: string }> {
  const step = STEPS_MS.find((s) => s * scale.pxPerMs >= minPx) ?? STEPS_MS[STEPS_MS.length - 1]!;
  const out: Array<{ x: number; label: string }> = [];
  for (let t = 0; t <= scale.t1 - scale.t0 && out.length < 500; t += step)
    out.push({ x: t * scale.pxPerMs, label: tickLabel(t, step) });
  return out;
}

export function tickLabel(t: number, step: number): string {
  if (step < 1000) return `${(t / 1000).toFixed(step < 1000 ? 2 : 0).replace(/\.?0+$/, '') || '0'} s`;
  if (step < 60_000) return `${Math.round(t / 1000)} s`;
  if (step < 3_600_000) {
    const m = t / 60_000;
    return `${Number.isInteger(m) ? m : m.toFixed(1)} min`;
  }
  const h = t / 3_600_000;
  return `${Number.isInteger(h) ? h : h.toFixed(1)} h`;
}

/** What one pixel is worth, said in words for the zoom control. */
export function resolution(scale: TimeScale): string {
  const msPerPx = 1 / scale.pxPerMs;
  if (msPerPx < 1000) return `1 px = ${Math.round(msPerPx)} ms`;
  if (msPerPx < 60_000) return `1 px = ${(msPerPx / 1000).toFixed(1)} s`;
  return `1 px = ${(msPerPx / 60_000).toFixed(1)} min`;
}
