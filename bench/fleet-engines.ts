/**
 * Fleet dispatch engines (`npm run bench -- fleet-engines`): BullMQ (Redis), pg-boss and
 * graphile-worker (Postgres) driven through the same story-run adapter (bench/fleet-engines/*.ts),
 * with workers in separate node processes. One JSON object on stdout:
 *   floor                  bare one-way Redis LPUSH → BRPOP and Postgres NOTIFY → LISTEN, p50/p95/p99
 *   engines.<e>.dispatch   enqueue → handler start in a worker process, 1 and 3 worker processes
 *                          (paced; the three engines run side by side to keep the bench short)
 *   engines.<e>.dedup      starts of run ids enqueued twice (must be 0 extra)
 *   engines.<e>.reclaim    a worker holding a job is SIGKILLed: ms until another worker starts it
 *   engines.<e>.long_job   a job 2.5 × the lease long on a live worker: started once, or reclaimed?
 *   engines.<e>.paused     the holder is SIGSTOPped past its lease, another starts the job, then SIGCONT:
 *                          whose result does the engine record (does it accept the stale worker's ack)?
 *   engines.<e>.code_lines lines of the engine's adapter (enqueue with dedup, lease, reclaim, drain)
 * Every child is killed at the end; the database is a fresh one dropped at the end, Redis keys are under
 * a unique prefix removed at the end. BENCH_FLEET_JOBS, BENCH_FLEET_RATE, BENCH_FLEET_LEASE_MS,
 * BENCH_FLEET_ENGINES (comma list) tune it.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Job, Queue } from 'bullmq';
import { Redis } from 'ioredis';
import pg from 'pg';
import PgBoss from 'pg-boss';
import { createTestDatabase, type TestDatabase } from '../test/helpers/pg';
import { cleanupPrefix } from '../test/helpers/redis';
import { emit, percentile, progress as say } from './_harness';
import { connection as bullmqConnection } from './fleet-engines/bullmq';
import { ENGINES, type EngineName } from './fleet-engines/engines';
import { jobId as pgbossJobId } from './fleet-engines/pgboss';
import type { EngineConfig } from './fleet-engines/types';
import type { WorkerMessage } from './fleet-engines/worker';

const here = path.dirname(fileURLToPath(import.meta.url));
const REDIS_URL = process.env.REDIS_URL || 'redis://127.0.0.1:6379';
const JOBS = Number(process.env.BENCH_FLEET_JOBS ?? 150);
const RATE = Number(process.env.BENCH_FLEET_RATE ?? 5);
const LEASE_MS = Number(process.env.BENCH_FLEET_LEASE_MS ?? 3_000);
const CONCURRENCY = 4;
const WARMUP = 5;
const FLOOR_ROUNDS = 300;
/** How long a scenario waits for a reclaim before it calls it "not reclaimed". */
const RECLAIM_WAIT_MS = 4 * LEASE_MS + 4_000;
const engineNames = (process.env.BENCH_FLEET_ENGINES ?? 'bullmq,pgboss,graphile')
  .split(',')
  .filter((e): e is EngineName => e in ENGINES);
const id = `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
const redisPrefix = `wavebench:fleet:${id}:`;
const progress = (line: string) => say(`[bench fleet-engines] ${line}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const now = () => performance.timeOrigin + performance.now();
const loadavg = () => readFileSync('/proc/loadavg', 'utf8').trim();

type Logged = WorkerMessage & { engine: EngineName };
const log: Logged[] = [];
const children = new Set<ChildProcess>();

function stats(samples: readonly number[]) {
  const s = [...samples].sort((a, b) => a - b);
  const r = (v: number) => Math.round(v * 100) / 100;
  return { n: s.length, p50_ms: r(percentile(s, 50)), p95_ms: r(percentile(s, 95)), p99_ms: r(percentile(s, 99)) };
}

/** Resolves with pick()'s first defined value, or undefined after timeoutMs. */
async function waitFor<T>(pick: () => T | undefined, timeoutMs: number): Promise<T | undefined> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = pick();
    if (v !== undefined || Date.now() > until) return v;
    await sleep(5);
  }
}

const starts = (engine: EngineName, runId: string) =>
  log.filter(
    (m): m is Extract<Logged, { ev: 'start' }> => m.engine === engine && m.ev === 'start' && m.runId === runId,
  );
const endOf = (engine: EngineName, runId: string, worker: string) =>
  log.find(
    (m): m is Extract<Logged, { ev: 'end' }> =>
      m.engine === engine && m.ev === 'end' && m.runId === runId && m.worker === worker,
  );

function config(engine: EngineName, queue: string, databaseUrl: string): EngineConfig {
  const namespace = engine === 'bullmq' ? `${redisPrefix}bull` : `${engine}_${id}`;
  return { queue, leaseMs: LEASE_MS, redisUrl: REDIS_URL, databaseUrl, namespace };
}

async function spawnWorkers(engine: EngineName, cfg: EngineConfig, names: string[], concurrency: number) {
  const procs = names.map((name) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(here, 'fleet-engines', 'worker.ts')], {
      cwd: path.join(here, '..'),
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      env: {
        ...process.env,
        FLEET_ENGINE: engine,
        FLEET_WORKER: name,
        FLEET_CONCURRENCY: String(concurrency),
        FLEET_CONFIG: JSON.stringify(cfg),
      },
    });
    children.add(child);
    child.on('exit', () => children.delete(child));
    child.on('message', (m: WorkerMessage) => log.push({ ...m, engine }));
    return [name, child] as const;
  });
  for (const [name] of procs) {
    const ok = await waitFor(
      () => log.find((m) => m.engine === engine && m.ev === 'ready' && m.worker === name),
      90_000,
    );
    if (!ok) throw new Error(`${engine} worker ${name} did not start`);
  }
  return new Map(procs);
}

function kill(procs: Map<string, ChildProcess>): void {
  for (const child of procs.values()) {
    if (child.exitCode !== null || child.signalCode !== null) continue;
    child.kill('SIGCONT');
    child.kill('SIGKILL');
  }
}

async function redisFloor() {
  const producer = new Redis(REDIS_URL);
  const consumer = new Redis(REDIS_URL);
  const key = `${redisPrefix}floor`;
  const samples: number[] = [];
  try {
    for (let i = 0; i < FLOOR_ROUNDS + WARMUP; i++) {
      const popped = consumer.brpop(key, 5);
      await sleep(1);
      const t = now();
      await producer.lpush(key, String(i));
      await popped;
      if (i >= WARMUP) samples.push(now() - t);
    }
  } finally {
    producer.disconnect();
    consumer.disconnect();
  }
  return stats(samples);
}

async function postgresFloor(databaseUrl: string) {
  const listener = new pg.Client({ connectionString: databaseUrl });
  const notifier = new pg.Client({ connectionString: databaseUrl });
  await listener.connect();
  await notifier.connect();
  const samples: number[] = [];
  try {
    await listener.query('LISTEN wave_fleet_floor');
    for (let i = 0; i < FLOOR_ROUNDS + WARMUP; i++) {
      const heard = new Promise<void>((resolve) => listener.once('notification', () => resolve()));
      const t = now();
      await notifier.query(`NOTIFY wave_fleet_floor, '${i}'`);
      await heard;
      if (i >= WARMUP) samples.push(now() - t);
    }
  } finally {
    await listener.end();
    await notifier.end();
  }
  return stats(samples);
}

/** Enqueues `JOBS` instant jobs at RATE per second (every 10th twice), waits for all starts. */
async function pacedDispatch(engine: EngineName, cfg: EngineConfig, label: string) {
  const dispatcher = await ENGINES[engine].dispatcher(cfg);
  const enqueuedAt = new Map<string, number>();
  try {
    const start = now();
    for (let i = 0; i < JOBS + WARMUP; i++) {
      const due = start + (i * 1000) / RATE;
      if (now() < due) await sleep(due - now());
      const runId = `${label}-${i}`;
      const t = now();
      enqueuedAt.set(runId, t);
      await dispatcher.enqueue(runId, { holdMs: 0, enqueuedAt: t });
      if (i % 10 === 0) await dispatcher.enqueue(runId, { holdMs: 0, enqueuedAt: t });
    }
    const all = await waitFor(
      () => ([...enqueuedAt.keys()].every((r) => starts(engine, r).length > 0) ? true : undefined),
      30_000,
    );
    await sleep(500);
    const samples: number[] = [];
    let extraStarts = 0;
    const perWorker: Record<string, number> = {};
    for (const [runId, t] of enqueuedAt) {
      const s = starts(engine, runId);
      extraStarts += Math.max(0, s.length - 1);
      const first = s[0];
      if (!first) continue;
      perWorker[first.worker] = (perWorker[first.worker] ?? 0) + 1;
      if (Number(runId.split('-').pop()) >= WARMUP) samples.push(first.t - t);
    }
    return { ...stats(samples), complete: all === true, extra_starts: extraStarts, per_worker: perWorker };
  } finally {
    await dispatcher.close();
  }
}

async function dispatchPhase(engine: EngineName, databaseUrl: string) {
  const cfg = config(engine, 'dispatch', databaseUrl);
  const first = await spawnWorkers(engine, cfg, [`${engine}-d1`], CONCURRENCY);
  progress(`${engine}: dispatch with 1 worker process`);
  const one = await pacedDispatch(engine, cfg, 'one');
  const more = await spawnWorkers(engine, cfg, [`${engine}-d2`, `${engine}-d3`], CONCURRENCY);
  progress(`${engine}: dispatch with 3 worker processes`);
  const three = await pacedDispatch(engine, cfg, 'three');
  const all = new Map([...first, ...more]);
  for (const child of all.values()) child.send({ cmd: 'drain' });
  const drained = await waitFor(() => {
    const d = log.filter((m) => m.engine === engine && m.ev === 'drained');
    return d.length === all.size ? d : undefined;
  }, 30_000);
  kill(all);
  return {
    workers_1: one,
    workers_3: three,
    drain_ms: drained ? Math.round(Math.max(...drained.map((m) => (m.ev === 'drained' ? m.ms : 0)))) : null,
  };
}

/** Two fresh worker processes on their own queue, and the job's first start. */
async function scenario(engine: EngineName, databaseUrl: string, queue: string, holdMs: number) {
  const cfg = config(engine, queue, databaseUrl);
  const procs = await spawnWorkers(engine, cfg, [`${engine}-${queue}-a`, `${engine}-${queue}-b`], 1);
  const dispatcher = await ENGINES[engine].dispatcher(cfg);
  await dispatcher.enqueue(queue, { holdMs, enqueuedAt: now() });
  await dispatcher.close();
  const first = await waitFor(() => starts(engine, queue)[0], 30_000);
  if (!first) throw new Error(`${engine}: ${queue} job never started`);
  const holder = procs.get(first.worker) as ChildProcess;
  const other = () => starts(engine, queue).find((s) => s.worker !== first.worker);
  return { cfg, procs, first, holder, other };
}

async function reclaimScenario(engine: EngineName, databaseUrl: string) {
  const { procs, holder, other } = await scenario(engine, databaseUrl, 'reclaim', 600_000);
  const killedAt = now();
  holder.kill('SIGKILL');
  const second = await waitFor(other, RECLAIM_WAIT_MS);
  kill(procs);
  return second
    ? { reclaimed: true, reclaim_ms: Math.round(second.t - killedAt) }
    : { reclaimed: false, waited_ms: RECLAIM_WAIT_MS };
}

async function longJobScenario(engine: EngineName, databaseUrl: string) {
  const holdMs = Math.round(2.5 * LEASE_MS);
  const { procs, first } = await scenario(engine, databaseUrl, 'long', holdMs);
  await waitFor(() => endOf(engine, 'long', first.worker), holdMs + 10_000);
  await sleep(1_000);
  const s = starts(engine, 'long');
  kill(procs);
  return {
    hold_ms: holdMs,
    starts: s.length,
    reclaimed_while_alive: s.length > 1,
    ...(s[1] ? { second_start_after_ms: Math.round(s[1].t - first.t) } : {}),
  };
}

async function pausedScenario(engine: EngineName, databaseUrl: string) {
  // The handler's work is due before the holder wakes up, so it answers while the new holder still works.
  const holdMs = Math.round((2 * LEASE_MS) / 3);
  const { cfg, procs, first, holder, other } = await scenario(engine, databaseUrl, 'paused', holdMs);
  holder.kill('SIGSTOP');
  const stoppedAt = now();
  const second = await waitFor(other, RECLAIM_WAIT_MS);
  holder.kill('SIGCONT');
  const stoppedMs = Math.round(now() - stoppedAt);
  const oldEnd = await waitFor(() => endOf(engine, 'paused', first.worker), 10_000);
  if (second) await waitFor(() => endOf(engine, 'paused', second.worker), holdMs + 10_000);
  await sleep(1_500);
  const recorded = await recordedResult(engine, cfg, 'paused');
  kill(procs);
  return {
    stopped_ms: stoppedMs,
    reclaimed: second !== undefined,
    starts: starts(engine, 'paused').length,
    old_handler_ran_to_end: oldEnd !== undefined && !oldEnd.aborted,
    old_handler_aborted: oldEnd?.aborted ?? false,
    final_state: recorded.state,
    recorded_result_of:
      recorded.worker === undefined
        ? 'not recorded'
        : recorded.worker === first.worker
          ? 'old (stale) worker'
          : 'new worker',
  };
}

/** The job's state and whose handler result the engine kept, read back through the engine. */
async function recordedResult(engine: EngineName, cfg: EngineConfig, runId: string) {
  if (engine === 'bullmq') {
    const queue = new Queue(cfg.queue, { connection: bullmqConnection(cfg), prefix: cfg.namespace });
    try {
      const job = await Job.fromId(queue, runId);
      return { state: job ? await job.getState() : 'gone', worker: (job?.returnvalue as { worker?: string })?.worker };
    } finally {
      await queue.close();
    }
  }
  if (engine === 'pgboss') {
    const boss = new PgBoss({
      connectionString: cfg.databaseUrl,
      schema: cfg.namespace,
      supervise: false,
      schedule: false,
      migrate: false,
    });
    boss.on('error', () => undefined);
    await boss.start();
    try {
      const job = await boss.getJobById(cfg.queue, pgbossJobId(runId), { includeArchive: true });
      return { state: job?.state ?? 'gone', worker: (job?.output as { worker?: string } | undefined)?.worker };
    } finally {
      await boss.stop({ graceful: false, wait: true });
    }
  }
  // graphile-worker deletes a completed job and keeps no result.
  const client = new pg.Client({ connectionString: cfg.databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query(`SELECT 1 FROM "${cfg.namespace}"._private_jobs WHERE key = $1`, [runId]);
    return { state: rows.length ? 'pending' : 'completed (deleted)', worker: undefined };
  } finally {
    await client.end();
  }
}

/** Lines of code: not blank, not only a comment. */
function codeLines(file: string): number {
  return readFileSync(path.join(here, 'fleet-engines', file), 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('//') && !l.startsWith('/*') && !l.startsWith('*')).length;
}

const ADAPTER_FILES: Record<EngineName, string> = { bullmq: 'bullmq.ts', pgboss: 'pgboss.ts', graphile: 'graphile.ts' };
const PACKAGES: Record<EngineName, string> = { bullmq: 'bullmq', pgboss: 'pg-boss', graphile: 'graphile-worker' };
const KNOBS: Record<EngineName, string> = {
  bullmq: `lockDuration=${LEASE_MS} ms (renewed every lockDuration/2 while the worker lives), stalledInterval=${Math.max(1_000, Math.round(LEASE_MS / 3))} ms, maxStalledCount=1000`,
  pgboss: `expireInSeconds=${Math.ceil(LEASE_MS / 1000)} from the start, no renewal; maintenanceIntervalSeconds=1 (default 120); pollingIntervalSeconds=0.5 (least allowed, default 2)`,
  graphile: 'none: a locked job is reset after a fixed 4 hours (resetLockedAt); pollInterval 2 s behind LISTEN/NOTIFY',
};

function version(pkg: string): string {
  return (
    JSON.parse(readFileSync(path.join(here, '..', 'node_modules', pkg, 'package.json'), 'utf8')) as { version: string }
  ).version;
}

async function main(): Promise<void> {
  const started = Date.now();
  const loadBefore = loadavg();
  let db: TestDatabase | undefined;
  try {
    db = await createTestDatabase('wavebench_fleet');
    const databaseUrl = db.url;
    progress(`load ${loadBefore}; floors: Redis LPUSH → BRPOP, Postgres NOTIFY → LISTEN`);
    const floor = { redis_lpush_brpop: await redisFloor(), pg_notify_listen: await postgresFloor(databaseUrl) };
    progress(`  ${JSON.stringify(floor)}`);
    for (const engine of engineNames) {
      for (const queue of ['dispatch', 'reclaim', 'long', 'paused']) {
        await ENGINES[engine].prepare(config(engine, queue, databaseUrl));
      }
    }
    const dispatch = await Promise.all(engineNames.map((e) => dispatchPhase(e, databaseUrl)));
    progress(`dispatch done (load ${loadavg()}); reclaim, long job and paused worker, engines side by side`);
    const scenarios = await Promise.all(
      engineNames.map(async (e) => {
        const reclaim = await reclaimScenario(e, databaseUrl);
        progress(`${e}: reclaim ${JSON.stringify(reclaim)}`);
        const long_job = await longJobScenario(e, databaseUrl);
        progress(`${e}: long job ${JSON.stringify(long_job)}`);
        const paused = await pausedScenario(e, databaseUrl);
        progress(`${e}: paused ${JSON.stringify(paused)}`);
        return { reclaim, long_job, paused };
      }),
    );
    const engines = Object.fromEntries(
      engineNames.map((e, i) => [
        e,
        {
          version: version(PACKAGES[e]),
          knobs: KNOBS[e],
          code_lines: codeLines(ADAPTER_FILES[e]),
          dispatch: dispatch[i],
          ...scenarios[i],
        },
      ]),
    );
    emit({
      load_before: loadBefore,
      load_after: loadavg(),
      lease_ms: LEASE_MS,
      jobs_per_run: JOBS,
      rate_per_s: RATE,
      concurrency_per_worker: CONCURRENCY,
      floor,
      engines,
      duration_s: Math.round((Date.now() - started) / 100) / 10,
    });
  } finally {
    for (const child of children) {
      child.kill('SIGCONT');
      child.kill('SIGKILL');
    }
    await sleep(200);
    await db?.drop().catch(() => undefined);
    await cleanupPrefix(redisPrefix, REDIS_URL).catch(() => undefined);
  }
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    process.stderr.write(`[bench fleet-engines] failed: ${(e as Error)?.stack ?? String(e)}\n`);
    for (const child of children) child.kill('SIGKILL');
    process.exit(1);
  },
);
