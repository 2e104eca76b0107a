/**
 * pg-boss (10.x, the last line that runs on Node 20) as WAVE's story-run dispatcher. It has no
 * lease renewal: a job expires expireIn after it started, whether or not its worker is alive.
 */
import { createHash } from 'node:crypto';
import PgBoss from 'pg-boss';
import type { Engine, EngineConfig, RunJob } from './types';

type Payload = RunJob & { runId: string };
const POLL_SECONDS = 0.5; // the least pg-boss allows; workers poll (no LISTEN/NOTIFY across processes)

/** pg-boss ids are uuids: the run id's uuid makes a second send of the run a no-op (ON CONFLICT DO NOTHING). */
export function jobId(runId: string): string {
  const h = createHash('sha1').update(runId).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

async function open(cfg: EngineConfig, supervise: boolean): Promise<PgBoss> {
  const boss = new PgBoss({
    connectionString: cfg.databaseUrl,
    schema: cfg.namespace,
    schedule: false,
    supervise,
    // Reclaim: the supervisor fails (and so retries) active jobs older than expireIn this often.
    maintenanceIntervalSeconds: 1,
  });
  boss.on('error', () => undefined);
  await boss.start();
  return boss;
}

export const pgbossEngine: Engine = {
  async prepare(cfg) {
    const boss = await open(cfg, false);
    await boss.createQueue(cfg.queue);
    await boss.stop({ graceful: false, wait: true });
  },

  async dispatcher(cfg) {
    const boss = await open(cfg, false);
    return {
      async enqueue(runId, job) {
        await boss.send(cfg.queue, { ...job, runId } satisfies Payload, {
          id: jobId(runId),
          // The lease, counted from the start: the worker also gives up on its handler at expireIn.
          expireInSeconds: Math.ceil(cfg.leaseMs / 1000),
          retryLimit: 1_000,
          retryDelay: 0,
        });
      },
      close: () => boss.stop({ graceful: false, wait: true }),
    };
  },

  async worker(cfg, concurrency, handler) {
    const boss = await open(cfg, true);
    // Concurrency is one polling loop per slot, each fetching one job.
    for (let i = 0; i < concurrency; i++) {
      await boss.work<Payload>(cfg.queue, { batchSize: 1, pollingIntervalSeconds: POLL_SECONDS }, async ([job]) =>
        job ? handler(job.data.runId, job.data, undefined) : undefined,
      );
    }
    // Drain: stop the loops and wait for the handlers that are running.
    return { drain: () => boss.stop({ graceful: true, wait: true, timeout: 60_000 }) };
  },
};
