/**
 * Event dispatcher benchmark (`npm run bench -- events`). One JSON object on stdout:
 *   redis          our bus, producer publish → handler start, paced at 1 000 events/s (p50_ms, p99_ms),
 *                  and `rate`: the highest rate sustained end to end (events/s), with its latency in at_max
 *   raw_floor      bare ioredis XADD → XREADGROUP on the same server, same pacing (the physical floor)
 *   bullmq         BullMQ queue.add → worker processor start on the same server, same pacing (the peer)
 *   inprocess      the in-process fallback, publish → handler start
 *   emitter_floor  a bare EventEmitter, emit → listener, same shape
 * Targets: redis.p99 ≤ 5 × raw_floor.p99 and ≤ bullmq.p99; inprocess.p99 ≤ 5 × emitter_floor.p99.
 * Every key and queue is under a unique prefix removed at the end; traffic only to REDIS_URL (default 127.0.0.1).
 */
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { nowEpochMs, parseTimestampMs, type WaveEvent } from '../src/shared/events';
import { InProcessEventBus, RedisEventBus } from '../src/main/core/events';
import { msSinceProduced } from '../src/main/core/events/event-codec';
import { cleanupPrefix } from '../test/helpers/redis';
import { emit, percentile, progress as say, summarize } from './_harness';

const REDIS_URL = process.env.REDIS_URL || 'redis://127.0.0.1:6379';
const PACED_RATE = 1_000;
const PACED_MS = Number(process.env.BENCH_EVENTS_MS ?? 3_000);
const WARMUP = 300;
const prefix = `wavebench:events:${Date.now().toString(36)}${randomBytes(3).toString('hex')}:`;
const progress = (line: string) => say(`[bench events] ${line}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Calls send(i) at `rate` per second for `ms` (send is awaited, so a slow producer shows). */
async function paced(rate: number, ms: number, send: (i: number) => Promise<unknown> | void): Promise<number> {
  const total = Math.round((rate * ms) / 1000);
  const start = performance.now();
  for (let i = 0; i < total; ) {
    const due = start + (i * 1000) / rate;
    const now = performance.now();
    if (now < due) {
      await sleep(due - now);
      continue;
    }
    await send(i++);
  }
  return total;
}

async function waitUntil(cond: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

async function rawFloor(): Promise<{ p50_ms: number; p99_ms: number }> {
  const producer = new Redis(REDIS_URL);
  const consumer = new Redis(REDIS_URL);
  const key = `${prefix}raw`;
  const samples: number[] = [];
  let received = 0;
  let stop = false;
  try {
    await producer.xgroup('CREATE', key, 'g', '$', 'MKSTREAM');
    const reader = (async () => {
      while (!stop) {
        const reply = (await consumer.xreadgroup(
          'GROUP',
          'g',
          'c',
          'COUNT',
          100,
          'BLOCK',
          200,
          'STREAMS',
          key,
          '>',
        )) as Array<[string, Array<[string, string[]]>]> | null;
        for (const [id, fields] of reply?.[0]?.[1] ?? []) {
          const latency = nowEpochMs() - Number(fields[1]);
          if (received++ >= WARMUP) samples.push(latency);
          await consumer.xack(key, 'g', id);
        }
      }
    })();
    const total = await paced(PACED_RATE, PACED_MS + WARMUP, () => producer.xadd(key, '*', 't', String(nowEpochMs())));
    await waitUntil(() => received >= total, 10_000, 'raw floor reader');
    stop = true;
    await reader;
  } finally {
    producer.disconnect();
    consumer.disconnect();
  }
  return summarize(samples);
}

async function ourRedisPaced(): Promise<{ p50_ms: number; p99_ms: number }> {
  const bus = new RedisEventBus({ redisUrl: REDIS_URL, keyPrefix: prefix, blockMs: 1_000 });
  await bus.start();
  const samples: number[] = [];
  let received = 0;
  try {
    await bus.subscribe(
      'bench',
      (e: WaveEvent) => {
        const latency = nowEpochMs() - parseTimestampMs(e.produced_at);
        if (received++ >= WARMUP) samples.push(latency);
      },
      { session: 'paced', from: 'new' },
    );
    const total = await paced(PACED_RATE, PACED_MS + WARMUP, (i) =>
      bus.publish({ type: 'progress', session: 'paced', story: `S-${i % 8}`, message: `step ${i}`, pct: i % 100 }),
    );
    await waitUntil(() => received >= total, 15_000, 'our Redis consumer');
  } finally {
    await bus.close();
  }
  return summarize(samples);
}

/** Publishes as fast as a bounded window of in-flight publishes allows; rate = events handled per second end to end. */
async function ourRedisMax(): Promise<{ rate: number; p50_ms: number; p99_ms: number }> {
  const bus = new RedisEventBus({ redisUrl: REDIS_URL, keyPrefix: prefix, blockMs: 1_000, batchSize: 500 });
  await bus.start();
  const samples: number[] = [];
  let received = 0;
  let lastAt = 0;
  try {
    await bus.subscribe(
      'bench',
      (e: WaveEvent) => {
        const now = nowEpochMs();
        samples.push(now - parseTimestampMs(e.produced_at));
        received++;
        lastAt = now;
      },
      { session: 'max', from: 'new' },
    );
    const window = 32;
    const startedAt = nowEpochMs();
    let sent = 0;
    const until = performance.now() + PACED_MS;
    const inflight = new Set<Promise<unknown>>();
    while (performance.now() < until) {
      // Back-pressure on the consumer too: a rate the consumer cannot keep up with is not "sustained".
      if (sent - received > 2_000) {
        await sleep(1);
        continue;
      }
      const p = bus.publish({ type: 'progress', session: 'max', story: `S-${sent % 8}`, message: `step ${sent}` });
      sent++;
      inflight.add(p);
      void p.finally(() => inflight.delete(p));
      if (inflight.size >= window) await Promise.race(inflight);
    }
    await Promise.all(inflight);
    await waitUntil(() => received >= sent, 30_000, 'our Redis consumer at max rate');
    const seconds = (lastAt - startedAt) / 1000;
    return { rate: Math.round(received / seconds), ...summarize(samples) };
  } finally {
    await bus.close();
  }
}

async function bullmq(): Promise<{ p50_ms: number; p99_ms: number }> {
  const url = new URL(REDIS_URL);
  const connection = { host: url.hostname, port: Number(url.port || 6379), maxRetriesPerRequest: null };
  const bullPrefix = `${prefix}bull`;
  const name = 'bench';
  const queue = new Queue(name, {
    connection,
    prefix: bullPrefix,
    defaultJobOptions: { removeOnComplete: true, removeOnFail: true },
  });
  const samples: number[] = [];
  let received = 0;
  const worker = new Worker(
    name,
    async (job) => {
      const latency = nowEpochMs() - (job.data as { t: number }).t;
      if (received++ >= WARMUP) samples.push(latency);
    },
    { connection, prefix: bullPrefix, concurrency: 1 },
  );
  try {
    await worker.waitUntilReady();
    await queue.waitUntilReady();
    const total = await paced(PACED_RATE, PACED_MS + WARMUP, (i) => queue.add('e', { t: nowEpochMs(), i }));
    await waitUntil(() => received >= total, 15_000, 'BullMQ worker');
  } finally {
    await worker.close();
    await queue.obliterate({ force: true }).catch(() => undefined);
    await queue.close();
  }
  return summarize(samples);
}

const IN_PROCESS_EVENTS = 20_000;
/** Both in-process runs start with this many unmeasured events, so neither is timed while the JIT is still compiling it. */
const IN_PROCESS_WARMUP = 5_000;

/** µs-level rounding: the in-process numbers are fractions of a microsecond. */
function summarizeFine(samplesMs: readonly number[]): { p50_ms: number; p99_ms: number } {
  const s = [...samplesMs].sort((a, b) => a - b);
  const round = (v: number) => Math.round(v * 100_000) / 100_000;
  return { p50_ms: round(percentile(s, 50)), p99_ms: round(percentile(s, 99)) };
}

/**
 * One event at a time (publish, wait for the handler), so each sample is one dispatch: from
 * the bus's stamp of produced_at to the handler's first line. Both in-process runs read the
 * monotonic clock (performance.now(), nanoseconds): an epoch-ms double resolves only ≈0.24 µs,
 * as coarse as the floor itself.
 */
async function inProcess(): Promise<{ p50_ms: number; p99_ms: number }> {
  const bus = new InProcessEventBus();
  const samples: number[] = [];
  let resolveNext: (() => void) | null = null;
  try {
    await bus.subscribe(
      'bench',
      (e: WaveEvent) => {
        samples.push(msSinceProduced(e, performance.now()));
        resolveNext?.();
      },
      { session: 'local' },
    );
    for (let i = 0; i < IN_PROCESS_EVENTS + IN_PROCESS_WARMUP; i++) {
      const handled = new Promise<void>((r) => (resolveNext = r));
      await bus.publish({
        type: 'progress',
        session: 'local',
        story: `S-${i % 8}`,
        message: `step ${i}`,
        pct: i % 100,
      });
      await handled;
    }
  } finally {
    await bus.close();
  }
  return summarizeFine(samples.slice(IN_PROCESS_WARMUP));
}

async function emitterFloor(): Promise<{ p50_ms: number; p99_ms: number }> {
  const emitter = new EventEmitter();
  const samples: number[] = [];
  emitter.on('event', (e: { t: number }) => samples.push(performance.now() - e.t));
  for (let i = 0; i < IN_PROCESS_EVENTS + IN_PROCESS_WARMUP; i++) {
    emitter.emit('event', {
      t: performance.now(),
      type: 'progress',
      session: 'local',
      story: `S-${i % 8}`,
      message: `step ${i}`,
    });
    // Same pacing shape as the in-process run: one event, then back to the event loop.
    await Promise.resolve();
  }
  return summarizeFine(samples.slice(IN_PROCESS_WARMUP));
}

function cleanup(): Promise<void> {
  return cleanupPrefix(prefix, REDIS_URL);
}

async function main(): Promise<void> {
  const started = Date.now();
  try {
    progress('raw floor: ioredis XADD → XREADGROUP at 1 000/s');
    const raw_floor = await rawFloor();
    progress(`  ${JSON.stringify(raw_floor)}`);
    progress('redis: our bus at 1 000/s');
    const paced1k = await ourRedisPaced();
    progress(`  ${JSON.stringify(paced1k)}`);
    progress('redis: our bus at the highest sustained rate');
    const max = await ourRedisMax();
    progress(`  ${JSON.stringify(max)}`);
    progress('bullmq: queue.add → worker at 1 000/s');
    const bull = await bullmq();
    progress(`  ${JSON.stringify(bull)}`);
    progress('in-process bus and bare EventEmitter');
    const inprocess = await inProcess();
    const emitter_floor = await emitterFloor();
    const result = {
      redis: { ...paced1k, rate: max.rate, paced_rate: PACED_RATE, at_max: { p50_ms: max.p50_ms, p99_ms: max.p99_ms } },
      raw_floor,
      bullmq: bull,
      inprocess,
      emitter_floor,
      targets: {
        redis_p99_le_5x_raw_floor: paced1k.p99_ms <= 5 * raw_floor.p99_ms,
        redis_p99_le_bullmq: paced1k.p99_ms <= bull.p99_ms,
        inprocess_p99_le_5x_emitter_floor: inprocess.p99_ms <= 5 * emitter_floor.p99_ms,
      },
      duration_s: Math.round((Date.now() - started) / 100) / 10,
    };
    emit(result);
  } finally {
    await cleanup();
  }
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    process.stderr.write(`[bench events] failed: ${(e as Error)?.stack ?? String(e)}\n`);
    void cleanup().finally(() => process.exit(1));
  },
);
