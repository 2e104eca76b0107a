import type { LatencyPoint, WaveEvent } from '../../../shared/events';
import type { DeadLetterRecord, DeadLetterSink, DedupStore, EventOutbox, EventStorePorts, LatencySink } from './ports';

/** In-memory store ports: the default without a store, and the fakes of unit tests. Not durable. */

export class MemoryEventOutbox implements EventOutbox {
  private readonly rows = new Map<string, { event: WaveEvent; deliveredAt: Date | null }>();

  async add(event: WaveEvent): Promise<void> {
    if (!this.rows.has(event.id)) this.rows.set(event.id, { event, deliveredAt: null });
  }

  async pending(limit: number): Promise<WaveEvent[]> {
    const out: WaveEvent[] = [];
    for (const row of this.rows.values()) {
      if (row.deliveredAt === null) out.push(row.event);
      if (out.length >= limit) break;
    }
    return out;
  }

  async markDelivered(ids: readonly string[], at: Date): Promise<void> {
    for (const id of ids) {
      const row = this.rows.get(id);
      // Delivered rows are dropped: without a store nobody reads the history back.
      if (row) this.rows.delete(id);
      void at;
    }
  }

  async countPending(): Promise<number> {
    let n = 0;
    for (const row of this.rows.values()) if (row.deliveredAt === null) n++;
    return n;
  }

  async maxSeq(session: string, story: string | null): Promise<number> {
    let max = 0;
    for (const { event } of this.rows.values())
      if (event.session === session && event.story === story && event.seq > max) max = event.seq;
    return max;
  }
}

/** Remembers the most recent `capacity` event ids per consumer; older ones are forgotten first. */
export class MemoryDedupStore implements DedupStore {
  // Keyed by consumer, then by the event id itself: no joined key string to build and hash per lookup.
  private readonly seen = new Map<string, Set<string>>();

  constructor(private readonly capacity = 200_000) {}

  async has(consumer: string, eventId: string): Promise<boolean> {
    return this.hasSync(consumer, eventId);
  }

  hasSync(consumer: string, eventId: string): boolean {
    return this.seen.get(consumer)?.has(eventId) ?? false;
  }

  async markProcessed(consumer: string, eventId: string): Promise<void> {
    let ids = this.seen.get(consumer);
    if (!ids) this.seen.set(consumer, (ids = new Set()));
    ids.add(eventId);
    if (ids.size > this.capacity) {
      const oldest = ids.values().next().value;
      if (oldest !== undefined) ids.delete(oldest);
    }
  }
}

export class MemoryDeadLetterSink implements DeadLetterSink {
  readonly letters: DeadLetterRecord[] = [];
  async record(letter: DeadLetterRecord): Promise<void> {
    this.letters.push(letter);
  }
}

export class MemoryLatencySink implements LatencySink {
  readonly points: LatencyPoint[] = [];
  async write(points: readonly LatencyPoint[]): Promise<void> {
    this.points.push(...points);
  }
}

export function memoryEventStorePorts(): EventStorePorts {
  return {
    outbox: new MemoryEventOutbox(),
    dedup: new MemoryDedupStore(),
    deadLetters: new MemoryDeadLetterSink(),
    latency: new MemoryLatencySink(),
  };
}
