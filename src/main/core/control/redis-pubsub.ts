import type { Redis, RedisOptions } from 'ioredis';
import type { ControlTransport } from './control-channel';

const options = (name: string): RedisOptions => ({
  lazyConnect: true,
  enableOfflineQueue: false,
  maxRetriesPerRequest: 0,
  connectTimeout: 3_000,
  retryStrategy: (times) => Math.min(50 * times, 1_000),
  keepAlive: 5_000,
  connectionName: name,
});

/**
 * The control channel through Redis pub/sub on `<prefix>control` (WAVE_REDIS_PREFIX, default
 * "wave:"): every process of the installation, on any machine, hears it. Pub/sub keeps nothing:
 * a subscriber that was disconnected is told (onReconnect) and re-reads from the store.
 */
export class RedisPubSubTransport implements ControlTransport {
  readonly name = 'redis pub/sub';
  private readonly channel: string;
  private pub: Redis | null = null;
  private ready: Promise<Redis> | null = null;
  private sub: Redis | null = null;

  constructor(
    private readonly url: string,
    prefix: string | undefined,
  ) {
    this.channel = `${prefix ?? 'wave:'}control`;
  }

  async send(line: string): Promise<void> {
    this.ready ??= (async () => {
      // Loaded when first used: a `wave stop` on the embedded store without Redis never loads it.
      const { Redis } = await import('ioredis');
      const pub = new Redis(this.url, options('wave-control-pub'));
      pub.on('error', () => undefined);
      this.pub = pub;
      await pub.connect();
      return pub;
    })().catch((e: unknown) => {
      this.ready = null;
      this.pub?.disconnect();
      throw e;
    });
    await (await this.ready).publish(this.channel, line);
  }

  async listen(onLine: (line: string) => void, onReconnect: () => void): Promise<void> {
    const { Redis } = await import('ioredis');
    const sub = new Redis(this.url, { ...options('wave-control-sub'), enableOfflineQueue: true });
    this.sub = sub;
    sub.on('error', () => undefined);
    let readyOnce = false;
    // ioredis subscribes again by itself after a reconnect; what was published meanwhile is lost.
    sub.on('ready', () => {
      if (readyOnce) onReconnect();
      readyOnce = true;
    });
    sub.on('message', (channel: string, message: string) => {
      if (channel === this.channel) onLine(message);
    });
    await sub.connect();
    await sub.subscribe(this.channel);
  }

  async close(): Promise<void> {
    this.pub?.disconnect();
    this.sub?.disconnect();
    this.pub = this.sub = null;
    this.ready = null;
  }
}
