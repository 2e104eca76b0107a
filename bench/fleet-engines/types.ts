/**
 * What a story-run dispatch engine must give WAVE's fleet, as the `fleet-engines` bench drives it.
 * Each engine's adapter (bullmq.ts, pgboss.ts, graphile.ts) implements exactly this and nothing
 * else, so its line count is the code size of using that engine.
 */

/** A story run's job: how long the scripted handler holds it, and when it was enqueued (epoch ms). */
export interface RunJob {
  holdMs: number;
  enqueuedAt: number;
}

export interface EngineConfig {
  /** Queue (or task) name: one per bench phase so phases never take each other's jobs. */
  queue: string;
  /** The lease: how long a job may go without its worker proving it alive before it is reclaimed. */
  leaseMs: number;
  redisUrl: string;
  databaseUrl: string;
  /** Redis key prefix (BullMQ) or Postgres schema (pg-boss, graphile-worker) of this bench run. */
  namespace: string;
}

/** Runs one job; resolves with the handler's result, which the engine records as the job's output. */
export type RunHandler = (runId: string, job: RunJob, signal: AbortSignal | undefined) => Promise<{ worker: string }>;

export interface Dispatcher {
  /** Enqueues a story run under its run id; idempotent: a second enqueue of a run id adds no second job. */
  enqueue(runId: string, job: RunJob): Promise<void>;
  close(): Promise<void>;
}

export interface FleetWorker {
  /** Finishes the jobs it holds, takes no new ones, and releases its connections. */
  drain(): Promise<void>;
}

export interface Engine {
  /** Creates the engine's own tables or schema once per bench run (before any worker starts). */
  prepare(cfg: EngineConfig): Promise<void>;
  dispatcher(cfg: EngineConfig): Promise<Dispatcher>;
  worker(cfg: EngineConfig, concurrency: number, handler: RunHandler): Promise<FleetWorker>;
}
