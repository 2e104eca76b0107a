import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterEach } from 'vitest';
import { RedisEventBus, type RedisEventBusOptions } from '../../src/main/core/events/redis-bus';
import { TEST_REDIS_URL } from './env';
import { cleanupPrefix, uniquePrefix } from './redis';

/**
 * For the Redis bus tests of one describe block: `setup()` gives a fresh key prefix and
 * session, a raw client and a bus factory; everything it made (and whatever a test adds to
 * `cleanups`) is closed and deleted after each test, last made first.
 */
export function redisBusTestKit(label: string) {
  const cleanups: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });
  async function setup() {
    const prefix = uniquePrefix(label);
    const session = `s-${randomUUID().slice(0, 8)}`;
    const redis = new Redis(TEST_REDIS_URL);
    cleanups.push(
      () => cleanupPrefix(prefix),
      () => void redis.disconnect(),
    );
    const bus = async (o: Partial<RedisEventBusOptions> = {}) => {
      const b = new RedisEventBus({ redisUrl: TEST_REDIS_URL, keyPrefix: prefix, blockMs: 300, ...o });
      cleanups.push(() => b.close());
      await b.start();
      return b;
    };
    return { prefix, session, redis, bus, stream: `${prefix}session:${session}` };
  }
  return { setup, cleanups };
}
