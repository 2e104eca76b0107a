import type { WaveEvent } from '../../../shared/events';
import { msSinceProduced } from './event-codec';
import type { LatencyRecorder } from './latency-recorder';
import type { DedupStore, DeliveryInfo, EventBusLog, EventHandler } from './ports';

/** One delivery waiting for (or being retried by) a consumer's handler. */
export interface PendingDelivery {
  /** Unique within a subscription: the stream entry id, or "local:<event id>" for in-process ones. */
  key: string;
  /** The event, or null when the entry is malformed (see `malformed`). */
  event: WaveEvent | null;
  /** Why the entry is not a valid event; such entries go straight to the dead letters. */
  malformed: string | null;
  /** The entry as received, kept for the dead-letter record. */
  raw: Record<string, unknown> | null;
  deliveries: number;
  via: 'redis' | 'in-process';
  streamId: string | null;
  retryAt?: number;
  lastError?: string;
  /**
   * The event id was minted for this very delivery in this process (an in-process publish
   * without a producer id): it cannot be a duplicate, so neither the in-flight keys nor the
   * dedup store are consulted. It is still recorded as processed once handled.
   */
  unseen?: boolean;
}

/** Transport-specific steps of a delivery's life (XCLAIM/XACK/dead-letter stream in Redis mode). */
export interface DeliveryHooks {
  /** Called before a failed delivery is run again; the new delivery count, or null if the entry is no longer ours. */
  redeliver(d: PendingDelivery): Promise<number | null>;
  acknowledge(d: PendingDelivery): Promise<void>;
  deadLetter(d: PendingDelivery, reason: string): Promise<void>;
}

export interface DispatcherOptions {
  consumer: string;
  handler: EventHandler;
  hooks: DeliveryHooks;
  dedup: DedupStore;
  latency: LatencyRecorder;
  log: EventBusLog;
  maxDeliveries: number;
  /** First retry delay after a handler failure; doubles per delivery, capped at 5 s. */
  retryDelayMs: number;
}

const MAX_RETRY_DELAY_MS = 5_000;

/**
 * Runs one consumer's handler over its deliveries, one at a time, in arrival order. A failed
 * delivery holds back the later events of the same story until it is retried successfully or
 * dead-lettered, so per-story order survives retries; other stories keep flowing.
 *
 * Only the handler is on the critical path: recording the event as processed and
 * acknowledging it happen in the background (in that order), so the next handler starts at
 * once; when the dispatcher is idle a handler starts in the very tick the event was pushed.
 */
export class OrderedDispatcher {
  /** Runnable deliveries in arrival order, consumed from `head` (no O(n) shift per delivery). */
  private queue: PendingDelivery[] = [];
  private head = 0;
  /** Stories held behind a failed delivery: the failed one first, then later arrivals of that story. */
  private readonly held = new Map<string, PendingDelivery[]>();
  private heldCount = 0;
  /** The delivery whose handler is running (its lease must be kept alive too). */
  private current: PendingDelivery | null = null;
  private readonly keys = new Set<string>();
  private readonly settling = new Set<Promise<void>>();
  private pumping: Promise<void> | null = null;
  private inDrain = false;
  private wakeTimer: ReturnType<typeof setTimeout> | null = null;
  private closed = false;
  private drainWaiters: Array<{ size: number; resolve: () => void }> = [];

  constructor(private readonly o: DispatcherOptions) {}

  /** Deliveries not yet settled (queued, held or running). */
  get size(): number {
    return this.queue.length - this.head + this.heldCount;
  }

  has(key: string): boolean {
    return this.keys.has(key);
  }

  /** Stream entry ids this dispatcher still holds (their leases must be kept alive). */
  streamIds(): string[] {
    const ids: string[] = this.current?.streamId ? [this.current.streamId] : [];
    for (let i = this.head; i < this.queue.length; i++) {
      const id = this.queue[i]?.streamId;
      if (id) ids.push(id);
    }
    for (const list of this.held.values()) for (const d of list) if (d.streamId) ids.push(d.streamId);
    return ids;
  }

  /** Earliest time a held delivery is due for a retry, or null. */
  nextRetryAt(): number | null {
    let next: number | null = null;
    for (const [first] of this.held.values())
      if (first?.retryAt !== undefined && (next === null || first.retryAt < next)) next = first.retryAt;
    return next;
  }

  /** push() of a single delivery, without the array (the in-process bus's hot path). */
  pushOne(d: PendingDelivery): void {
    if (this.closed) return;
    if (!d.unseen) {
      if (this.keys.has(d.key)) return;
      this.keys.add(d.key);
    }
    // Idle, nothing queued or held: run it at once rather than through the queue.
    if (this.pumping === null && !this.inDrain && this.head >= this.queue.length && this.held.size === 0)
      return this.kick(d);
    this.queue.push(d);
    this.kick();
  }

  push(deliveries: readonly PendingDelivery[]): void {
    if (this.closed) return;
    for (const d of deliveries) {
      if (this.keys.has(d.key)) continue;
      this.keys.add(d.key);
      this.queue.push(d);
    }
    this.kick();
  }

  /** Resolves when at most `size` deliveries are pending (back-pressure for the reader). */
  waitBelow(size: number): Promise<void> {
    if (this.size <= size || this.closed) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push({ size, resolve }));
  }

  /** Stops taking work; waits for the running handler and bookkeeping up to `graceMs`. Unfinished deliveries stay unacknowledged. */
  async close(graceMs = 5_000): Promise<void> {
    this.closed = true;
    if (this.wakeTimer) clearTimeout(this.wakeTimer);
    this.wakeTimer = null;
    this.releaseWaiters(true);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const work = Promise.all([this.pumping, ...this.settling]);
    await Promise.race([work, new Promise<void>((r) => (timer = setTimeout(r, graceMs)))]);
    clearTimeout(timer);
  }

  /** Runs the loop; `first`, when given, is a delivery to run before the queue (the idle dispatcher's fast path). */
  private kick(first?: PendingDelivery): void {
    // inDrain: a handler publishing synchronously must not start a nested loop; the running one picks it up.
    if (this.closed || this.pumping || this.inDrain) return;
    // The loop runs synchronously while it can: an idle dispatcher starts a handler in the tick of the push.
    let rest: Promise<void> | null;
    this.inDrain = true;
    try {
      rest = first ? this.runFirst(first) : this.drain();
    } catch (e) {
      this.stopped(e);
      rest = null;
    } finally {
      this.inDrain = false;
    }
    if (!rest) return this.schedule();
    this.pumping = rest
      .catch((e) => this.stopped(e))
      .finally(() => {
        this.pumping = null;
        // Work pushed while the loop was finishing.
        if (this.head < this.queue.length) this.kick();
        else this.schedule();
      });
  }

  private stopped(e: unknown): void {
    this.o.log.error('Event dispatcher stopped on an unexpected error', {
      consumer: this.o.consumer,
      error: (e as Error)?.message ?? String(e),
    });
  }

  private schedule(): void {
    if (this.wakeTimer) clearTimeout(this.wakeTimer);
    this.wakeTimer = null;
    if (this.closed) return;
    const next = this.nextRetryAt();
    if (next === null) return;
    this.wakeTimer = setTimeout(
      () => {
        this.wakeTimer = null;
        this.kick();
      },
      Math.max(0, next - Date.now()),
    );
  }

  /** Runs deliveries until none is runnable (null) or one has to wait for I/O (the promise of the rest). */
  private drain(): Promise<void> | null {
    while (!this.closed) {
      const due = this.dueRetry();
      if (due) return this.runHeld(due).then(() => this.drainAsync());
      if (this.head >= this.queue.length) {
        // Drained: start the array over rather than let it grow (and be copied) one slot per event.
        if (this.head > 0) this.queue.length = this.head = 0;
        return null;
      }
      const d = this.queue[this.head] as PendingDelivery;
      this.queue[this.head++] = undefined as unknown as PendingDelivery;
      if (this.head > 1024 && this.head * 2 > this.queue.length) {
        this.queue = this.queue.slice(this.head);
        this.head = 0;
      }
      // Nothing held (the usual case): no story key to build.
      if (this.held.size > 0) {
        const list = this.held.get(holdKey(d));
        if (list) {
          list.push(d);
          this.heldCount++;
          continue;
        }
      }
      this.current = d;
      const outcome = this.step(d);
      if (typeof outcome !== 'string') return outcome.then((o) => this.afterQueued(d, o)).then(() => this.drainAsync());
      this.afterQueued(d, outcome);
    }
    return null;
  }

  private runFirst(d: PendingDelivery): Promise<void> | null {
    this.current = d;
    const outcome = this.step(d);
    if (typeof outcome !== 'string') return outcome.then((o) => this.afterQueued(d, o)).then(() => this.drainAsync());
    this.afterQueued(d, outcome);
    return this.drain();
  }

  private async drainAsync(): Promise<void> {
    const rest = this.drain();
    if (rest) await rest;
  }

  private afterQueued(d: PendingDelivery, outcome: 'done' | 'retry'): void {
    this.current = null;
    if (outcome === 'retry') {
      this.held.set(holdKey(d), [d]);
      this.heldCount++;
    }
    this.releaseWaiters(false);
  }

  /** A held story whose failed delivery is due for its retry. */
  private dueRetry(): string | null {
    if (this.held.size === 0) return null;
    const now = Date.now();
    for (const [story, [first]] of this.held) if (first && (first.retryAt ?? 0) <= now) return story;
    return null;
  }

  /** Retries a held story's failed delivery, then runs what waited behind it, until one fails again. */
  private async runHeld(story: string): Promise<void> {
    const list = this.held.get(story) as PendingDelivery[];
    while (list.length && !this.closed) {
      const d = list[0] as PendingDelivery;
      if (d.retryAt !== undefined && d.retryAt > Date.now()) return;
      const outcome = await this.step(d);
      if (outcome === 'retry' || this.closed) return;
      list.shift();
      this.heldCount--;
      this.releaseWaiters(false);
    }
    if (list.length === 0) this.held.delete(story);
  }

  /**
   * Runs one delivery; 'retry' when it must be held and tried again later. Synchronous for a
   * first delivery with a known dedup answer and a handler that does not return a promise.
   */
  private step(d: PendingDelivery): 'done' | 'retry' | Promise<'done' | 'retry'> {
    const event = d.event;
    if (d.retryAt !== undefined || event === null || d.malformed !== null || d.deliveries > this.o.maxDeliveries)
      return this.slowStep(d);
    const { consumer, dedup } = this.o;
    const known = d.unseen ? false : dedup.hasSync?.(consumer, event.id);
    if (known === undefined) return this.slowStep(d);
    if (known) {
      this.settle(d, false);
      return this.forget(d);
    }
    let result: void | Promise<void>;
    // The handler's start is the measured instant; recording it waits until the handler has begun.
    const startedAt = performance.now();
    try {
      result = this.o.handler(event, { consumer, deliveries: d.deliveries, via: d.via, streamId: d.streamId });
    } catch (e) {
      this.o.latency.record(event.type, msSinceProduced(event, startedAt));
      return this.failed(d, event, e);
    }
    this.o.latency.record(event.type, msSinceProduced(event, startedAt));
    if (!isThenable(result)) {
      this.settle(d, true);
      return this.forget(d);
    }
    return result.then(
      () => {
        this.settle(d, true);
        return this.forget(d);
      },
      (e: unknown) => this.failed(d, event, e),
    );
  }

  private async slowStep(d: PendingDelivery): Promise<'done' | 'retry'> {
    const { maxDeliveries } = this.o;
    try {
      if (d.retryAt !== undefined) {
        const count = await this.o.hooks.redeliver(d);
        if (count === null) return this.forget(d);
        d.deliveries = count;
        d.retryAt = undefined;
      }
      if (d.malformed !== null || d.event === null)
        return await this.deadLetter(d, `malformed event: ${d.malformed ?? 'unreadable entry'}`);
      if (d.deliveries > maxDeliveries) {
        return await this.deadLetter(
          d,
          `delivered ${d.deliveries} times (limit ${maxDeliveries}) without being acknowledged: its consumer crashed or stalled each time` +
            (d.lastError ? `; last error: ${d.lastError}` : ''),
        );
      }
    } catch (e) {
      return this.postpone(d, e, false);
    }

    const event = d.event;
    try {
      const { consumer, dedup } = this.o;
      const known = dedup.hasSync?.(consumer, event.id);
      if (!(known ?? (await dedup.has(consumer, event.id)))) {
        this.o.latency.record(event.type, msSinceProduced(event));
        await this.o.handler(event, {
          consumer,
          deliveries: d.deliveries,
          via: d.via,
          streamId: d.streamId,
        } satisfies DeliveryInfo);
        this.settle(d, true);
      } else this.settle(d, false);
      return this.forget(d);
    } catch (e) {
      return this.failed(d, event, e);
    }
  }

  /** The handler threw: dead-letter when out of deliveries, else hold for a retry. */
  private async failed(d: PendingDelivery, event: WaveEvent, e: unknown): Promise<'done' | 'retry'> {
    d.lastError = (e as Error)?.message ?? String(e);
    if (d.deliveries >= this.o.maxDeliveries) {
      try {
        return await this.deadLetter(
          d,
          `handler of ${this.o.consumer} failed on all ${d.deliveries} deliveries; last error: ${d.lastError}`,
        );
      } catch (dlqError) {
        return this.postpone(d, dlqError, false);
      }
    }
    this.o.log.warn('Event handler failed; the event will be retried', {
      consumer: this.o.consumer,
      eventId: event.id,
      type: event.type,
      deliveries: d.deliveries,
      error: d.lastError,
    });
    return this.postpone(d, e, true);
  }

  /** Records the event as processed, then acknowledges it, off the critical path. */
  private settle(d: PendingDelivery, handled: boolean): void {
    const event = d.event as WaveEvent;
    const task = (async () => {
      try {
        if (handled) await this.o.dedup.markProcessed(this.o.consumer, event.id);
      } catch (e) {
        // Not acknowledged either: the redelivery runs the handler again (at-least-once).
        this.o.log.warn('Could not record a handled event as processed; it will be delivered again', {
          consumer: this.o.consumer,
          eventId: event.id,
          error: (e as Error).message,
        });
        return;
      }
      try {
        await this.o.hooks.acknowledge(d);
      } catch (e) {
        this.o.log.warn('Could not acknowledge a handled event; it will be acknowledged on redelivery', {
          consumer: this.o.consumer,
          eventId: event.id,
          error: (e as Error).message,
        });
      }
    })();
    this.settling.add(task);
    void task.finally(() => this.settling.delete(task));
  }

  private async deadLetter(d: PendingDelivery, reason: string): Promise<'done'> {
    await this.o.hooks.deadLetter(d, reason);
    this.o.log.warn('Event moved to the dead letters', {
      consumer: this.o.consumer,
      key: d.key,
      eventId: d.event?.id ?? null,
      reason,
    });
    // A dead-lettered event is settled for this consumer: a later copy (outbox replay) must not run it again.
    if (d.event) {
      await this.o.dedup.markProcessed(this.o.consumer, d.event.id).catch((e: unknown) =>
        this.o.log.warn('Could not record a dead-lettered event as settled', {
          eventId: d.event?.id,
          error: (e as Error).message,
        }),
      );
    }
    return this.forget(d);
  }

  /** Holds the delivery (and its story) until a retry later; `counted` when the handler itself failed. */
  private postpone(d: PendingDelivery, e: unknown, counted: boolean): 'retry' {
    if (!counted) {
      this.o.log.warn('Event delivery step failed; retrying later', {
        consumer: this.o.consumer,
        key: d.key,
        error: (e as Error)?.message ?? String(e),
      });
    }
    const delay = Math.min(MAX_RETRY_DELAY_MS, this.o.retryDelayMs * 2 ** Math.max(0, d.deliveries - 1));
    d.retryAt = Date.now() + delay;
    return 'retry';
  }

  private forget(d: PendingDelivery): 'done' {
    if (!d.unseen) this.keys.delete(d.key);
    return 'done';
  }

  private releaseWaiters(all: boolean): void {
    if (this.drainWaiters.length === 0) return;
    const size = this.size;
    const ready = all ? this.drainWaiters : this.drainWaiters.filter((w) => size <= w.size);
    if (ready.length === 0) return;
    this.drainWaiters = this.drainWaiters.filter((w) => !ready.includes(w));
    for (const w of ready) w.resolve();
  }
}

function isThenable(value: unknown): value is Promise<void> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}

/** What a failed delivery holds back: its story; a malformed entry belongs to no story and holds only itself. */
function holdKey(d: PendingDelivery): string {
  return d.event ? `s:${d.event.story ?? ''}` : `m:${d.key}`;
}
