/*
 * `wave stop` from a second process (`npm run bench -- stop`): a session run by `wave run` in
 * another process, 8 agents in develop, each ignoring SIGTERM and with 2 grandchildren; the time
 * from starting `wave stop <session> --json` until it exits, with /proc then showing none of
 * those processes alive. One session per round and store (BENCH_ROUNDS, default 1):
 *   embedded   the PGlite store held by `wave run` (the stop goes through the data dir's local socket)
 *   postgres   Postgres + Redis (local socket, Redis pub/sub and Postgres NOTIFY)
 * Beside each, measured in the same run:
 *   grace_ms        the SIGTERM → SIGKILL grace (WAVE_STOP_GRACE_MS; BENCH_GRACE_MS, default 2000)
 *   node_floor_ms   `node -e 0` (median of 5): the least any command takes to start and exit
 *   floor_ms        grace_ms + node_floor_ms: no stop of an agent that ignores SIGTERM can be faster
 * Target: stop_ms ≤ grace_ms + 300 with 0 alive. Run `npm run build` first (wave is the bundle).
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { killTagged, processesTagged } from '../test/fixtures/repos/leftovers';
import { TEST_REDIS_URL } from '../test/helpers/env';
import { createTestDatabase } from '../test/helpers/pg';
import { openPgliteTestStore } from '../test/helpers/pglite';
import { cleanupPrefix, uniquePrefix } from '../test/helpers/redis';
import { createScenario } from '../test/orchestrator/scenario';
import { emit, progress } from './_harness';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const WAVE = path.join(ROOT, 'bin', 'wave.mjs');
const AGENTS = 8;
const GRANDCHILDREN = 2;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 1);
const GRACE_MS = Number(process.env.BENCH_GRACE_MS ?? 2_000);
const STORES = (process.env.BENCH_STORES ?? 'embedded,postgres').split(',');
/** BENCH_TRACE=1: both processes' log lines (WAVE_DEBUG) with their time since the stop command started. */
const TRACE = !!process.env.BENCH_TRACE;
const say = (line: string) => progress(`[bench stop] ${line}`);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const round1 = (x: number) => Math.round(x * 10) / 10;

function nodeFloor(): number {
  const samples = Array.from({ length: 5 }, () => {
    const t0 = performance.now();
    spawnSync(process.execPath, ['-e', '0']);
    return performance.now() - t0;
  });
  return round1(median(samples));
}

async function until(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** One session of 8 hanging agents run by `wave run`, stopped by `wave stop`: the stop's wall time and what was alive after. */
async function round(env: NodeJS.ProcessEnv): Promise<{ stopMs: number; aliveAfter: number; stoppedAgents: number }> {
  const tag = randomUUID();
  const s = createScenario({
    agentTag: tag,
    stories: Array.from({ length: AGENTS }, (_, i) => ({
      id: `B-${i + 1}`,
      wave: 1,
      domain: 'app' as const,
      create: [`src/app/b${i + 1}.ts`],
      testAgent: { hang: ['develop'], ignore_sigterm: true, grandchildren: GRANDCHILDREN },
    })),
  });
  const fullEnv = { ...process.env, ...env, WAVE_STOP_GRACE_MS: String(GRACE_MS) };
  const run = spawn(
    process.execPath,
    [
      WAVE,
      'run',
      ...['--project', s.repo.path, '--stories', s.storiesDir, '--prd', s.prdFile, '--approve-as', 'bench'],
      ...['--agent', 'command', '--concurrency', String(AGENTS), '--json'],
    ],
    { env: TRACE ? { ...fullEnv, WAVE_DEBUG: '1' } : fullEnv, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  let t0 = 0;
  run.stderr!.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
    if (TRACE && t0)
      for (const l of d.split('\n').filter(Boolean)) say(`+${round1(performance.now() - t0)} ms run: ${l}`);
  });
  const exited = new Promise<void>((r) => run.once('exit', () => r()));
  try {
    await until(() => /Session (ses-[\w-]+) started/.test(stderr), 120_000, `the session to start: ${stderr}`);
    const sessionId = /Session (ses-[\w-]+) started/.exec(stderr)![1]!;
    await until(() => processesTagged(tag).length >= AGENTS * (1 + GRANDCHILDREN), 180_000, 'every agent in develop');
    t0 = performance.now();
    const stopEnv = TRACE ? { ...fullEnv, WAVE_DEBUG: '1' } : fullEnv;
    const stop = spawn(process.execPath, [WAVE, 'stop', sessionId, '--json'], {
      env: stopEnv,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stopOut = '';
    let stopErr = '';
    stop.stdout!.setEncoding('utf8').on('data', (d: string) => (stopOut += d));
    stop.stderr!.setEncoding('utf8').on('data', (d: string) => {
      stopErr += d;
      if (TRACE) for (const l of d.split('\n').filter(Boolean)) say(`+${round1(performance.now() - t0)} ms stop: ${l}`);
    });
    const code = await new Promise<number | null>((r) => stop.once('exit', (c) => r(c)));
    const stopMs = performance.now() - t0;
    const aliveAfter = processesTagged(tag).length;
    if (code !== 0) throw new Error(`wave stop exited ${code}: ${stopErr}`);
    const json = JSON.parse(stopOut) as { stopped_agents: number };
    await exited;
    return { stopMs: round1(stopMs), aliveAfter, stoppedAgents: json.stopped_agents };
  } finally {
    if (run.exitCode === null) run.kill('SIGKILL');
    killTagged(tag);
    s.cleanup();
  }
}

async function storeEnv(kind: string): Promise<{ env: NodeJS.ProcessEnv; close(): Promise<void> }> {
  if (kind === 'embedded') {
    const seeded = await openPgliteTestStore();
    await seeded.store.close();
    return {
      env: { WAVE_HOME: seeded.dataDir, DATABASE_URL: '', REDIS_URL: '' },
      close: () => seeded.close(),
    };
  }
  const db = await createTestDatabase('bench_stop');
  const prefix = uniquePrefix('bench-stop');
  const home = mkdtempSync(path.join(os.tmpdir(), 'wave-bench-stop-'));
  return {
    env: { WAVE_HOME: home, DATABASE_URL: db.url, REDIS_URL: TEST_REDIS_URL, WAVE_REDIS_PREFIX: prefix },
    async close() {
      await db.drop();
      await cleanupPrefix(prefix);
      rmSync(home, { recursive: true, force: true });
    },
  };
}

async function main() {
  if (!existsSync(path.join(ROOT, 'out', 'main', 'cli.js')))
    throw new Error('No wave bundle: run `npm run build` first.');
  const floorBefore = nodeFloor();
  const results: Record<string, unknown> = {};
  const targets: Record<string, boolean> = {};
  for (const kind of STORES) {
    const store = await storeEnv(kind);
    try {
      const rounds = [];
      for (let i = 0; i < ROUNDS; i++) {
        const r = await round(store.env);
        say(
          `${kind}: wave stop took ${r.stopMs} ms, ${r.stoppedAgents} agent groups stopped, ${r.aliveAfter} alive after`,
        );
        rounds.push(r);
      }
      const stopMs = median(rounds.map((r) => r.stopMs));
      const aliveAfter = Math.max(...rounds.map((r) => r.aliveAfter));
      results[kind] = {
        stop_ms: stopMs,
        over_grace_ms: round1(stopMs - GRACE_MS),
        alive_after: aliveAfter,
        rounds: rounds.map((r) => r.stopMs),
      };
      targets[`${kind}_le_grace_plus_300`] = stopMs <= GRACE_MS + 300;
      targets[`${kind}_alive_after_0`] = aliveAfter === 0;
    } finally {
      await store.close();
    }
  }
  const floorAfter = nodeFloor();
  const nodeFloorMs = Math.min(floorBefore, floorAfter);
  emit({
    bench: 'stop',
    agents: AGENTS,
    grandchildren_each: GRANDCHILDREN,
    rounds: ROUNDS,
    grace_ms: GRACE_MS,
    node_floor_ms: nodeFloorMs,
    floor_ms: round1(GRACE_MS + nodeFloorMs),
    ...results,
    targets,
  });
}

main().catch((e) => {
  process.stderr.write(`[bench stop] ${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
