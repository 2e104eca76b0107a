import { z } from 'zod';

/** What the event bus shows the app (health, latency charts, dead letters); reused by the typed API. */

export const BusKind = z.enum(['redis', 'in-process']);
export type BusKind = z.infer<typeof BusKind>;

/** closed: Redis in use; open: Redis unreachable, dispatching in-process; half-open: replaying the outbox. */
export const CircuitState = z.enum(['closed', 'open', 'half-open', 'none']);
export type CircuitState = z.infer<typeof CircuitState>;

/** Same shape as AppHealth.events in the IPC contract, plus the bus's own details. */
export const EventBusHealth = z.object({
  status: z.enum(['ok', 'degraded', 'down']),
  detail: z.string(),
  latencyMs: z.number().nonnegative().nullable(),
  checkedAt: z.string(),
  kind: BusKind,
  reason: z.string(),
  p99Ms: z.number().nonnegative().nullable(),
  circuit: CircuitState,
  /** Events produced while Redis was unreachable and not yet replayed to it. */
  outboxPending: z.number().int().nonnegative(),
  deadLetters: z.number().int().nonnegative(),
});
export type EventBusHealth = z.infer<typeof EventBusHealth>;

export const LatencyStats = z.object({
  count: z.number().int().nonnegative(),
  p50Ms: z.number().nonnegative(),
  p95Ms: z.number().nonnegative(),
  p99Ms: z.number().nonnegative(),
  maxMs: z.number().nonnegative(),
});
export type LatencyStats = z.infer<typeof LatencyStats>;

export const LatencyPoint = LatencyStats.extend({
  /** "*" is every type together. */
  eventType: z.string(),
  windowStart: z.string(),
  windowMs: z.number().int().positive(),
});
export type LatencyPoint = z.infer<typeof LatencyPoint>;

export const LatencySnapshot = z.object({
  at: z.string(),
  /** Length of the sliding window the percentiles below cover. */
  windowMs: z.number().int().positive(),
  overall: LatencyStats,
  byType: z.record(z.string(), LatencyStats),
  /** Closed buckets, oldest first, one point per event type and one "*" per bucket. */
  series: z.array(LatencyPoint),
  /** The bucket still open, all event types ("*"), its windowMs the time it has been open; null before its first event. */
  open: LatencyPoint.nullable().optional(),
});
export type LatencySnapshot = z.infer<typeof LatencySnapshot>;

export const DeadLetterEntry = z.object({
  /** Dead-letter stream entry id in Redis mode, a local id in-process. */
  id: z.string(),
  session: z.string().nullable(),
  eventId: z.string().nullable(),
  eventType: z.string().nullable(),
  /** Stream (or in-process channel) the event came from. */
  stream: z.string(),
  consumer: z.string().nullable(),
  reason: z.string(),
  deliveries: z.number().int().nonnegative(),
  /** The entry as received (JSON text), cut to 64 KB. */
  payload: z.string(),
  at: z.string(),
});
export type DeadLetterEntry = z.infer<typeof DeadLetterEntry>;
