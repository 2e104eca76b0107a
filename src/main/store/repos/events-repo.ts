import { and, asc, count, desc, eq, inArray, isNull, max } from 'drizzle-orm';
import { validateEvent, type LatencyPoint, type WaveEvent } from '../../../shared/events';
import { deadLetters, events, latencyStats, processedEvents, type LatencyStat } from '../schema';
import type { QueryRunner } from './runner';

/** What the outbox reports (the event bus's log has this shape). */
export interface OutboxLog {
  error(message: string, detail?: Record<string, unknown>): void;
}

const silent: OutboxLog = { error: () => {} };

/** The `events` table as the outbox: rows with delivered_at null were produced while Redis was down. */
export class EventOutboxRepo {
  constructor(
    private readonly run: QueryRunner,
    private readonly log: OutboxLog = silent,
  ) {}

  async add(event: WaveEvent): Promise<void> {
    await this.run.write((q) =>
      q
        .insert(events)
        .values({
          id: event.id,
          sessionId: event.session,
          storyId: event.story,
          seq: event.seq,
          type: event.type,
          payload: event as unknown as Record<string, unknown>,
          producedAt: new Date(event.produced_at),
          source: event.source ?? 'unknown',
          deliveredAt: null,
        })
        .onConflictDoNothing(),
    );
  }

  async pending(limit: number): Promise<WaveEvent[]> {
    const rows = await this.run.read((q) =>
      q
        .select({ id: events.id, payload: events.payload })
        .from(events)
        .where(isNull(events.deliveredAt))
        .orderBy(asc(events.producedAt), asc(events.seq))
        .limit(limit),
    );
    const out: WaveEvent[] = [];
    const broken: string[] = [];
    for (const row of rows) {
      const decoded = validateEvent(row.payload);
      if (decoded.ok) out.push(decoded.event);
      else broken.push(row.id);
    }
    if (broken.length) {
      // A row that no longer validates (schema changed under it) would block the outbox forever.
      this.log.error('Outbox rows are not valid events and will not be replayed', { ids: broken });
      await this.markDelivered(broken, new Date());
    }
    return out;
  }

  async markDelivered(ids: readonly string[], at: Date): Promise<void> {
    if (ids.length === 0) return;
    await this.run.write((q) =>
      q
        .update(events)
        .set({ deliveredAt: at })
        .where(inArray(events.id, [...ids])),
    );
  }

  async countPending(): Promise<number> {
    const [row] = await this.run.read((q) => q.select({ n: count() }).from(events).where(isNull(events.deliveredAt)));
    return Number(row?.n ?? 0);
  }

  async maxSeq(session: string, story: string | null): Promise<number> {
    const [row] = await this.run.read((q) =>
      q
        .select({ seq: max(events.seq) })
        .from(events)
        .where(and(eq(events.sessionId, session), story === null ? isNull(events.storyId) : eq(events.storyId, story))),
    );
    return Number(row?.seq ?? 0);
  }
}

/** processed_events, with a bounded cache of positive answers in front (redeliveries hit it). */
export class DedupRepo {
  private readonly known = new Set<string>();

  constructor(
    private readonly run: QueryRunner,
    private readonly cacheSize = 50_000,
  ) {}

  async has(consumer: string, eventId: string): Promise<boolean> {
    const key = `${consumer}\u0000${eventId}`;
    if (this.known.has(key)) return true;
    const rows = await this.run.read((q) =>
      q
        .select({ eventId: processedEvents.eventId })
        .from(processedEvents)
        .where(and(eq(processedEvents.consumer, consumer), eq(processedEvents.eventId, eventId)))
        .limit(1),
    );
    if (rows.length) this.remember(key);
    return rows.length > 0;
  }

  /** Only positive answers are cached; a miss must ask the database. */
  hasSync(consumer: string, eventId: string): boolean | undefined {
    return this.known.has(`${consumer}\u0000${eventId}`) ? true : undefined;
  }

  async markProcessed(consumer: string, eventId: string): Promise<void> {
    await this.run.write((q) => q.insert(processedEvents).values({ consumer, eventId }).onConflictDoNothing());
    this.remember(`${consumer}\u0000${eventId}`);
  }

  private remember(key: string): void {
    this.known.add(key);
    if (this.known.size > this.cacheSize) {
      const oldest = this.known.values().next().value;
      if (oldest !== undefined) this.known.delete(oldest);
    }
  }
}

export interface DeadLetterInput {
  session: string | null;
  eventId: string;
  stream: string;
  reason: string;
  deliveries: number;
  payload: Record<string, unknown> | null;
}

/** dead_letters: events that failed every delivery. */
export class DeadLettersRepo {
  constructor(private readonly run: QueryRunner) {}

  async record(letter: DeadLetterInput): Promise<void> {
    await this.run.write((q) =>
      q.insert(deadLetters).values({
        sessionId: letter.session,
        eventId: letter.eventId,
        stream: letter.stream,
        reason: letter.reason,
        deliveries: letter.deliveries,
        payload: letter.payload,
      }),
    );
  }
}

/** latency_stats: closed latency windows, kept as history for the metrics panel. */
export class LatencyRepo {
  constructor(private readonly run: QueryRunner) {}

  async write(points: readonly LatencyPoint[]): Promise<void> {
    if (points.length === 0) return;
    await this.run.write((q) =>
      q.insert(latencyStats).values(
        points.map((p) => ({
          eventType: p.eventType,
          windowStart: new Date(p.windowStart),
          windowMs: p.windowMs,
          count: p.count,
          p50Ms: p.p50Ms,
          p95Ms: p.p95Ms,
          p99Ms: p.p99Ms,
          maxMs: p.maxMs,
        })),
      ),
    );
  }

  /** The newest `limit` windows of one event type ('*' = all types), oldest first. */
  async recent(eventType: string, limit: number): Promise<LatencyStat[]> {
    const rows = await this.run.read((q) =>
      q
        .select()
        .from(latencyStats)
        .where(eq(latencyStats.eventType, eventType))
        .orderBy(desc(latencyStats.windowStart))
        .limit(limit),
    );
    return rows.reverse();
  }
}
