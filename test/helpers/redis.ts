import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { TEST_REDIS_URL } from './env';

/** A key prefix no other test uses; pass it to whatever writes to Redis. */
export function uniquePrefix(label = 'test'): string {
  return `wavetest:${label}:${Date.now().toString(36)}${randomBytes(3).toString('hex')}:`;
}

/** Deletes every key under a prefix (SCAN, never KEYS) and closes the client. */
export async function cleanupPrefix(prefix: string, redisUrl = TEST_REDIS_URL): Promise<void> {
  const r = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await r.connect();
  try {
    let cursor = '0';
    do {
      const [next, keys] = await r.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
      cursor = next;
      if (keys.length) await r.del(...keys);
    } while (cursor !== '0');
  } finally {
    r.disconnect();
  }
}
