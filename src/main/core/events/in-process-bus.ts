import { formatTimestamp, SYSTEM_EVENT_TYPES, type DeadLetterEntry, type EventBusHealth, type EventDraft, type LatencySnapshot, type WaveEvent } from '../../../shared/events';
import { LatencyRecorder, type LatencyRecorderOptions } from './latency-recorder';
import { MemoryDeadLetterSink, MemoryDedupStore, MemoryLatencySink } from './memory-ports';
import { OrderedDispatcher } from './ordered-dispatcher';
import { LocalDeadLetters } from './local-dead-letters';
import { prepareEvent } from './event-codec';
import {
  toEventBusLog,
  type EventBusLogInput,
  type DeadLetterQuery,
  type DeadLetterSink,
  type DedupStore,
  type EventBus,
  type EventBusLog,
  type EventHandler,
  type PublishAck,
  type SubscribeOptions,
  type Subscription,
  type SystemEventHandler,
} from './ports';

export interface InProcessEventBusOptions {
  dedup?: DedupStore;
  deadLetters?: DeadLetterSink;
  latency?: LatencyRecorderOptions;
  log?: EventBusLogInput;
  /** Deliveries of one event before it is dead-lettered. Default 5. */
  maxDeliveries?: number;
  retryDelayMs?: number;
  /** `source` stamped on events whose producer did not name itself. */
  source?: string;
  /** Shown in health: why the in-process bus is the active one. */
  reason?: string;
  /** close() waits this long for running handlers. Default 5 s. */
  closeGraceMs?: number;
}

const DEFAULT_REASON = 'REDIS_URL is not set: events are dispatched inside this process';

/**
 * The bus without Redis: same guarantees inside one process (order per story, retries,
 * dead letters, dedup, latency), none across processes and nothing survives a restart.
 */
export class InProcessEventBus implements EventBus {
  readonly kind = 'in-process' as const;
  readonly reason: string;
  private readonly log: EventBusLog;
  private readonly dedup: DedupStore;
  private readonly latency: LatencyRecorder;
  private readonly maxDeliveries: number;
  private readonly retryDelayMs: number;
  private readonly source: string;
  private readonly closeGraceMs: number;
  private readonly seqs = new Map<string, number>();
  private readonly subscriptions = new Set<LocalSubscription>();
  private readonly systemHandlers = new Map<string, Set<SystemEventHandler>>();
  private readonly letters: LocalDeadLetters;
  private closing: Promise<void> | null = null;

  constructor(options: InProcessEventBusOptions = {}) {
    this.log = toEventBusLog(options.log);
    this.dedup = options.dedup ?? new MemoryDedupStore();
    this.letters = new LocalDeadLetters(options.deadLetters ?? new MemoryDeadLetterSink(), this.log);
    this.latency = new LatencyRecorder({ sink: new MemoryLatencySink(), ...options.latency, log: this.log });
    this.latency.start();
    this.maxDeliveries = options.maxDeliveries ?? 5;
    this.retryDelayMs = options.retryDelayMs ?? 100;
    this.source = options.source ?? 'local';
    this.reason = options.reason ?? DEFAULT_REASON;
    this.closeGraceMs = options.closeGraceMs ?? 5_000;
  }

  async publish(draft: EventDraft): Promise<PublishAck> {
    this.assertOpen();
    const event = prepareEvent(draft, this.source);
    event.seq = this.nextSeq(event.session, event.story);
    this.dispatch(event);
    return { id: event.id, session: event.session, story: event.story, type: event.type, seq: event.seq, producedAt: event.produced_at, via: 'in-process', streamId: null };
  }

  /** Hands an already-sequenced event to local subscribers (the Redis bus's outage path uses it too). */
  dispatch(event: WaveEvent): void {
    const bump = this.seqs.get(seqKey(event.session, event.story)) ?? 0;
    if (event.seq > bump) this.seqs.set(seqKey(event.session, event.story), event.seq);
    for (const sub of this.subscriptions) if (sub.session === event.session) sub.deliver(event);
    if (SYSTEM_EVENT_TYPES.has(event.type)) this.dispatchSystem(event);
  }

  async subscribe(consumer: string, handler: EventHandler, options: SubscribeOptions): Promise<Subscription> {
    this.assertOpen();
    const sub: LocalSubscription = new LocalSubscription(consumer, options.session, this.closeGraceMs, () => this.subscriptions.delete(sub), {
      consumer,
      handler,
      dedup: this.dedup,
      latency: this.latency,
      log: this.log,
      maxDeliveries: this.maxDeliveries,
      retryDelayMs: this.retryDelayMs,
      hooks: {
        redeliver: async (d) => d.deliveries + 1,
        acknowledge: async () => {},
        deadLetter: async (d, reason) => void (await this.letters.record(d, reason, consumer, `in-process:${options.session}`)),
      },
    });
    this.subscriptions.add(sub);
    return sub;
  }

  async subscribeSystem(session: string, handler: SystemEventHandler): Promise<Subscription> {
    this.assertOpen();
    const set = this.systemHandlers.get(session) ?? new Set();
    set.add(handler);
    this.systemHandlers.set(session, set);
    let closed = false;
    return {
      consumer: 'system',
      session,
      close: async () => {
        if (closed) return;
        closed = true;
        set.delete(handler);
      },
    };
  }

  async health(): Promise<EventBusHealth> {
    const p99 = this.latency.snapshot().overall;
    return {
      status: this.closing ? 'down' : 'ok',
      detail: this.closing ? 'The event bus is closed.' : `In-process event bus: ${this.subscriptions.size} subscription(s) in this process.`,
      latencyMs: 0,
      checkedAt: formatTimestamp(),
      kind: 'in-process',
      reason: this.reason,
      p99Ms: p99.count ? p99.p99Ms : null,
      circuit: 'none',
      outboxPending: 0,
      deadLetters: this.letters.count,
    };
  }

  latencySnapshot(): LatencySnapshot {
    return this.latency.snapshot();
  }

  p99Ms(): number | null {
    const overall = this.latency.snapshot().overall;
    return overall.count ? overall.p99Ms : null;
  }

  async listDeadLetters(query: DeadLetterQuery = {}): Promise<DeadLetterEntry[]> {
    return this.letters.list(query);
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      const subs = [...this.subscriptions].reverse();
      await Promise.all(subs.map((s) => s.close()));
      this.systemHandlers.clear();
      await this.latency.close();
    })();
    return this.closing;
  }

  private dispatchSystem(event: WaveEvent): void {
    for (const handler of this.systemHandlers.get(event.session) ?? []) {
      void (async () => {
        try {
          await handler(event);
        } catch (e) {
          this.log.error('System event handler failed', { type: event.type, session: event.session, error: (e as Error).message });
        }
      })();
    }
  }

  private nextSeq(session: string, story: string | null): number {
    const key = seqKey(session, story);
    const next = (this.seqs.get(key) ?? 0) + 1;
    this.seqs.set(key, next);
    return next;
  }

  private assertOpen(): void {
    if (this.closing) throw new Error('The event bus is closed; create a new one to publish or subscribe.');
  }
}

function seqKey(session: string, story: string | null): string {
  return `${session}\u0000${story ?? ''}`;
}

class LocalSubscription implements Subscription {
  private readonly dispatcher: OrderedDispatcher;
  private closing: Promise<void> | null = null;

  constructor(
    readonly consumer: string,
    readonly session: string,
    private readonly closeGraceMs: number,
    private readonly onClose: () => void,
    options: ConstructorParameters<typeof OrderedDispatcher>[0],
  ) {
    this.dispatcher = new OrderedDispatcher(options);
  }

  deliver(event: WaveEvent): void {
    this.dispatcher.push([{ key: `local:${event.id}`, event, malformed: null, raw: null, deliveries: 1, via: 'in-process', streamId: null }]);
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      this.onClose();
      await this.dispatcher.close(this.closeGraceMs);
    })();
    return this.closing;
  }
}
