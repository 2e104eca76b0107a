/**
 * Event timestamps carry microseconds: producer→handler latency on one machine is often
 * well under a millisecond, and a millisecond-rounded `produced_at` would hide it.
 */

/** Wall-clock epoch milliseconds, with a fractional part where the platform offers one. */
export function nowEpochMs(): number {
  return performance.timeOrigin + performance.now();
}

// Events come in bursts: the text up to the second is reused (toISOString is the costly part,
// ≈1 µs), the milliseconds and microseconds come from tables, so a stamp costs two concatenations.
let cachedSecond = Number.NaN;
let cachedPrefix = '';
/** "000" … "999". */
const MILLIS = Array.from({ length: 1000 }, (_, i) => String(i).padStart(3, '0'));
/** "000Z" … "999Z". */
const MICROS = MILLIS.map((m) => `${m}Z`);

/** ISO 8601 UTC with microseconds, e.g. 2025-01-02T03:04:05.123456Z. */
export function formatTimestamp(epochMs: number = nowEpochMs()): string {
  const whole = Math.floor(epochMs);
  const second = Math.floor(whole / 1000);
  if (second !== cachedSecond) {
    // "2025-01-02T03:04:05." (toISOString throws a RangeError for NaN/∞, as before).
    cachedPrefix = new Date(second * 1000).toISOString().slice(0, -4);
    cachedSecond = second;
  }
  return (
    cachedPrefix + (MILLIS[whole - second * 1000] as string) + (MICROS[Math.floor((epochMs - whole) * 1000)] as string)
  );
}

const EXTRA_FRACTION = /\.\d{3}(\d+)(?=Z|[+-]\d\d:?\d\d$)/i;

/** Inverse of formatTimestamp: keeps the sub-millisecond digits Date.parse drops. NaN if unparseable. */
export function parseTimestampMs(iso: string): number {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return Number.NaN;
  const extra = EXTRA_FRACTION.exec(iso)?.[1];
  return extra ? ms + Number(`0.${extra}`) : ms;
}
