/** BullMQ as WAVE's story-run dispatcher: the job lock is the lease, the stalled check is the reclaim. */
import { Queue, Worker } from 'bullmq';
import type { Engine, EngineConfig, RunJob } from './types';

export function connection(cfg: EngineConfig) {
  const url = new URL(cfg.redisUrl);
  return { host: url.hostname, port: Number(url.port || 6379), maxRetriesPerRequest: null };
}

export const bullmqEngine: Engine = {
  async prepare() {},

  async dispatcher(cfg) {
    const queue = new Queue<RunJob>(cfg.queue, { connection: connection(cfg), prefix: cfg.namespace });
    return {
      async enqueue(runId, job) {
        // jobId = run id: adding an id that exists (waiting, active or kept as completed) adds nothing.
        await queue.add('run', job, { jobId: runId, removeOnComplete: { age: 86_400 }, removeOnFail: { age: 86_400 } });
      },
      close: () => queue.close(),
    };
  },

  async worker(cfg, concurrency, handler) {
    const worker = new Worker<RunJob, { worker: string }>(
      cfg.queue,
      (job, _token, signal) => handler(job.id as string, job.data, signal),
      {
        connection: connection(cfg),
        prefix: cfg.namespace,
        concurrency,
        // The lease: renewed every lockDuration / 2 while this process lives, however long the run.
        lockDuration: cfg.leaseMs,
        // Reclaim: every worker checks this often for jobs whose lock expired and puts them back.
        stalledInterval: Math.max(1_000, Math.round(cfg.leaseMs / 3)),
        // A reclaimed run is resumed from its checkpoint, never failed for having stalled.
        maxStalledCount: 1_000,
      },
    );
    worker.on('error', () => undefined);
    await worker.waitUntilReady();
    // Drain: close() stops taking jobs and waits for the active ones.
    return { drain: () => worker.close() };
  },
};
