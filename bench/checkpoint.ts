/*
 * Checkpoint commit latency, side by side with a peer and a floor, on the same Postgres:
 *   ours      Checkpointer.recordGate: gate run + story progress + checkpoint + retention, one transaction
 *   langgraph @langchain/langgraph-checkpoint-postgres PostgresSaver put + putWrites of an equal state
 *   floor     a single-row INSERT of the same bytes, autocommit, synchronous_commit on
 * and recovery_ms: from opening the store to "ready to resume" (interrupted session found,
 * every story's latest checkpoint loaded and verified, plan written) for 100 stories × 8 gates.
 *
 * npm run bench -- checkpoint   → one JSON object on stdout; progress on stderr.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { emptyCheckpoint, uuid6, type Checkpoint } from '@langchain/langgraph-checkpoint';
import { PostgresSaver } from '@langchain/langgraph-checkpoint-postgres';
import { sql } from 'drizzle-orm';
import pg from 'pg';
import { Checkpointer, RecoveryService, canonicalJson } from '../src/main/core/checkpointer';
import { GATE_IDS, openStore, sessions, storyRuns, type Store } from '../src/main/store';
import { createTestDatabase } from '../test/helpers/pg';

const SMALL_ITERATIONS = 1000;
const LARGE_ITERATIONS = 25;
const RECOVERY_STORIES = 100;

const log = (line: string) => process.stderr.write(`[bench checkpoint] ${line}\n`);

interface Latency {
  p50_ms: number;
  p99_ms: number;
}

function percentiles(samples: number[]): Latency {
  const s = [...samples].sort((a, b) => a - b);
  const at = (p: number) => s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))]!;
  return { p50_ms: round(at(0.5)), p99_ms: round(at(0.99)) };
}

function round(n: number): number {
  return Math.round(n * 1000) / 1000;
}

/** What an orchestrator keeps after a gate: plan, touched files, agent session, QA summary. */
function realisticData(targetBytes: number): Record<string, unknown> {
  const base = {
    agentSession: { id: randomUUID(), model: 'claude-sonnet-4', turns: 14, resumeToken: randomUUID() },
    plan: [
      'Add the Checkpointer service with a recordGate method writing in one transaction',
      'Wire retention so the last five checkpoints and every recovery point are kept',
      'Cover each recovery strategy with integration tests on PGlite and Postgres',
    ],
    files: [
      'src/main/core/checkpointer/checkpointer.ts',
      'src/main/core/checkpointer/recovery.ts',
      'src/main/store/schema.ts',
      'migrations/0000_init.sql',
    ],
    qa: { build: 'ok', typecheck: 'ok', lint: 'ok', tests: { passed: 142, failed: 0, skipped: 3 }, durationMs: 48_213 },
    usage: { inputTokens: 183_220, outputTokens: 12_904, cacheReadTokens: 96_112, costUsd: 1.284 },
    notes: '',
  };
  const size = Buffer.byteLength(JSON.stringify(base));
  const transcript: string[] = [];
  let remaining = targetBytes - size;
  let i = 0;
  while (remaining > 0) {
    const line =
      `[turn ${i++}] tool_use edit_file path=src/module-${i % 40}.ts lines=${(i * 7) % 300}-${((i * 7) % 300) + 12} ok`.slice(
        0,
        Math.max(1, remaining - 3),
      );
    transcript.push(line);
    remaining -= Buffer.byteLength(line) + 3;
  }
  return { ...base, transcript };
}

async function seedStoryRun(
  store: Store,
  sessionId: string,
  n: number,
  ownerPid: number | null = process.pid,
): Promise<string[]> {
  await store.db.insert(sessions).values({
    id: sessionId,
    projectId: 'bench',
    status: 'running',
    ownerPid,
    ownerHost: os.hostname(),
    heartbeatAt: new Date(),
  });
  const rows = Array.from({ length: n }, (_, i) => ({
    id: `${sessionId}:S-${i}`,
    sessionId,
    storyId: `S-${i}`,
    waveNumber: 1 + Math.floor(i / 10),
    agent: 'bench',
    status: 'running' as const,
    currentGate: 'gate-0' as const,
    branch: `wave/bench/S-${i}`,
    worktreePath: `/tmp/wt/S-${i}`,
  }));
  await store.db.insert(storyRuns).values(rows);
  return rows.map((r) => r.id);
}

interface Contenders {
  ours: () => Promise<void>;
  langgraph: () => Promise<void>;
  floor: () => Promise<void>;
}

/** Runs the three in turn, round-robin, so drifting machine load hits them equally. */
async function measure(label: string, iterations: number, warmup: number, c: Contenders) {
  const samples: Record<keyof Contenders, number[]> = { ours: [], langgraph: [], floor: [] };
  const order: Array<keyof Contenders> = ['ours', 'langgraph', 'floor'];
  for (let i = 0; i < warmup + iterations; i++) {
    for (const k of i % 2 ? [...order].reverse() : order) {
      const t0 = performance.now();
      await c[k]();
      const dt = performance.now() - t0;
      if (i >= warmup) samples[k].push(dt);
    }
    if ((i + 1) % 100 === 0) log(`${label}: ${i + 1 - warmup}/${iterations}`);
  }
  return {
    ours: percentiles(samples.ours),
    langgraph: percentiles(samples.langgraph),
    floor: percentiles(samples.floor),
  };
}

async function contenders(
  store: Store,
  saver: PostgresSaver,
  floorPool: pg.Pool,
  storyRunId: string,
  data: Record<string, unknown>,
): Promise<Contenders> {
  const cp = new Checkpointer(store);
  const gates = GATE_IDS;
  let g = 0;
  const threadId = randomUUID();
  let lgConfig = { configurable: { thread_id: threadId, checkpoint_ns: '' } } as {
    configurable: Record<string, unknown>;
  };
  let step = 0;
  // The floor writes exactly the bytes our checkpoint row holds.
  const floorBytes = canonicalJson({ v: 1, data });
  return {
    ours: async () => {
      const gate = gates[g++ % gates.length]!;
      await cp.recordGate({
        storyRunId,
        gate,
        status: 'passed',
        costUsd: 0.01,
        inputTokens: 1000,
        outputTokens: 100,
        data,
      });
    },
    langgraph: async () => {
      const checkpoint: Checkpoint = {
        ...emptyCheckpoint(),
        id: uuid6(step),
        ts: new Date().toISOString(),
        channel_values: { state: data },
        channel_versions: { state: step + 1 },
      };
      lgConfig = (await saver.put(
        lgConfig as never,
        checkpoint,
        { source: 'loop', step, parents: {} },
        { state: step + 1 },
      )) as typeof lgConfig;
      await saver.putWrites(lgConfig as never, [['state', data]], `task-${step}`);
      step++;
    },
    floor: async () => {
      await floorPool.query('insert into floor_bench (state) values ($1::jsonb)', [floorBytes]);
    },
  };
}

async function recoveryMs(url: string, dataDir: string): Promise<{ ms: number; checkpoints: number }> {
  const sessionId = `bench-recovery-${randomUUID().slice(0, 8)}`;
  {
    const store = await openStore({ dataDir, databaseUrl: url });
    try {
      const cp = new Checkpointer(store);
      // Owned by a pid that is gone: the session is interrupted.
      const ids = await seedStoryRun(store, sessionId, RECOVERY_STORIES, 0x7ffffff0);
      const data = realisticData(2048);
      log(`recovery: writing ${RECOVERY_STORIES} stories × 8 gates (with QA retries and retention)`);
      // Stories progress side by side, as in a wave; gate-4 fails twice before passing.
      const chunks = 10;
      for (let c = 0; c < ids.length; c += chunks) {
        await Promise.all(
          ids.slice(c, c + chunks).map(async (id) => {
            for (const gate of GATE_IDS) {
              if (gate === 'gate-4') {
                for (let a = 1; a <= 2; a++)
                  await cp.recordGate({ storyRunId: id, gate, status: 'failed', attempt: a, data });
              }
              await cp.recordGate({ storyRunId: id, gate, status: gate === 'gate-7' ? 'failed' : 'passed', data });
            }
          }),
        );
      }
    } finally {
      await store.close();
    }
  }
  const t0 = performance.now();
  const store = await openStore({ dataDir, databaseUrl: url });
  try {
    const service = new RecoveryService(store);
    const interrupted = await service.findInterrupted();
    if (!interrupted.some((s) => s.sessionId === sessionId)) throw new Error('the interrupted session was not found');
    const result = await service.recoverSession(sessionId, { strategy: 'resume_from_last', actor: 'bench' });
    const ms = performance.now() - t0;
    const ready = result.stories.filter((s) => s.action === 'resume' && s.checkpoint && s.nextGate === 'gate-7').length;
    if (ready !== RECOVERY_STORIES) throw new Error(`only ${ready}/${RECOVERY_STORIES} stories were ready to resume`);
    const r = (await store.db.execute(
      sql`select count(*)::int as n from checkpoints where session_id = ${sessionId}`,
    )) as unknown as { rows: Array<{ n: number }> };
    return { ms, checkpoints: r.rows[0]!.n };
  } finally {
    await store.close();
  }
}

async function main(): Promise<void> {
  const started = performance.now();
  const db = await createTestDatabase('bench_checkpoint');
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'wave-bench-'));
  const pools: pg.Pool[] = [];
  let store: Store | null = null;
  try {
    log(`database ${db.name}`);
    store = await openStore({ dataDir, databaseUrl: db.url, poolMax: 2 });
    const lgPool = new pg.Pool({ connectionString: db.url, max: 2 });
    pools.push(lgPool);
    // Its own schema: it also names a table "checkpoints".
    const saver = new PostgresSaver(lgPool, undefined, { schema: 'langgraph' });
    await saver.setup();
    const floorPool = new pg.Pool({ connectionString: db.url, max: 1 });
    pools.push(floorPool);
    await floorPool.query('create table floor_bench (id bigserial primary key, state jsonb not null)');
    await floorPool.query('set synchronous_commit = on');

    const [small, large] = await seedStoryRun(store, `bench-${randomUUID().slice(0, 8)}`, 2);
    const smallData = realisticData(2048);
    const largeData = realisticData(1024 * 1024);

    log(`2 KB state: ${SMALL_ITERATIONS} iterations each`);
    const smallResult = await measure(
      '2 KB',
      SMALL_ITERATIONS,
      20,
      await contenders(store, saver, floorPool, small!, smallData),
    );
    log(`1 MB state: ${LARGE_ITERATIONS} iterations each`);
    const largeResult = await measure(
      '1 MB',
      LARGE_ITERATIONS,
      3,
      await contenders(store, saver, floorPool, large!, largeData),
    );
    await store.close();
    store = null;

    const recovery = await recoveryMs(db.url, dataDir);
    const stateBytes = Buffer.byteLength(canonicalJson(smallData));
    const result = {
      ours: smallResult.ours,
      langgraph: smallResult.langgraph,
      floor: smallResult.floor,
      recovery_ms: round(recovery.ms),
      state_bytes: stateBytes,
      large_state: { state_bytes: Buffer.byteLength(canonicalJson(largeData)), ...largeResult },
      recovery: {
        stories: RECOVERY_STORIES,
        gates: GATE_IDS.length,
        checkpoints_after_retention: recovery.checkpoints,
      },
      iterations: { small: SMALL_ITERATIONS, large: LARGE_ITERATIONS },
      targets: {
        ours_p99_le_langgraph_p99: smallResult.ours.p99_ms <= smallResult.langgraph.p99_ms,
        recovery_under_100ms: recovery.ms < 100,
      },
      postgres: (await floorPool.query('show server_version')).rows[0].server_version as string,
      elapsed_s: round((performance.now() - started) / 1000),
    };
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } finally {
    await store?.close();
    for (const p of pools.reverse()) await p.end().catch(() => {});
    await db.drop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`bench checkpoint failed: ${(e as Error)?.stack ?? String(e)}\n`);
  process.exitCode = 1;
});
