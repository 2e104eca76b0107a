/**
 * graphile-worker (0.17, the last line that runs on Node 20) as WAVE's story-run dispatcher. Jobs
 * wake workers through LISTEN/NOTIFY. It has no lease: a crashed worker's job stays locked until
 * the fixed 4-hour stale-lock reset (the paid Worker Pro plugin adds heartbeats).
 */
import { Logger, makeWorkerUtils, run, runMigrations } from 'graphile-worker';
import type { Engine, EngineConfig, RunJob } from './types';

type Payload = RunJob & { runId: string };
const quiet = new Logger(() => () => undefined);
const options = (cfg: EngineConfig) => ({ connectionString: cfg.databaseUrl, schema: cfg.namespace, logger: quiet });

export const graphileEngine: Engine = {
  async prepare(cfg) {
    await runMigrations(options(cfg));
  },

  async dispatcher(cfg) {
    const utils = await makeWorkerUtils(options(cfg));
    return {
      async enqueue(runId, job) {
        // job key = run id; 'unsafe_dedupe' adds nothing while a job with that key exists, even a locked one
        // (the default 'replace' would add a second job next to a running one).
        await utils.addJob(cfg.queue, { ...job, runId } satisfies Payload, {
          jobKey: runId,
          jobKeyMode: 'unsafe_dedupe',
          maxAttempts: 1_000,
        });
      },
      close: async () => {
        await utils.release();
      },
    };
  },

  async worker(cfg, concurrency, handler) {
    const runner = await run({
      ...options(cfg),
      concurrency,
      noHandleSignals: true,
      taskList: {
        [cfg.queue]: async (payload, helpers) => {
          const job = payload as Payload;
          await handler(job.runId, job, helpers.abortSignal);
        },
      },
    });
    // Drain: stop() stops fetching and waits for the running tasks.
    return { drain: () => runner.stop() };
  },
};
