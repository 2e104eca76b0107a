import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { Redis, type RedisOptions } from 'ioredis';
import {
  formatTimestamp,
  MAX_EVENT_BYTES,
  nowEpochMs,
  parseTimestampMs,
  SYSTEM_EVENT_TYPES,
  type CircuitState,
  type DeadLetterEntry,
  type EventBusHealth,
  type BusKind,
  type EventDraft,
  type LatencySnapshot,
  type WaveEvent,
} from '../../../shared/events';
import { decodeStreamEntry, prepareEvent, streamBody } from './event-codec';
import { LatencyRecorder, type LatencyRecorderOptions } from './latency-recorder';
import { LocalDeadLetters } from './local-dead-letters';
import { memoryEventStorePorts } from './memory-ports';
import { OrderedDispatcher, type PendingDelivery } from './ordered-dispatcher';
import {
  EventBusUnavailableError,
  publishAck,
  toEventBusLog,
  type EventBusLogInput,
  type DeadLetterQuery,
  type EventBus,
  type EventBusLog,
  type EventHandler,
  type EventStorePorts,
  type PublishAck,
  type SubscribeOptions,
  type Subscription,
  type SystemEventHandler,
} from './ports';
import { PUBLISH_SCRIPT, streamKeys, type StreamKeys } from './redis-keys';

export interface RedisEventBusOptions {
  redisUrl: string;
  /** Prefix of every key the bus writes. Default "wave:". */
  keyPrefix?: string;
  /** Outbox, dedup, dead letters, latency persistence; in-memory when absent. */
  ports?: Partial<EventStorePorts>;
  log?: EventBusLogInput;
  /** Deliveries of one entry (handler failures, crashes) before it is dead-lettered. Default 5. */
  maxDeliveries?: number;
  /** An entry unacknowledged this long is taken over by another instance of its consumer. Default 30 s. */
  claimIdleMs?: number;
  /** How often each subscription looks for such entries. Default claimIdleMs / 2. */
  claimIntervalMs?: number;
  /** XREADGROUP BLOCK timeout; bounded so a read is re-issued (and checked) regularly. Default 2 s. */
  blockMs?: number;
  /** A blocking read with no reply after BLOCK + this margin is abandoned and its connection recreated. Default 1.5 s. */
  watchdogMarginMs?: number;
  /** Non-blocking commands fail after this long (and the connection is recycled). Default 2 s. */
  commandTimeoutMs?: number;
  /** Approximate length a session stream is trimmed to (never past unacknowledged entries). Default 10 000. */
  maxLen?: number;
  /** Check the trim every N publishes of this process. Default 64. */
  trimEvery?: number;
  /** First retry delay of a failed handler (doubles per delivery, capped at 5 s). Default 200 ms. */
  retryDelayMs?: number;
  /** Entries read per XREADGROUP. Default 100. */
  batchSize?: number;
  /** `source` stamped on events whose producer did not name itself. */
  source?: string;
  latency?: LatencyRecorderOptions;
  /**
   * true (default): while Redis is unreachable, dispatch in-process and keep events in the
   * outbox. false (pure producers such as `wave signal`): fail with EventBusUnavailableError.
   */
  fallback?: boolean;
  connectTimeoutMs?: number;
  /** close() waits this long for running handlers; their events stay unacknowledged after it. Default 5 s. */
  closeGraceMs?: number;
}

type ScriptedRedis = Redis & {
  wavePublish(...args: Array<string | number>): Promise<[string, number]>;
};

type StreamEntry = [id: string, fields: string[] | null];

const GROUP_EXISTS = /BUSYGROUP/;
const NO_GROUP = /NOGROUP/;
const TRANSIENT_REPLY = /^(LOADING|BUSY|MASTERDOWN|READONLY|TRYAGAIN|CLUSTERDOWN)/;

/** Errors that mean "Redis is not reachable right now" rather than "this command is wrong". */
export function isRedisUnavailableError(e: unknown): boolean {
  if (!(e instanceof Error)) return false;
  if (e.name === 'ReplyError') return TRANSIENT_REPLY.test(e.message);
  return true;
}

const COMMAND_TIMEOUT = /Command timed out/i;

class WatchdogTimeout extends Error {
  constructor(ms: number) {
    super(`no reply to a blocking read within ${ms} ms`);
    this.name = 'WatchdogTimeout';
  }
}

/** Redis URL without its password, for messages a person reads. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString().replace(/\/$/, '');
  } catch {
    return 'the configured Redis';
  }
}

/** A promise-chain mutex: the outbox replay and publishes during an outage take turns. */
class Mutex {
  private tail: Promise<unknown> = Promise.resolve();
  run<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.tail.then(fn, fn);
    this.tail = result.catch(() => undefined);
    return result;
  }
}

/**
 * Redis Streams event bus with a circuit breaker. Closed: events go to a stream per session
 * and consumer groups read them. Open (Redis unreachable): events are kept in the outbox and
 * dispatched in-process. Half-open (Redis back): the outbox is replayed in order, then closed.
 * Local consumers recognise replayed events they already handled by id, so nothing runs twice.
 */
export class RedisEventBus implements EventBus {
  readonly keys: StreamKeys;
  private readonly o: ResolvedOptions;
  private readonly url: string;
  private readonly ports: EventStorePorts;
  private readonly log: EventBusLog;
  private readonly source: string;
  private readonly cmd: ScriptedRedis;
  private readonly latency: LatencyRecorder;
  private readonly localLetters: LocalDeadLetters;
  private readonly mutex = new Mutex();
  private readonly subscriptions = new Set<RedisStreamSubscription>();
  private readonly systemSubscriptions = new Set<RedisSystemSubscription>();
  /** Highest seq seen per (session, story): keeps seq monotonic through outages and Redis data loss. */
  private readonly lastSeq = new Map<string, number>();
  private readonly seqLoaded = new Set<string>();
  private circuit: CircuitState = 'open';
  private lastError = 'not connected yet';
  private reconciling: Promise<void> | null = null;
  private stateWaiters: Array<() => void> = [];
  private publishCount = 0;
  private closing: Promise<void> | null = null;
  private readonly instanceBase = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;

  constructor(options: RedisEventBusOptions) {
    this.url = options.redisUrl;
    this.keys = streamKeys(options.keyPrefix ?? 'wave:');
    this.log = toEventBusLog(options.log);
    this.source = options.source ?? `wave:${process.pid}`;
    const claimIdleMs = options.claimIdleMs ?? 30_000;
    this.o = {
      maxDeliveries: options.maxDeliveries ?? 5,
      claimIdleMs,
      claimIntervalMs: options.claimIntervalMs ?? Math.max(100, Math.floor(claimIdleMs / 2)),
      blockMs: options.blockMs ?? 2_000,
      watchdogMarginMs: options.watchdogMarginMs ?? 1_500,
      commandTimeoutMs: options.commandTimeoutMs ?? 2_000,
      maxLen: options.maxLen ?? 10_000,
      trimEvery: Math.max(1, options.trimEvery ?? 64),
      retryDelayMs: options.retryDelayMs ?? 200,
      batchSize: options.batchSize ?? 100,
      fallback: options.fallback ?? true,
      connectTimeoutMs: options.connectTimeoutMs ?? 2_000,
      closeGraceMs: options.closeGraceMs ?? 5_000,
    };
    this.ports = { ...memoryEventStorePorts(), ...options.ports };
    this.latency = new LatencyRecorder({ sink: this.ports.latency, ...options.latency, log: this.log });
    this.localLetters = new LocalDeadLetters(this.ports.deadLetters, this.log);
    this.cmd = new Redis(this.url, {
      ...this.connectionOptions(),
      commandTimeout: this.o.commandTimeoutMs,
      connectionName: `wave-events:${this.instanceBase}`,
    }) as ScriptedRedis;
    this.cmd.defineCommand('wavePublish', { numberOfKeys: 3, lua: PUBLISH_SCRIPT });
    this.cmd.on('error', (e: Error) => (this.lastError = e.message));
    this.cmd.on('ready', () => this.onRedisUp());
    this.cmd.on('close', () => this.onRedisDown(this.lastError));
  }

  /** Connects; with Redis down the bus starts in fallback (circuit open) and keeps reconnecting. */
  async start(): Promise<void> {
    this.latency.start();
    try {
      await this.cmd.connect();
    } catch (e) {
      this.lastError = (e as Error).message;
      if (!this.o.fallback) {
        this.cmd.disconnect();
        throw this.unavailable();
      }
      this.log.warn('Redis is unreachable at start-up: dispatching events in-process until it is back', {
        redis: redactUrl(this.url),
        error: this.lastError,
      });
    }
    if (this.reconciling) await this.reconciling;
  }

  get kind(): BusKind {
    return this.circuit === 'closed' ? 'redis' : 'in-process';
  }

  get reason(): string {
    const where = redactUrl(this.url);
    switch (this.circuit) {
      case 'closed':
        return `REDIS_URL is set: Redis Streams at ${where}`;
      case 'half-open':
        return `Redis at ${where} is back: replaying the events produced while it was down`;
      default:
        return `Redis at ${where} is unreachable (${this.lastError}): circuit open, events are dispatched in-process and kept in the outbox until it is back`;
    }
  }

  /** Current circuit state (for tests and health). */
  get circuitState(): CircuitState {
    return this.circuit;
  }

  async publish(draft: EventDraft): Promise<PublishAck> {
    this.assertOpen();
    const event = prepareEvent(draft, this.source);
    if (this.circuit === 'closed') {
      try {
        return await this.append(event, false);
      } catch (e) {
        if (!isRedisUnavailableError(e)) throw e;
        this.commandFailed(e);
        this.onRedisDown((e as Error).message);
      }
    }
    if (!this.o.fallback) throw this.unavailable();
    return this.mutex.run(async () => {
      if (this.circuit === 'closed') {
        try {
          return await this.append(event, false);
        } catch (e) {
          if (!isRedisUnavailableError(e)) throw e;
          this.onRedisDown((e as Error).message);
        }
      }
      event.seq = await this.nextLocalSeq(event.session, event.story);
      await this.ports.outbox.add(event);
      this.dispatchLocal(event);
      return publishAck(event, 'outbox', null);
    });
  }

  async subscribe(consumer: string, handler: EventHandler, options: SubscribeOptions): Promise<Subscription> {
    this.assertOpen();
    const sub: RedisStreamSubscription = new RedisStreamSubscription(this.internals(), consumer, handler, {
      session: options.session,
      from: options.from ?? 'start',
      instance: options.instance ?? `${this.instanceBase}:${this.subscriptions.size + 1}`,
      onClose: () => this.subscriptions.delete(sub),
    });
    this.subscriptions.add(sub);
    await sub.start();
    return sub;
  }

  async subscribeSystem(session: string, handler: SystemEventHandler): Promise<Subscription> {
    this.assertOpen();
    const sub: RedisSystemSubscription = new RedisSystemSubscription(this.internals(), session, handler, () =>
      this.systemSubscriptions.delete(sub),
    );
    this.systemSubscriptions.add(sub);
    await sub.start();
    return sub;
  }

  async health(): Promise<EventBusHealth> {
    let latencyMs: number | null = null;
    if (this.circuit === 'closed') {
      const t0 = performance.now();
      try {
        await this.cmd.ping();
        latencyMs = performance.now() - t0;
      } catch (e) {
        this.lastError = (e as Error).message;
      }
    }
    const outboxPending = await this.ports.outbox.countPending().catch(() => 0);
    const where = redactUrl(this.url);
    const status = this.closing ? 'down' : this.circuit === 'closed' && latencyMs !== null ? 'ok' : 'degraded';
    const detail = this.closing
      ? 'The event bus is closed.'
      : this.circuit === 'closed'
        ? `Redis Streams at ${where}: ${this.subscriptions.size} subscription(s) in this process.`
        : this.circuit === 'half-open'
          ? `Redis at ${where} is back; replaying ${outboxPending} event(s) kept during the outage.`
          : `Redis at ${where} is unreachable (${this.lastError}). Events are dispatched inside this process and ${outboxPending} are kept for replay; ` +
            'other processes (wave signal, wave stop) cannot reach this session until Redis is back. Start Redis or fix REDIS_URL.';
    return {
      status,
      detail,
      latencyMs,
      checkedAt: formatTimestamp(),
      kind: this.kind,
      reason: this.reason,
      p99Ms: this.latency.p99Ms(),
      circuit: this.circuit,
      outboxPending,
      deadLetters: await this.countDeadLetters(),
    };
  }

  latencySnapshot(): LatencySnapshot {
    return this.latency.snapshot();
  }

  p99Ms(): number | null {
    return this.latency.p99Ms();
  }

  /** Dead letters from the Redis dead-letter stream and those of in-process deliveries, most recent first. */
  async listDeadLetters(query: DeadLetterQuery = {}): Promise<DeadLetterEntry[]> {
    const limit = query.limit ?? 100;
    const out: DeadLetterEntry[] = [...this.localLetters.list(query)];
    if (this.circuit === 'closed') {
      let end = '+';
      let found = 0;
      // Pages backwards until enough entries of the session are found.
      for (let page = 0; page < 20 && found < limit; page++) {
        const entries = (await this.cmd.xrevrange(this.keys.deadLetters, end, '-', 'COUNT', 200)) as StreamEntry[];
        for (const [id, fields] of entries) {
          const letter = parseDeadLetter(id, fields);
          if (query.session === undefined || letter.session === query.session) {
            out.push(letter);
            found++;
          }
        }
        if (entries.length < 200) break;
        end = `(${entries[entries.length - 1]?.[0]}`;
      }
    }
    return out.sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : 0)).slice(0, limit);
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      this.wakeWaiters();
      const subs = [...this.systemSubscriptions, ...this.subscriptions].reverse();
      await Promise.all(subs.map((s) => s.close()));
      await this.latency.close();
      if (this.reconciling) await this.reconciling.catch(() => undefined);
      try {
        if (this.cmd.status === 'ready') await this.cmd.quit();
      } catch {
        // Already gone: nothing to release.
      }
      this.cmd.disconnect();
    })();
    return this.closing;
  }

  // ---------------------------------------------------------------- internals

  private connectionOptions(): RedisOptions {
    return {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      connectTimeout: this.o.connectTimeoutMs,
      // Reconnect forever, quickly: the circuit stays open meanwhile and nothing waits on it.
      retryStrategy: (times) => Math.min(50 * times, 1_000),
      keepAlive: 5_000,
    };
  }

  private internals(): BusInternals {
    return {
      url: this.url,
      keys: this.keys,
      cmd: this.cmd,
      options: this.o,
      log: this.log,
      ports: this.ports,
      latency: this.latency,
      localLetters: this.localLetters,
      connectionOptions: () => this.connectionOptions(),
      isUp: () => this.circuit === 'closed',
      waitForChange: (ms, signal) => this.waitForChange(ms, signal),
      commandFailed: (e) => this.commandFailed(e),
      noteSeq: (event) => this.noteSeq(event.session, event.story, event.seq),
    };
  }

  private async append(event: WaveEvent, fixedSeq: boolean): Promise<PublishAck> {
    const story = event.story ?? '';
    const floor = fixedSeq ? event.seq : (this.lastSeq.get(seqKey(event.session, event.story)) ?? 0);
    const trimNow = ++this.publishCount % this.o.trimEvery === 0 ? '1' : '0';
    const toSystem = SYSTEM_EVENT_TYPES.has(event.type) ? '1' : '0';
    const [streamId, seq] = await this.cmd.wavePublish(
      this.keys.session(event.session),
      this.keys.seq(event.session),
      this.keys.system(event.session),
      story,
      streamBody(event),
      floor,
      fixedSeq ? '1' : '0',
      this.o.maxLen,
      trimNow,
      toSystem,
      1_000,
    );
    event.seq = Number(seq);
    this.noteSeq(event.session, event.story, event.seq);
    return publishAck(event, 'redis', streamId);
  }

  private noteSeq(session: string, story: string | null, seq: number): void {
    const key = seqKey(session, story);
    if (seq > (this.lastSeq.get(key) ?? 0)) this.lastSeq.set(key, seq);
  }

  private async nextLocalSeq(session: string, story: string | null): Promise<number> {
    const key = seqKey(session, story);
    if (!this.seqLoaded.has(key)) {
      this.seqLoaded.add(key);
      this.noteSeq(session, story, await this.ports.outbox.maxSeq(session, story));
    }
    const next = (this.lastSeq.get(key) ?? 0) + 1;
    this.lastSeq.set(key, next);
    return next;
  }

  private dispatchLocal(event: WaveEvent): void {
    for (const sub of this.subscriptions) if (sub.session === event.session) sub.deliverLocal(event);
    if (SYSTEM_EVENT_TYPES.has(event.type))
      for (const sub of this.systemSubscriptions) if (sub.session === event.session) sub.deliverLocal(event);
  }

  private commandFailed(e: unknown): void {
    if (e instanceof Error && COMMAND_TIMEOUT.test(e.message) && this.cmd.status === 'ready') {
      this.log.warn('Redis stopped answering; recycling the connection', { redis: redactUrl(this.url) });
      this.lastError = e.message;
      this.cmd.disconnect(true);
    }
  }

  private onRedisDown(message: string): void {
    this.lastError = message;
    if (this.closing || this.circuit === 'open') return;
    this.circuit = 'open';
    this.log.warn('Redis is unreachable: circuit open, dispatching events in-process', {
      redis: redactUrl(this.url),
      error: message,
    });
    this.wakeWaiters();
  }

  private onRedisUp(): void {
    if (this.closing || this.circuit !== 'open') return;
    this.circuit = 'half-open';
    this.wakeWaiters();
    this.reconciling = this.reconcile().finally(() => (this.reconciling = null));
  }

  /** Replays the outbox to Redis in order, then closes the circuit (under the mutex, so no publish slips between). */
  private async reconcile(): Promise<void> {
    try {
      await this.mutex.run(async () => {
        let replayed = 0;
        for (;;) {
          if (this.circuit !== 'half-open') return;
          const batch = await this.ports.outbox.pending(100);
          if (batch.length === 0) break;
          for (const event of batch) await this.append(event, true);
          await this.ports.outbox.markDelivered(
            batch.map((e) => e.id),
            new Date(),
          );
          replayed += batch.length;
        }
        this.circuit = 'closed';
        this.log.info('Redis is reachable: circuit closed', { redis: redactUrl(this.url), replayed });
        this.wakeWaiters();
      });
    } catch (e) {
      this.log.warn('Replaying the outbox to Redis failed; will retry', { error: (e as Error).message });
      if (this.circuit === 'half-open') {
        this.circuit = 'open';
        this.lastError = (e as Error).message;
        // Connection errors bring a new 'ready' event; anything else needs a nudge.
        if (!isRedisUnavailableError(e) || this.cmd.status === 'ready')
          setTimeout(() => this.onRedisUp(), 1_000).unref();
      }
    }
  }

  /** Sleeps like `sleep`, but a state change (wakeWaiters) ends it early too. */
  private waitForChange(ms: number, signal: AbortSignal): Promise<void> {
    const changed = new AbortController();
    this.stateWaiters.push(() => changed.abort());
    return sleep(ms, AbortSignal.any([signal, changed.signal]));
  }

  private wakeWaiters(): void {
    const waiters = this.stateWaiters;
    this.stateWaiters = [];
    for (const w of waiters) w();
  }

  private async countDeadLetters(): Promise<number> {
    let n = this.localLetters.count;
    if (this.circuit === 'closed') n += await this.cmd.xlen(this.keys.deadLetters).catch(() => 0);
    return n;
  }

  private unavailable(): EventBusUnavailableError {
    return new EventBusUnavailableError(
      `Cannot reach Redis at ${redactUrl(this.url)} (${this.lastError}). Start Redis or set REDIS_URL to the server the running session uses, then retry.`,
    );
  }

  private assertOpen(): void {
    if (this.closing) throw new Error('The event bus is closed; create a new one to publish or subscribe.');
  }
}

function seqKey(session: string, story: string | null): string {
  return `${session}\u0000${story ?? ''}`;
}

interface BusInternals {
  url: string;
  keys: StreamKeys;
  cmd: Redis;
  options: ResolvedOptions;
  log: EventBusLog;
  ports: EventStorePorts;
  latency: LatencyRecorder;
  localLetters: LocalDeadLetters;
  connectionOptions(): RedisOptions;
  isUp(): boolean;
  waitForChange(ms: number, signal: AbortSignal): Promise<void>;
  /** A timed-out command means a silent connection: recycle it so ioredis reconnects. */
  commandFailed(e: unknown): void;
  noteSeq(event: WaveEvent): void;
}

type ResolvedOptions = {
  maxDeliveries: number;
  claimIdleMs: number;
  claimIntervalMs: number;
  blockMs: number;
  watchdogMarginMs: number;
  commandTimeoutMs: number;
  maxLen: number;
  trimEvery: number;
  retryDelayMs: number;
  batchSize: number;
  fallback: boolean;
  connectTimeoutMs: number;
  closeGraceMs: number;
};

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done);
  });
}

/** A blocking read that cannot hang: past BLOCK + margin it rejects with WatchdogTimeout. */
async function guardedRead<T>(read: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  read.catch(() => undefined);
  try {
    return await Promise.race([
      read,
      new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new WatchdogTimeout(ms)), ms))),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** The blocking-read connection of one subscription, replaceable when the watchdog fires. */
class ReaderConnection {
  private redis: Redis | null = null;

  constructor(
    private readonly bus: BusInternals,
    private readonly name: string,
  ) {}

  async get(): Promise<Redis> {
    if (!this.redis) {
      const redis = new Redis(this.bus.url, { ...this.bus.connectionOptions(), connectionName: this.name });
      redis.on('error', () => undefined);
      this.redis = redis;
    }
    if (this.redis.status === 'wait' || this.redis.status === 'end') await this.redis.connect();
    else if (this.redis.status !== 'ready') {
      const r = this.redis;
      await new Promise<void>((resolve, reject) => {
        const t = setTimeout(
          () => reject(new Error(`reader connection not ready (${r.status})`)),
          this.bus.options.connectTimeoutMs,
        );
        r.once('ready', () => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    return this.redis;
  }

  /** Drops the connection (interrupting a blocking read); the next get() opens a fresh one. */
  reset(): void {
    const r = this.redis;
    this.redis = null;
    r?.disconnect();
  }
}

interface StreamSubscriptionOptions {
  session: string;
  from: 'start' | 'new';
  instance: string;
  onClose(): void;
}

/** One consumer group member reading one session stream. */
class RedisStreamSubscription implements Subscription {
  readonly session: string;
  private readonly stream: string;
  private readonly group: string;
  private readonly instance: string;
  private readonly reader: ReaderConnection;
  private readonly dispatcher: OrderedDispatcher;
  private readonly abort = new AbortController();
  private loop: Promise<void> | null = null;
  private leaseTimer: ReturnType<typeof setInterval> | null = null;
  private needGroup = true;
  private needHistory = true;
  private pendingAcks: string[] = [];
  private ackFlush: Promise<void> | null = null;
  private nextClaimAt = 0;
  private closing: Promise<void> | null = null;

  constructor(
    private readonly bus: BusInternals,
    readonly consumer: string,
    handler: EventHandler,
    private readonly opts: StreamSubscriptionOptions,
  ) {
    this.session = opts.session;
    this.stream = bus.keys.session(opts.session);
    this.group = consumer;
    this.instance = opts.instance;
    this.reader = new ReaderConnection(bus, `wave-events-reader:${opts.instance}`);
    this.dispatcher = new OrderedDispatcher({
      consumer,
      handler,
      dedup: bus.ports.dedup,
      latency: bus.latency,
      log: bus.log,
      maxDeliveries: bus.options.maxDeliveries,
      retryDelayMs: bus.options.retryDelayMs,
      hooks: {
        redeliver: (d) => this.redeliver(d),
        acknowledge: (d) => this.acknowledge(d),
        deadLetter: (d, reason) => this.deadLetter(d, reason),
      },
    });
  }

  async start(): Promise<void> {
    if (this.bus.isUp()) {
      try {
        await this.ensureGroup();
      } catch (e) {
        if (!isRedisUnavailableError(e)) throw e;
      }
    }
    this.loop = this.run();
    this.leaseTimer = setInterval(
      () => void this.renewLeases(),
      Math.max(50, Math.floor(this.bus.options.claimIdleMs / 3)),
    );
    this.leaseTimer.unref?.();
  }

  /** An event dispatched in-process while Redis is down. */
  deliverLocal(event: WaveEvent): void {
    this.dispatcher.push([
      { key: `local:${event.id}`, event, malformed: null, raw: null, deliveries: 1, via: 'in-process', streamId: null },
    ]);
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      this.opts.onClose();
      this.abort.abort();
      if (this.leaseTimer) clearInterval(this.leaseTimer);
      this.reader.reset();
      await this.loop?.catch(() => undefined);
      await this.dispatcher.close(this.bus.options.closeGraceMs);
      await this.ackFlush;
    })();
    return this.closing;
  }

  private get closed(): boolean {
    return this.abort.signal.aborted;
  }

  private async ensureGroup(): Promise<void> {
    try {
      await this.bus.cmd.xgroup('CREATE', this.stream, this.group, this.opts.from === 'new' ? '$' : '0', 'MKSTREAM');
    } catch (e) {
      if (!GROUP_EXISTS.test((e as Error).message)) throw e;
    }
    this.needGroup = false;
  }

  private async run(): Promise<void> {
    const { blockMs, watchdogMarginMs, batchSize, claimIntervalMs } = this.bus.options;
    let failures = 0;
    while (!this.closed) {
      if (!this.bus.isUp()) {
        this.needHistory = true;
        await this.bus.waitForChange(1_000, this.abort.signal);
        continue;
      }
      try {
        if (this.needGroup) await this.ensureGroup();
        // Back-pressure: a slow handler stops the reading, not the lease renewals.
        if (this.dispatcher.size > batchSize * 2)
          await Promise.race([this.dispatcher.waitBelow(batchSize * 2), sleep(blockMs, this.abort.signal)]);
        if (this.dispatcher.size > batchSize * 2) continue;
        if (this.closed) break;
        if (this.needHistory) await this.readHistory();
        if (Date.now() >= this.nextClaimAt) {
          await this.autoclaim();
          this.nextClaimAt = Date.now() + claimIntervalMs;
        }
        const block = Math.max(1, Math.min(blockMs, this.nextClaimAt - Date.now()));
        const reader = await this.reader.get();
        const reply = (await guardedRead(
          reader.xreadgroup(
            'GROUP',
            this.group,
            this.instance,
            'COUNT',
            batchSize,
            'BLOCK',
            block,
            'STREAMS',
            this.stream,
            '>',
          ),
          block + watchdogMarginMs,
        )) as Array<[string, StreamEntry[]]> | null;
        failures = 0;
        const entries = reply?.[0]?.[1] ?? [];
        if (entries.length) this.dispatcher.push(entries.map(([id, fields]) => this.toDelivery(id, fields, 1)));
      } catch (e) {
        if (this.closed) break;
        failures++;
        const message = (e as Error).message;
        if (NO_GROUP.test(message)) {
          // The stream or group vanished (Redis restarted without persistence, or someone deleted it).
          this.bus.log.warn('Consumer group missing; recreating it', { stream: this.stream, group: this.group });
          this.needGroup = true;
          this.needHistory = true;
          continue;
        }
        this.bus.commandFailed(e);
        if (e instanceof WatchdogTimeout) {
          this.bus.log.warn('Blocking read got no reply in time; recreating its connection', {
            stream: this.stream,
            error: message,
          });
        } else {
          this.bus.log.warn('Reading the event stream failed; retrying', { stream: this.stream, error: message });
        }
        this.reader.reset();
        this.needHistory = true;
        await sleep(Math.min(1_000, 50 * 2 ** Math.min(failures, 5)), this.abort.signal);
      }
    }
  }

  /** Entries delivered to this instance and never acknowledged (a lost reply, a previous run of the same instance). */
  private async readHistory(): Promise<void> {
    const reply = (await this.bus.cmd.xreadgroup(
      'GROUP',
      this.group,
      this.instance,
      'COUNT',
      1000,
      'STREAMS',
      this.stream,
      '0',
    )) as Array<[string, StreamEntry[]]> | null;
    const entries = (reply?.[0]?.[1] ?? []).filter(([id]) => !this.dispatcher.has(id));
    this.needHistory = false;
    if (entries.length === 0) return;
    const counts = await this.deliveryCounts(entries.map(([id]) => id));
    this.dispatcher.push(entries.map(([id, fields]) => this.toDelivery(id, fields, counts.get(id) ?? 1)));
  }

  /** Takes over entries another instance left unacknowledged for longer than claimIdleMs. */
  private async autoclaim(): Promise<void> {
    let cursor = '0-0';
    for (let round = 0; round < 10 && !this.closed; round++) {
      const [next, claimed] = (await this.bus.cmd.xautoclaim(
        this.stream,
        this.group,
        this.instance,
        this.bus.options.claimIdleMs,
        cursor,
        'COUNT',
        100,
      )) as [string, StreamEntry[], string[]?];
      const fresh = claimed.filter(([id]) => !this.dispatcher.has(id));
      if (fresh.length) {
        const counts = await this.deliveryCounts(fresh.map(([id]) => id));
        this.bus.log.info('Took over unacknowledged events of a stalled consumer', {
          stream: this.stream,
          group: this.group,
          count: fresh.length,
        });
        this.dispatcher.push(fresh.map(([id, fields]) => this.toDelivery(id, fields, counts.get(id) ?? 1)));
      }
      cursor = next;
      if (cursor === '0-0') break;
    }
  }

  private async deliveryCounts(ids: readonly string[]): Promise<Map<string, number>> {
    const counts = new Map<string, number>();
    if (ids.length === 0) return counts;
    const sorted = [...ids].sort(compareIds);
    const rows = (await this.bus.cmd.xpending(
      this.stream,
      this.group,
      sorted[0] as string,
      sorted[sorted.length - 1] as string,
      ids.length + 100,
      this.instance,
    )) as Array<[string, string, number, number]>;
    for (const [id, , , deliveries] of rows) counts.set(id, Number(deliveries));
    return counts;
  }

  private toDelivery(id: string, fields: string[] | null, deliveries: number): PendingDelivery {
    const decoded = decodeStreamEntry(fields);
    if (decoded.ok) this.bus.noteSeq(decoded.event);
    return decoded.ok
      ? { key: id, event: decoded.event, malformed: null, raw: null, deliveries, via: 'redis', streamId: id }
      : { key: id, event: null, malformed: decoded.reason, raw: decoded.raw, deliveries, via: 'redis', streamId: id };
  }

  private async redeliver(d: PendingDelivery): Promise<number | null> {
    if (d.streamId === null) return d.deliveries + 1;
    // XCLAIM counts the redelivery; an entry no longer pending (acknowledged elsewhere) comes back empty.
    const claimed = (await this.bus.cmd.xclaim(this.stream, this.group, this.instance, 0, d.streamId)) as StreamEntry[];
    if (claimed.length === 0) return null;
    const counts = await this.deliveryCounts([d.streamId]);
    return counts.get(d.streamId) ?? d.deliveries + 1;
  }

  /**
   * Acknowledgements are batched per tick (one XACK for many entries) and not awaited by the
   * dispatcher: the event is already recorded as processed, so a lost XACK only means a
   * redelivery that is recognised as a duplicate and acknowledged then.
   */
  private async acknowledge(d: PendingDelivery): Promise<void> {
    if (d.streamId === null) return;
    this.pendingAcks.push(d.streamId);
    this.ackFlush ??= new Promise<void>((resolve) => setImmediate(resolve)).then(() => this.flushAcks());
  }

  private async flushAcks(): Promise<void> {
    const ids = this.pendingAcks;
    this.pendingAcks = [];
    this.ackFlush = null;
    if (ids.length === 0) return;
    try {
      await this.bus.cmd.xack(this.stream, this.group, ...ids);
    } catch (e) {
      this.bus.log.warn('Could not acknowledge handled events; they will be acknowledged on redelivery', {
        stream: this.stream,
        count: ids.length,
        error: (e as Error).message,
      });
    }
  }

  private async deadLetter(d: PendingDelivery, reason: string): Promise<void> {
    if (d.streamId === null) {
      await this.bus.localLetters.record(d, reason, this.consumer, `in-process:${this.session}`);
      return;
    }
    const payload = d.event ? JSON.stringify(d.event) : JSON.stringify(d.raw ?? {});
    const at = formatTimestamp();
    const result = await this.bus.cmd
      .multi()
      .xadd(
        this.bus.keys.deadLetters,
        'MAXLEN',
        '~',
        '10000',
        '*',
        'session',
        this.session,
        'stream',
        this.stream,
        'entry',
        d.streamId,
        'event_id',
        d.event?.id ?? '',
        'type',
        d.event?.type ?? '',
        'consumer',
        this.consumer,
        'deliveries',
        String(d.deliveries),
        'reason',
        reason,
        'payload',
        payload.slice(0, MAX_EVENT_BYTES),
        'at',
        at,
      )
      .xack(this.stream, this.group, d.streamId)
      .exec();
    const failed = result?.find(([err]) => err);
    if (!result || failed) throw failed?.[0] ?? new Error('dead-letter transaction was discarded');
    await this.bus.ports.deadLetters
      .record({
        session: this.session,
        eventId: d.event?.id ?? `${this.stream}/${d.streamId}`,
        stream: this.stream,
        reason,
        deliveries: d.deliveries,
        payload: (d.event as unknown as Record<string, unknown> | null) ?? d.raw,
      })
      .catch((e: unknown) =>
        this.bus.log.error('Could not store a dead letter', { entry: d.streamId, error: (e as Error).message }),
      );
  }

  /** Keeps entries this instance still holds from looking abandoned (XCLAIM JUSTID resets idle without counting a delivery). */
  private async renewLeases(): Promise<void> {
    if (this.closed || !this.bus.isUp()) return;
    const ids = this.dispatcher.streamIds();
    for (let i = 0; i < ids.length; i += 500) {
      try {
        await this.bus.cmd.xclaim(this.stream, this.group, this.instance, 0, ...ids.slice(i, i + 500), 'JUSTID');
      } catch (e) {
        this.bus.log.warn('Could not renew the lease of held events', {
          stream: this.stream,
          error: (e as Error).message,
        });
        return;
      }
    }
  }
}

/** Every process of a session reads the system stream (no group): emergency_stop reaches them all. */
class RedisSystemSubscription implements Subscription {
  readonly consumer = 'system';
  private readonly stream: string;
  private readonly reader: ReaderConnection;
  private readonly abort = new AbortController();
  private readonly seen = new Set<string>();
  private lastId: string | null = null;
  private loop: Promise<void> | null = null;
  private closing: Promise<void> | null = null;

  constructor(
    private readonly bus: BusInternals,
    readonly session: string,
    private readonly handler: SystemEventHandler,
    private readonly onClose: () => void,
  ) {
    this.stream = bus.keys.system(session);
    this.reader = new ReaderConnection(bus, `wave-events-system:${session}:${process.pid}`);
  }

  async start(): Promise<void> {
    if (this.bus.isUp()) {
      try {
        await this.resolveStart();
      } catch (e) {
        if (!isRedisUnavailableError(e)) throw e;
      }
    }
    this.loop = this.run();
  }

  deliverLocal(event: WaveEvent): void {
    void this.handle(event);
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      this.onClose();
      this.abort.abort();
      this.reader.reset();
      await this.loop?.catch(() => undefined);
    })();
    return this.closing;
  }

  /** Only events published after subscribing count: an old stop must not stop a new run. */
  private async resolveStart(): Promise<void> {
    const last = (await this.bus.cmd.xrevrange(this.stream, '+', '-', 'COUNT', 1)) as StreamEntry[];
    this.lastId = last[0]?.[0] ?? '0-0';
  }

  private async run(): Promise<void> {
    const { blockMs, watchdogMarginMs } = this.bus.options;
    while (!this.abort.signal.aborted) {
      if (!this.bus.isUp()) {
        await this.bus.waitForChange(1_000, this.abort.signal);
        continue;
      }
      try {
        if (this.lastId === null) await this.resolveStart();
        const reader = await this.reader.get();
        const reply = (await guardedRead(
          reader.xread('COUNT', 100, 'BLOCK', blockMs, 'STREAMS', this.stream, this.lastId as string),
          blockMs + watchdogMarginMs,
        )) as Array<[string, StreamEntry[]]> | null;
        for (const [id, fields] of reply?.[0]?.[1] ?? []) {
          this.lastId = id;
          const decoded = decodeStreamEntry(fields);
          if (decoded.ok) await this.handle(decoded.event);
          else
            this.bus.log.warn('Ignoring a malformed system event', {
              stream: this.stream,
              entry: id,
              reason: decoded.reason,
            });
        }
      } catch (e) {
        if (this.abort.signal.aborted) break;
        this.bus.commandFailed(e);
        this.bus.log.warn('Reading the system stream failed; retrying', {
          stream: this.stream,
          error: (e as Error).message,
        });
        this.reader.reset();
        await sleep(200, this.abort.signal);
      }
    }
  }

  private async handle(event: WaveEvent): Promise<void> {
    if (this.seen.has(event.id)) return;
    this.seen.add(event.id);
    if (this.seen.size > 10_000) this.seen.delete(this.seen.values().next().value as string);
    this.bus.latency.record(event.type, nowEpochMs() - parseTimestampMs(event.produced_at));
    try {
      await this.handler(event);
    } catch (e) {
      this.bus.log.error('System event handler failed', {
        type: event.type,
        session: event.session,
        error: (e as Error).message,
      });
    }
  }
}

function compareIds(a: string, b: string): number {
  const [am = 0, as = 0] = a.split('-').map(Number);
  const [bm = 0, bs = 0] = b.split('-').map(Number);
  return am - bm || as - bs;
}

function parseDeadLetter(id: string, fields: string[] | null): DeadLetterEntry {
  const m: Record<string, string> = {};
  for (let i = 0; fields && i + 1 < fields.length; i += 2) m[fields[i] as string] = fields[i + 1] as string;
  return {
    id,
    session: m.session || null,
    eventId: m.event_id || null,
    eventType: m.type || null,
    stream: m.stream ?? '',
    consumer: m.consumer || null,
    reason: m.reason ?? '',
    deliveries: Number(m.deliveries ?? 0),
    payload: m.payload ?? '',
    at: m.at ?? formatTimestamp(Number(id.split('-')[0])),
  };
}
