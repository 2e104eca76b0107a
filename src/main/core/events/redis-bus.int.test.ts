import { afterAll } from 'vitest';
import { TEST_REDIS_URL } from '../../../../test/helpers/env';
import { cleanupPrefix, uniquePrefix } from '../../../../test/helpers/redis';
import { describeEventBusContract } from './event-bus-contract';
import { RedisEventBus } from './redis-bus';

const prefixes: string[] = [];
afterAll(async () => {
  for (const p of prefixes) await cleanupPrefix(p);
});

describeEventBusContract('redis', async (options) => {
  const keyPrefix = uniquePrefix('events-contract');
  prefixes.push(keyPrefix);
  const bus = new RedisEventBus({
    redisUrl: TEST_REDIS_URL,
    keyPrefix,
    maxDeliveries: options.maxDeliveries,
    retryDelayMs: options.retryDelayMs,
    ports: options.dedup ? { dedup: options.dedup } : undefined,
    blockMs: 500,
  });
  await bus.start();
  return bus;
});
