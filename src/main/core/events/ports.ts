import type { DeadLetterInput } from '../../store/repos/events-repo';
import type {
  DeadLetterEntry,
  EventBusHealth,
  BusKind,
  EventDraft,
  LatencyPoint,
  LatencySnapshot,
  WaveEvent,
} from '../../../shared/events';

/**
 * The event dispatcher's contract. Both implementations (Redis Streams, in-process) keep
 * the same promises: at-least-once delivery, per-story order, handlers deduplicated by
 * event id per consumer, dead letters after N failed deliveries, measured latency.
 */
export interface EventBus {
  /** The bus dispatching right now: "in-process" also while Redis is unreachable. */
  readonly kind: BusKind;
  /** Why that bus is the active one, in words for the health panel. */
  readonly reason: string;
  /** Resolves once the event is durably accepted (Redis, or the store's outbox while Redis is down). */
  publish(draft: EventDraft): Promise<PublishAck>;
  /**
   * Delivers every event of one session to `handler`, in per-story order, at least once;
   * an event id already handled by this consumer is acknowledged without calling it again.
   * `consumer` names the logical subscriber (e.g. "orchestrator"): instances sharing it
   * share the work and take over each other's unacknowledged events.
   */
  subscribe(consumer: string, handler: EventHandler, options: SubscribeOptions): Promise<Subscription>;
  /** Broadcast events of a session's system stream (emergency_stop) to every subscribed process. */
  subscribeSystem(session: string, handler: SystemEventHandler): Promise<Subscription>;
  health(): Promise<EventBusHealth>;
  /** Per-type p50/p95/p99 of producer → handler-start latency over the sliding window, plus closed buckets. */
  latencySnapshot(): LatencySnapshot;
  /** p99 producer → handler latency over the sliding window, ms; null before any event. */
  p99Ms(): number | null;
  listDeadLetters(query?: DeadLetterQuery): Promise<DeadLetterEntry[]>;
  /** Interrupts blocking reads, flushes latency, releases connections; the same promise when called twice. */
  close(): Promise<void>;
}

export type EventHandler = (event: WaveEvent, delivery: DeliveryInfo) => Promise<void> | void;
export type SystemEventHandler = (event: WaveEvent) => Promise<void> | void;

export interface DeliveryInfo {
  consumer: string;
  /** 1 on first delivery; counts redeliveries after failures, crashes and reclaims. */
  deliveries: number;
  via: 'redis' | 'in-process';
  /** Redis stream entry id, null in-process. */
  streamId: string | null;
}

export interface SubscribeOptions {
  session: string;
  /** "start" (default): every event still in the session stream; "new": only events published from now on. */
  from?: 'start' | 'new';
  /**
   * Stable name of this instance inside the consumer group. Default: unique per process.
   * A restarted process that passes the same name resumes its own unacknowledged events at once.
   */
  instance?: string;
}

export interface Subscription {
  readonly consumer: string;
  readonly session: string;
  close(): Promise<void>;
}

export interface PublishAck {
  id: string;
  session: string;
  story: string | null;
  type: WaveEvent['type'];
  seq: number;
  producedAt: string;
  /** redis: appended to the stream; in-process: dispatched locally; outbox: Redis down, kept in the store and dispatched locally. */
  via: 'redis' | 'in-process' | 'outbox';
  streamId: string | null;
}

/** The acknowledgement of a published event: what a bus hands back to the producer. */
export function publishAck(event: WaveEvent, via: PublishAck['via'], streamId: string | null): PublishAck {
  return {
    id: event.id,
    session: event.session,
    story: event.story,
    type: event.type,
    seq: event.seq,
    producedAt: event.produced_at,
    via,
    streamId,
  };
}

export interface DeadLetterQuery {
  session?: string;
  limit?: number;
}

export interface EventBusLog {
  info(message: string, detail?: Record<string, unknown>): void;
  warn(message: string, detail?: Record<string, unknown>): void;
  error(message: string, detail?: Record<string, unknown>): void;
}

// ---- Store ports: the bus's only view of persistence (drizzle and in-memory implementations). ----

export interface OutboxRecord {
  event: WaveEvent;
  /** null until replayed to Redis. */
  deliveredAt: Date | null;
}

/** Events produced while Redis was unreachable, kept until replayed to it. */
export interface EventOutbox {
  add(event: WaveEvent): Promise<void>;
  /** Undelivered events, oldest first. */
  pending(limit: number): Promise<WaveEvent[]>;
  markDelivered(ids: readonly string[], at: Date): Promise<void>;
  countPending(): Promise<number>;
  /** Highest seq recorded for (session, story); used to keep seq monotonic during an outage. */
  maxSeq(session: string, story: string | null): Promise<number>;
}

/** Durable "consumer X has handled event Y" (processedEvents table). */
export interface DedupStore {
  has(consumer: string, eventId: string): Promise<boolean>;
  /** Answer without I/O when it is known (memory, cache), else undefined: lets a dispatch start synchronously. */
  hasSync?(consumer: string, eventId: string): boolean | undefined;
  markProcessed(consumer: string, eventId: string): Promise<void>;
}

/** One event that failed every delivery, as the store's dead_letters repository records it. */
export type DeadLetterRecord = DeadLetterInput;

export interface DeadLetterSink {
  record(letter: DeadLetterRecord): Promise<void>;
}

export interface LatencySink {
  write(points: readonly LatencyPoint[]): Promise<void>;
}

export interface EventStorePorts {
  outbox: EventOutbox;
  dedup: DedupStore;
  deadLetters: DeadLetterSink;
  latency: LatencySink;
}

/** Raised to a person when publishing is impossible (e.g. `wave signal` with Redis down). */
export class EventBusUnavailableError extends Error {
  readonly code = 'event_bus_unavailable';
  constructor(message: string) {
    super(message);
    this.name = 'EventBusUnavailableError';
  }
}

export const silentLog: EventBusLog = { info() {}, warn() {}, error() {} };

/** A structured log, or a plain line writer (the app's `log(line)`). */
export type EventBusLogInput = EventBusLog | ((line: string) => void);

export function toEventBusLog(input: EventBusLogInput | undefined): EventBusLog {
  if (!input) return silentLog;
  if (typeof input !== 'function') return input;
  const line = (level: string) => (message: string, detail?: Record<string, unknown>) =>
    input(`[events] ${level}: ${message}${detail && Object.keys(detail).length ? ` ${JSON.stringify(detail)}` : ''}`);
  return { info: line('info'), warn: line('warn'), error: line('error') };
}
