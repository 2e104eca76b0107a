import { z } from 'zod';
import { AppHealth, AppInfo, AppSnapshot, Empty } from './schemas';

/**
 * The one contract between the renderer and the core. Every request is `domain.verb`
 * with a zod request and response schema; every pushed event has a zod payload.
 * Preload, the WebSocket bridge, main's handlers and the renderer client derive from it.
 */
export const requests = {
  'app.info': {
    doc: 'Version, data dir, active store and event bus with their health.',
    request: Empty,
    response: AppInfo,
  },
  'app.snapshot': {
    doc: 'Everything the renderer needs at once, with the sequence number it is current to.',
    request: Empty,
    response: AppSnapshot,
  },
  'app.echo': {
    doc: 'Round-trips a short text; used by health probes and transport tests.',
    request: z.object({ text: z.string().max(1000) }).strict(),
    response: z.object({ text: z.string(), receivedAt: z.string() }),
  },
} as const;

export const events = {
  'app.health': AppHealth,
} as const;

export type Requests = typeof requests;
export type RequestName = keyof Requests;
export type RequestOf<N extends RequestName> = z.input<Requests[N]['request']>;
export type ParsedRequestOf<N extends RequestName> = z.output<Requests[N]['request']>;
export type ResponseOf<N extends RequestName> = z.output<Requests[N]['response']>;

export type Events = typeof events;
export type EventName = keyof Events;
export type EventOf<E extends EventName> = z.output<Events[E]>;

/** What a transport pushes for every event: the payload and its global sequence number. */
export interface EventEnvelope<E extends EventName = EventName> {
  name: E;
  seq: number;
  payload: EventOf<E>;
}
