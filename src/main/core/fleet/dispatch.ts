import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { z } from 'zod';

/*
 * Dispatch of story runs to fleet workers: a BullMQ queue on the Redis the fleet already
 * needs. The queue only says "this story run wants a worker"; Postgres stays the truth (the
 * story run's row, its checkpoints, its lease). A job's id is its story run's, so enqueuing a
 * story run twice is one job.
 */

/** The queue of story runs, one per store (its key prefix comes from WAVE_REDIS_PREFIX). */
export const FLEET_QUEUE = 'story-runs';

/** BullMQ's key prefix for a store's queue. */
export function fleetQueuePrefix(redisPrefix: string | undefined): string {
  return `${redisPrefix ?? 'wave:'}fleet`;
}

export const FleetJob = z.object({ storyRunId: z.string().min(1), sessionId: z.string().min(1) });
export type FleetJob = z.infer<typeof FleetJob>;

/** BullMQ refuses ':' in a custom job id; story run ids are `<session>:<story>`. */
export function jobIdOf(storyRunId: string): string {
  return encodeURIComponent(storyRunId);
}

/** A Redis connection as BullMQ needs it (blocking commands: no per-request retry limit). */
export function fleetConnection(redisUrl: string): Redis {
  return new Redis(redisUrl, { maxRetriesPerRequest: null, enableReadyCheck: true });
}

/** Enqueues story runs for the fleet (deduplicated by story run id). */
export class FleetDispatcher {
  private readonly queue: Queue;
  private readonly connection: Redis;

  constructor(redisUrl: string, redisPrefix: string | undefined) {
    this.connection = fleetConnection(redisUrl);
    this.queue = new Queue(FLEET_QUEUE, { connection: this.connection, prefix: fleetQueuePrefix(redisPrefix) });
  }

  /**
   * Asks for a worker for each story run. A job still waiting or running is not added again;
   * a finished one is replaced (a story run handed back or parked may run again).
   */
  async enqueue(jobs: readonly FleetJob[]): Promise<void> {
    for (const j of jobs) {
      const id = jobIdOf(j.storyRunId);
      const existing = await this.queue.getJob(id);
      if (existing) {
        const state = await existing.getState();
        if (state !== 'completed' && state !== 'failed') continue;
        await existing.remove().catch(() => undefined);
      }
      await this.queue.add('story-run', j, {
        jobId: id,
        attempts: 1_000,
        backoff: { type: 'fixed', delay: 1_000 },
        removeOnComplete: true,
        removeOnFail: 100,
      });
    }
  }

  async close(): Promise<void> {
    await this.queue.close().catch(() => undefined);
    this.connection.disconnect();
  }
}
