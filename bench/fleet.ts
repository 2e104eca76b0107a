/*
 * The fleet with real processes (`npm run bench -- fleet`): BENCH_STORIES (default 24) scripted
 * stories in one wave, a bare repository as the project's remote, on the real Postgres and Redis.
 *   local        `wave run` in one process, --concurrency 2: the same stories without a fleet (the peer)
 *   workers_N    `wave run --fleet` with N `wave worker` processes (--concurrency 2 each), N = 1, 2, 3
 *                (BENCH_WORKERS); each its own WAVE_HOME and work dir
 *   reclaim      2 workers, one slow story; the worker running it is killed -9 in gate-2: the time
 *                from the kill until another worker takes the story over, beside the lease
 *                (BENCH_LEASE_MS, default 3000), and that it still lands once
 * For every run: wall time from the coordinator's start to its exit, the dispatch overhead per
 * story against the local run ((wall_1 − wall_local) / stories: the same concurrency on the same
 * machine, so what remains is the queue, the worker's clone, leases and the push), and landings
 * read from the remote's main: every story once (duplicates must be 0, missing 0).
 * Run `npm run build` first (wave is the bundle).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { TEST_REDIS_URL } from '../test/helpers/env';
import { createTestDatabase } from '../test/helpers/pg';
import { cleanupPrefix, uniquePrefix } from '../test/helpers/redis';
import { createScenario, type StorySpec } from '../test/orchestrator/scenario';
import { emit, progress } from './_harness';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const WAVE = path.join(ROOT, 'bin', 'wave.mjs');
const STORIES = Number(process.env.BENCH_STORIES ?? 24);
const WORKERS = (process.env.BENCH_WORKERS ?? '1,2,3').split(',').map(Number);
const LEASE_MS = Number(process.env.BENCH_LEASE_MS ?? 3_000);
const CONCURRENCY = 2;
const say = (line: string) => progress(`[bench fleet] ${line}`);
const round1 = (x: number) => Math.round(x * 10) / 10;

interface Proc {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  exited: Promise<number>;
}

function start(args: string[], env: NodeJS.ProcessEnv): Proc {
  const child = spawn(process.execPath, [WAVE, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  const exited = new Promise<number>((r) => child.once('exit', (code) => r(code ?? -1)));
  return { child, stdout: () => out, stderr: () => err, exited };
}

async function until<T>(check: () => Promise<T | null> | T | null, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== null) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function stories(slowId?: string): StorySpec[] {
  return Array.from({ length: STORIES }, (_, i) => {
    const domain = i % 2 === 0 ? ('app' as const) : ('web' as const);
    const id = `F-${i + 1}`;
    return {
      id,
      wave: 1,
      domain,
      create: [`src/${domain}/f${i + 1}.ts`],
      ...(id === slowId ? { testAgent: { delay_ms: 6_000 } } : {}),
    };
  });
}

/** Each story's landings on the remote's main, from the merge commits' subjects (they name the story). */
function landings(bare: string, ids: string[]): { duplicates: number; missing: string[] } {
  const subjects = execFileSync('git', ['log', '--format=%s', 'main'], { cwd: bare, encoding: 'utf8' }).split('\n');
  let duplicates = 0;
  const missing: string[] = [];
  for (const id of ids) {
    const n = subjects.filter((l) => l.includes(`story ${id})`)).length;
    if (n === 0) missing.push(id);
    duplicates += Math.max(0, n - 1);
  }
  return { duplicates, missing };
}

interface RunResult {
  wallMs: number;
  duplicates: number;
  missing: string[];
  reclaimMs?: number;
}

/** One session: locally (workers = 0) or on `workers` worker processes; with `killSlow`, the reclaim case. */
async function run(workers: number, killSlow = false): Promise<RunResult> {
  const dirs: string[] = [];
  const tmp = (label: string) => {
    const d = mkdtempSync(path.join(os.tmpdir(), `wave-bench-fleet-${label}-`));
    dirs.push(d);
    return d;
  };
  const db = await createTestDatabase('bench_fleet');
  const prefix = uniquePrefix('bench-fleet');
  const bare = path.join(tmp('remote'), 'app.git');
  const slowId = killSlow ? 'F-1' : undefined;
  const s = createScenario({
    stories: stories(slowId),
    config: { project: { remote: bare }, concurrency: CONCURRENCY },
  });
  execFileSync('git', ['clone', '--quiet', '--bare', s.repo.path, bare]);
  const env = { DATABASE_URL: db.url, REDIS_URL: TEST_REDIS_URL, WAVE_REDIS_PREFIX: prefix, WAVE_USER: 'bench' };
  const procs: Proc[] = [];
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  try {
    const names = Array.from({ length: workers }, (_, i) => `w${i + 1}`);
    for (const name of names) {
      const args = ['worker', '--name', name, '--concurrency', String(CONCURRENCY), '--work-dir', tmp(name)];
      procs.push(start([...args, '--lease-ms', String(LEASE_MS)], { ...env, WAVE_HOME: tmp(`${name}-home`) }));
    }
    if (workers > 0)
      await until(
        async () => {
          const r = await client.query('select count(*)::int as n from fleet_workers').catch(() => null);
          return (r?.rows[0] as { n: number } | undefined)?.n === workers ? true : null;
        },
        180_000,
        `${workers} workers to register`,
      );
    const runArgs = ['run', '--project', s.repo.path, '--stories', s.storiesDir, '--prd', s.prdFile];
    const t0 = performance.now();
    const coordinator = start(
      [...runArgs, '--approve-as', 'bench', '--json', ...(workers > 0 ? ['--fleet'] : ['--concurrency', '2'])],
      { ...env, WAVE_HOME: tmp('lead-home') },
    );
    let reclaimMs: number | undefined;
    if (killSlow) {
      const holder = await until(
        async () => {
          const { rows } = await client
            .query<{ name: string }>(
              `select w.name from story_runs r join story_run_leases l on l.story_run_id = r.id
               join fleet_workers w on w.id = l.worker_id
               where r.story_id = $1 and r.current_gate = 'gate-2' and r.status = 'running' and l.expires_at > now()`,
              [slowId],
            )
            .catch(() => ({ rows: [] as { name: string }[] }));
          return rows[0]?.name ?? null;
        },
        180_000,
        `${slowId} in gate-2 on a worker`,
      );
      const killedAt = performance.now();
      procs[names.indexOf(holder)]!.child.kill('SIGKILL');
      const others = procs.filter((_, i) => names[i] !== holder);
      const tookOver = new RegExp(`took \\S+:${slowId}\\b`);
      await until(() => (others.some((p) => tookOver.test(p.stderr())) ? true : null), 180_000, 'the take-over');
      reclaimMs = round1(performance.now() - killedAt);
    }
    const code = await coordinator.exited;
    const wallMs = round1(performance.now() - t0);
    if (code !== 0) {
      const { rows } = await client.query<{ story_id: string; gate: string; reason: string }>(
        `select story_id, current_gate as gate, reason from story_runs where status not in ('merged', 'skipped')`,
      );
      throw new Error(
        `wave run exited ${code}: ${coordinator.stderr().slice(-2000)}\n` +
          rows.map((r) => `${r.story_id} at ${r.gate}: ${r.reason}`).join('\n'),
      );
    }
    const landed = landings(
      workers > 0 ? bare : s.repo.path,
      s.stories.map((x) => x.id),
    );
    return { wallMs, ...landed, ...(reclaimMs !== undefined ? { reclaimMs } : {}) };
  } finally {
    await client.end();
    for (const p of procs) if (p.child.exitCode === null) p.child.kill('SIGTERM');
    await Promise.all(procs.map((p) => p.exited));
    s.cleanup();
    await db.drop();
    await cleanupPrefix(prefix);
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  }
}

async function main() {
  say(`${STORIES} stories; local, then ${WORKERS.join(', ')} worker(s), then the reclaim case`);
  const local = await run(0);
  say(`local: ${local.wallMs} ms`);
  const fleet: Record<string, unknown> = {};
  let duplicates = local.duplicates;
  let missing = local.missing.length;
  let oneWorkerMs: number | null = null;
  for (const n of WORKERS) {
    const r = await run(n);
    say(`${n} worker(s): ${r.wallMs} ms, ${r.duplicates} duplicate landing(s), ${r.missing.length} missing`);
    if (n === 1) oneWorkerMs = r.wallMs;
    duplicates += r.duplicates;
    missing += r.missing.length;
    fleet[`workers_${n}`] = {
      wall_ms: r.wallMs,
      per_story_ms: round1(r.wallMs / STORIES),
      duplicate_landings: r.duplicates,
      missing: r.missing,
    };
  }
  const reclaim = await run(2, true);
  say(`reclaim: taken over ${reclaim.reclaimMs} ms after the kill (lease ${LEASE_MS} ms)`);
  duplicates += reclaim.duplicates;
  missing += reclaim.missing.length;
  emit({
    bench: 'fleet',
    stories: STORIES,
    concurrency_each: CONCURRENCY,
    lease_ms: LEASE_MS,
    local: { wall_ms: local.wallMs, per_story_ms: round1(local.wallMs / STORIES) },
    ...fleet,
    dispatch_overhead_per_story_ms: oneWorkerMs === null ? null : round1((oneWorkerMs - local.wallMs) / STORIES),
    reclaim: {
      after_kill_ms: reclaim.reclaimMs,
      over_lease_ms: round1((reclaim.reclaimMs ?? 0) - LEASE_MS),
      duplicate_landings: reclaim.duplicates,
      missing: reclaim.missing,
    },
    targets: { duplicate_landings_0: duplicates === 0, every_story_landed: missing === 0 },
  });
}

main().catch((e) => {
  process.stderr.write(`[bench fleet] ${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
