import { randomUUID } from 'node:crypto';
import {
  encodeEvent,
  formatTimestamp,
  InvalidEventError,
  MAX_EVENT_BYTES,
  parseTimestampMs,
  utf8ByteLength,
  validateEvent,
  type EventDraft,
  type WaveEvent,
} from '../../../shared/events';

/**
 * Fills what the producer may leave out (id, produced_at, source, story) and validates;
 * seq is 0 until the bus assigns it. Throws InvalidEventError / EventTooLargeError.
 * With `stamp` false an unstamped event keeps a placeholder produced_at until the bus calls
 * stampProducedAt at the moment it hands the event over.
 */
export function prepareEvent(draft: EventDraft, defaultSource: string, stamp = true): WaveEvent {
  const candidate = {
    ...draft,
    id: draft.id ?? randomUUID(),
    produced_at: draft.produced_at ?? PLACEHOLDER_TIMESTAMP,
    source: draft.source ?? defaultSource,
    story: draft.story ?? null,
    seq: 0,
  };
  const checked = validateEvent(candidate);
  if (!checked.ok) throw new InvalidEventError(String((draft as { type?: unknown }).type ?? 'unknown'), checked.reason);
  // Measured with a seq of the largest width so an assigned seq can never push it over the cap.
  encodeEvent({ ...checked.event, seq: Number.MAX_SAFE_INTEGER });
  if (draft.produced_at === undefined) {
    // The clock is read last, into a slot made now, so stamping costs nothing after the reading.
    stamps.set(checked.event, { mono: Number.NaN });
    // Stamped once accepted: produced_at → handler start then measures the dispatch, not our own validation.
    if (stamp) stampProducedAt(checked.event);
  }
  return checked.event;
}

/**
 * Stamps of the events this process stamped: the performance.now() reading behind produced_at
 * (NaN until stampProducedAt). Latency within this process is measured on it: an epoch-ms
 * double resolves only about 0.24 µs, a monotonic reading nanoseconds.
 */
const stamps = new WeakMap<WaveEvent, { mono: number }>();

/** Sets produced_at to now on an event whose producer left it out and that is not stamped yet; a no-op otherwise. */
export function stampProducedAt(event: WaveEvent): void {
  const slot = stamps.get(event);
  if (slot === undefined || !Number.isNaN(slot.mono)) return;
  slot.mono = performance.now();
  event.produced_at = formatTimestamp(performance.timeOrigin + slot.mono);
}

/**
 * Milliseconds from the event's production to `atMono` (a performance.now() reading): exact
 * for events stamped in this process, from the parsed produced_at (microseconds) otherwise.
 */
export function msSinceProduced(event: WaveEvent, atMono: number = performance.now()): number {
  const slot = stamps.get(event);
  if (slot !== undefined && !Number.isNaN(slot.mono)) return atMono - slot.mono;
  return performance.timeOrigin + atMono - parseTimestampMs(event.produced_at);
}

// Same width as a real stamp, so the size check above stays exact.
const PLACEHOLDER_TIMESTAMP = '2000-01-01T00:00:00.000000Z';

/** Stream entry body: the event without its seq (the publish script stores seq beside it). */
export function streamBody(event: WaveEvent): string {
  const { seq: _seq, ...rest } = event;
  return JSON.stringify(rest);
}

export type DecodedEntry = { ok: true; event: WaveEvent } | { ok: false; reason: string; raw: Record<string, unknown> };

/** Turns a stream entry's field list back into an event, or says why it is not one. */
export function decodeStreamEntry(fields: readonly string[] | null): DecodedEntry {
  if (!fields) return { ok: false, reason: 'the entry was deleted from the stream before it was read', raw: {} };
  const map: Record<string, string> = {};
  for (let i = 0; i + 1 < fields.length; i += 2) map[fields[i] as string] = fields[i + 1] as string;
  const raw = truncateRaw(map);
  const body = map.e;
  if (body === undefined)
    return { ok: false, reason: 'entry has no "e" field: it was not written by the WAVE event bus', raw };
  const bytes = utf8ByteLength(body);
  if (bytes > MAX_EVENT_BYTES)
    return { ok: false, reason: `encoded event is ${bytes} bytes, over the ${MAX_EVENT_BYTES}-byte limit`, raw };
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch (e) {
    return { ok: false, reason: `"e" is not valid JSON (${(e as Error).message})`, raw };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return { ok: false, reason: '"e" is not a JSON object', raw };
  const seq = map.seq === undefined ? Number.NaN : Number(map.seq);
  const checked = validateEvent({ ...value, seq: Number.isSafeInteger(seq) ? seq : (value as { seq?: unknown }).seq });
  return checked.ok ? checked : { ok: false, reason: checked.reason, raw };
}

function truncateRaw(map: Record<string, string>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(map))
    out[k] = v.length > MAX_EVENT_BYTES ? `${v.slice(0, MAX_EVENT_BYTES)}…[truncated]` : v;
  return out;
}
