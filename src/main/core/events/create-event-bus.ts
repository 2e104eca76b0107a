import { InProcessEventBus } from './in-process-bus';
import type { LatencyRecorderOptions } from './latency-recorder';
import { toEventBusLog, type EventBus, type EventBusLogInput, type EventStorePorts } from './ports';
import { RedisEventBus, type RedisEventBusOptions } from './redis-bus';
import { storeEventPorts } from './store-ports';
import type { Store } from '../../store';

export interface CreateEventBusOptions extends Omit<RedisEventBusOptions, 'redisUrl' | 'ports'> {
  /** Usually WaveSettings.redisUrl (REDIS_URL); absent or empty selects the in-process bus. */
  redisUrl?: string | null;
  /** The opened store: its tables become the outbox, dedup, dead letters and latency history. */
  store?: Store | null;
  /** Overrides individual store ports (tests inject in-memory ones). */
  ports?: Partial<EventStorePorts>;
  log?: EventBusLogInput;
  latency?: LatencyRecorderOptions;
}

/**
 * Picks the bus: Redis Streams when a Redis URL is given (falling back in-process while it
 * is unreachable), otherwise the in-process bus. The Redis bus is connected before it is returned.
 */
export async function createEventBus(options: CreateEventBusOptions = {}): Promise<EventBus> {
  const log = toEventBusLog(options.log);
  const ports: Partial<EventStorePorts> = {
    ...(options.store ? storeEventPorts(options.store, log) : {}),
    ...options.ports,
  };
  const redisUrl = options.redisUrl?.trim();
  if (!redisUrl) {
    return new InProcessEventBus({
      dedup: ports.dedup,
      deadLetters: ports.deadLetters,
      latency: { ...options.latency, ...(ports.latency ? { sink: ports.latency } : {}) },
      log,
      maxDeliveries: options.maxDeliveries,
      retryDelayMs: options.retryDelayMs,
      source: options.source,
      closeGraceMs: options.closeGraceMs,
    });
  }
  const bus = new RedisEventBus({ ...options, redisUrl, ports, log });
  await bus.start();
  return bus;
}
