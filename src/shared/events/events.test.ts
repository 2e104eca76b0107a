import { describe, expect, it } from 'vitest';
import {
  encodeEvent,
  EVENT_TYPES,
  EventTooLargeError,
  formatTimestamp,
  MAX_EVENT_BYTES,
  parseAgentLine,
  parseTimestampMs,
  utf8ByteLength,
  validateEvent,
  WaveEvent,
} from './index';
import { SAMPLE_ENVELOPE, SAMPLE_EVENTS } from './sample-events';
import { seededRandom } from '../../../test/helpers/random';

const envelope = SAMPLE_ENVELOPE;

describe('event schemas', () => {
  it('accept one example of every event type of the issue', () => {
    expect(new Set(SAMPLE_EVENTS.map((e) => e.type))).toEqual(new Set(EVENT_TYPES));
    for (const sample of SAMPLE_EVENTS) expect(WaveEvent.safeParse(sample).success, sample.type).toBe(true);
  });

  it('explain what is wrong with an invalid event, field by field', () => {
    const result = validateEvent({ ...envelope, type: 'progress', message: 'x', pct: 140 });
    expect(result).toEqual({ ok: false, reason: expect.stringContaining('pct') });
    expect(validateEvent({ ...envelope, type: 'teleport' })).toEqual({
      ok: false,
      reason: expect.stringContaining('unknown type "teleport"'),
    });
    expect(validateEvent({ ...envelope, story: null, type: 'gate_passed', gate: 'gate-1', attempt: 1 })).toEqual({
      ok: false,
      reason: expect.stringContaining('story'),
    });
    expect(validateEvent({ ...envelope, id: 'not-an-id', type: 'heartbeat', component: 'x' })).toEqual({
      ok: false,
      reason: expect.stringContaining('id'),
    });
  });

  it('refuses to encode an event over 64 KB and says what to do', () => {
    const big = { ...envelope, type: 'progress' as const, message: 'x'.repeat(16_000) };
    expect(() => encodeEvent(big)).not.toThrow();
    // Valid for the schema, but 3 bytes per character: 72 KB of UTF-8.
    const tooBig = { ...envelope, type: 'story_failed' as const, reason: '€'.repeat(24_000) };
    expect(WaveEvent.safeParse(tooBig).success).toBe(true);
    expect(() => encodeEvent(tooBig)).toThrow(EventTooLargeError);
    expect(() => encodeEvent(tooBig)).toThrow(/limit is 64 KB/);
  });

  it('validates what it encodes', () => {
    for (const sample of SAMPLE_EVENTS)
      expect(validateEvent(JSON.parse(encodeEvent(sample)))).toEqual({ ok: true, event: sample });
  });

  it('counts UTF-8 bytes like an encoder does', () => {
    for (const text of ['plain', 'é', '€', '😀', 'a😀b€c', '\ud800 lone surrogate']) {
      expect(utf8ByteLength(text)).toBe(new TextEncoder().encode(text).length);
    }
  });
});

describe('timestamps', () => {
  it('keep microseconds through format and parse', () => {
    const ms = Date.UTC(2025, 0, 2, 3, 4, 5, 123) + 0.456;
    const iso = formatTimestamp(ms);
    expect(iso).toBe('2025-01-02T03:04:05.123456Z');
    expect(parseTimestampMs(iso)).toBeCloseTo(ms, 3);
    expect(parseTimestampMs('2025-01-02T03:04:05Z')).toBe(Date.UTC(2025, 0, 2, 3, 4, 5));
    expect(parseTimestampMs('yesterday')).toBeNaN();
  });

  it('agree with toISOString to the millisecond across second, day and year boundaries, in any order', () => {
    const edges = [
      0,
      999.999,
      1000,
      Date.UTC(2025, 11, 31, 23, 59, 59, 999) + 0.999,
      Date.UTC(2026, 0, 1),
      Date.UTC(2024, 1, 29, 12),
    ];
    // Random instants, visited out of order so the per-second cache is exercised both ways.
    const random = seededRandom(42);
    for (const ms of [...edges, ...Array.from({ length: 2000 }, () => random() * 4e12), ...edges.reverse()]) {
      const iso = formatTimestamp(ms);
      const whole = Math.floor(ms);
      expect(iso.slice(0, 23)).toBe(new Date(whole).toISOString().slice(0, 23));
      expect(iso).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
      expect(Number(iso.slice(23, 26))).toBe(Math.floor((ms - whole) * 1000));
    }
    expect(() => formatTimestamp(Number.NaN)).toThrow(RangeError);
  });
});

describe('agent stdout lines', () => {
  it('turn agent protocol lines into events and everything else into log', () => {
    expect(parseAgentLine('{"type":"progress","message":"planning","pct":40}')).toEqual({
      kind: 'event',
      event: { type: 'progress', message: 'planning', pct: 40 },
    });
    expect(
      parseAgentLine(
        '{"type":"usage","model":"m","input_tokens":1,"output_tokens":2,"cache_read_tokens":3,"cache_write_tokens":4}\r',
      ),
    ).toMatchObject({ kind: 'event', event: { type: 'usage', cache_write_tokens: 4 } });
    expect(parseAgentLine('{"type":"signal","signal":"complete","message":"done"}')).toMatchObject({
      kind: 'event',
      event: { signal: 'complete' },
    });
    for (const line of ['compiling…', '', '{ not json', '{"level":"info","msg":"no type here"}', '[1,2]', '42']) {
      expect(parseAgentLine(line)).toEqual({ kind: 'log', line });
    }
  });

  it('report JSON objects with a type that are not valid agent events, with the reason', () => {
    expect(parseAgentLine('{"type":"signal","signal":"panic"}')).toMatchObject({
      kind: 'invalid',
      type: 'signal',
      reason: expect.stringContaining('signal'),
    });
    expect(parseAgentLine('{"type":"usage","model":"m","input_tokens":-1,"output_tokens":0}')).toMatchObject({
      kind: 'invalid',
      reason: expect.stringContaining('input_tokens'),
    });
    expect(parseAgentLine('{"type":"gate_passed","gate":"gate-1"}')).toMatchObject({
      kind: 'invalid',
      reason: expect.stringContaining('agents may print only'),
    });
    expect(parseAgentLine('{"type":7}')).toMatchObject({ kind: 'invalid', type: null });
    const huge = JSON.stringify({ type: 'progress', message: 'x'.repeat(MAX_EVENT_BYTES) });
    expect(parseAgentLine(huge)).toMatchObject({ kind: 'invalid', reason: expect.stringContaining('64 KB') });
  });
});
