import { describeIssues, WaveEvent, isWaveEventType, EVENT_TYPES } from './event-schemas';
import { formatBytes, MAX_EVENT_BYTES, utf8ByteLength } from './limits';

/** Refused at publish: the encoded event is over MAX_EVENT_BYTES. */
export class EventTooLargeError extends Error {
  readonly code = 'event_too_large';
  constructor(
    readonly bytes: number,
    readonly eventType: string,
    readonly session: string,
    readonly story: string | null,
  ) {
    super(
      `Event "${eventType}" of session ${session}${story ? ` story ${story}` : ''} is ${formatBytes(bytes)} encoded; ` +
        `the limit is ${formatBytes(MAX_EVENT_BYTES)}. Shorten its text or write the bulk to a file and send its path.`,
    );
    this.name = 'EventTooLargeError';
  }
}

/** Refused at publish: the event does not match its schema. */
export class InvalidEventError extends Error {
  readonly code = 'invalid_event';
  constructor(
    readonly eventType: string,
    readonly reason: string,
  ) {
    super(`Event "${eventType}" is invalid: ${reason}.`);
    this.name = 'InvalidEventError';
  }
}

/** JSON of a validated event; throws EventTooLargeError over the cap. */
export function encodeEvent(event: WaveEvent): string {
  const json = JSON.stringify(event);
  const bytes = utf8ByteLength(json);
  if (bytes > MAX_EVENT_BYTES) throw new EventTooLargeError(bytes, event.type, event.session, event.story);
  return json;
}

export type DecodeResult = { ok: true; event: WaveEvent } | { ok: false; reason: string };

/** Validates anything that claims to be an event (parsed JSON) and says why when it is not one. */
export function validateEvent(value: unknown): DecodeResult {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return { ok: false, reason: 'not a JSON object' };
  const type = (value as { type?: unknown }).type;
  if (!isWaveEventType(type)) {
    return {
      ok: false,
      reason:
        type === undefined
          ? 'no "type" field'
          : `unknown type ${JSON.stringify(type)}; expected one of ${EVENT_TYPES.join(', ')}`,
    };
  }
  const parsed = WaveEvent.safeParse(value);
  return parsed.success
    ? { ok: true, event: parsed.data }
    : { ok: false, reason: `${type}: ${describeIssues(parsed.error)}` };
}
