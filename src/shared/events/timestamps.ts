/**
 * Event timestamps carry microseconds: producer→handler latency on one machine is often
 * well under a millisecond, and a millisecond-rounded `produced_at` would hide it.
 */

/** Wall-clock epoch milliseconds, with a fractional part where the platform offers one. */
export function nowEpochMs(): number {
  return performance.timeOrigin + performance.now();
}

// Events come in bursts within the same millisecond: reuse its ISO text (toISOString is the costly part).
let cachedMs = Number.NaN;
let cachedIso = '';

/** ISO 8601 UTC with microseconds, e.g. 2025-01-02T03:04:05.123456Z. */
export function formatTimestamp(epochMs: number = nowEpochMs()): string {
  const whole = Math.floor(epochMs);
  const micros = Math.min(999, Math.max(0, Math.floor((epochMs - whole) * 1000)));
  if (whole !== cachedMs) {
    cachedMs = whole;
    cachedIso = new Date(whole).toISOString().slice(0, -1);
  }
  return `${cachedIso}${micros < 10 ? '00' : micros < 100 ? '0' : ''}${micros}Z`;
}

const EXTRA_FRACTION = /\.\d{3}(\d+)(?=Z|[+-]\d\d:?\d\d$)/i;

/** Inverse of formatTimestamp: keeps the sub-millisecond digits Date.parse drops. NaN if unparseable. */
export function parseTimestampMs(iso: string): number {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return Number.NaN;
  const extra = EXTRA_FRACTION.exec(iso)?.[1];
  return extra ? ms + Number(`0.${extra}`) : ms;
}
