import type { EventDraft } from '../../../shared/events';
import type { PublishAck } from './ports';
import { RedisEventBus } from './redis-bus';

export interface RemotePublishOptions {
  redisUrl: string;
  /** Must match the running session's bus (WAVE_REDIS_PREFIX); default "wave:". */
  keyPrefix?: string;
  source?: string;
  connectTimeoutMs?: number;
}

/**
 * Publishes one event into a session's streams from a process that is not running it
 * (`wave signal`, `wave stop`, an agent on another machine). No fallback: with Redis
 * unreachable it rejects with EventBusUnavailableError, since no one here would receive it.
 */
export async function publishRemote(options: RemotePublishOptions, draft: EventDraft): Promise<PublishAck> {
  const bus = new RedisEventBus({
    redisUrl: options.redisUrl,
    keyPrefix: options.keyPrefix,
    source: options.source ?? 'cli',
    connectTimeoutMs: options.connectTimeoutMs ?? 3_000,
    fallback: false,
  });
  try {
    await bus.start();
    return await bus.publish(draft);
  } finally {
    await bus.close();
  }
}
