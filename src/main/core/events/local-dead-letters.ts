import { formatTimestamp, MAX_EVENT_BYTES, type DeadLetterEntry } from '../../../shared/events';
import type { PendingDelivery } from './ordered-dispatcher';
import type { DeadLetterQuery, DeadLetterSink, EventBusLog } from './ports';

/** Dead letters of in-process deliveries: the last `keep` in memory, every one in the sink (the store). */
export class LocalDeadLetters {
  private readonly letters: DeadLetterEntry[] = [];
  private total = 0;

  constructor(
    private readonly sink: DeadLetterSink,
    private readonly log: EventBusLog,
    private readonly keep = 1_000,
  ) {}

  get count(): number {
    return this.total;
  }

  async record(d: PendingDelivery, reason: string, consumer: string, stream: string): Promise<DeadLetterEntry> {
    const entry: DeadLetterEntry = {
      id: `local-${++this.total}`,
      session: d.event?.session ?? null,
      eventId: d.event?.id ?? null,
      eventType: d.event?.type ?? null,
      stream,
      consumer,
      reason,
      deliveries: d.deliveries,
      payload: JSON.stringify(d.event ?? d.raw ?? null).slice(0, MAX_EVENT_BYTES),
      at: formatTimestamp(),
    };
    this.letters.push(entry);
    if (this.letters.length > this.keep) this.letters.shift();
    await this.sink
      .record({
        session: entry.session,
        eventId: entry.eventId ?? entry.id,
        stream,
        reason,
        deliveries: d.deliveries,
        payload: (d.event as unknown as Record<string, unknown> | null) ?? d.raw,
      })
      .catch((e: unknown) =>
        this.log.error('Could not store a dead letter', { eventId: entry.eventId, error: (e as Error).message }),
      );
    return entry;
  }

  /** Most recent first. */
  list(query: DeadLetterQuery = {}): DeadLetterEntry[] {
    return this.letters
      .filter((l) => query.session === undefined || l.session === query.session)
      .slice(-(query.limit ?? 100))
      .reverse();
  }
}
