/*
 * Recovery after a crash (`npm run bench -- recovery`): `wave run` drives 8 stories (scripted agents
 * that hang in develop, gate-2) and is killed with SIGKILL once every agent runs; then, on copies of
 * the store as the kill left it (a fresh copy per sample, so every sample is the first open after
 * the crash), each figure the median of BENCH_ROUNDS (default 5) fresh processes:
 *   recover_list_ms   `wave recover --list --json` until it exits, listing the session and its 8 stories
 *   banner_ms         `wave serve` from its start until its `app.snapshot` answer (what the window asks
 *                     for when it opens; its `interrupted` feeds the recovery banner) lists that session
 *   bare_open_ms      embedded: a Node process that opens the same PGlite directory bare (`new PGlite(dir)`,
 *                     one query, close); postgres: a Node process that connects with `pg` and runs one query
 *   node_floor_ms     `node -e 0`, measured first and last (the smaller)
 * Stores (BENCH_STORES, default embedded,postgres): the PGlite data dir; Postgres (DATABASE_URL) + Redis.
 * Targets: embedded recover_list_ms and banner_ms ≤ 1.5 × bare_open_ms; postgres both < 1000 ms.
 * The bare open starts PGlite as it comes (fsync off); the store starts it with fsync on (see
 * src/main/store/durable-node-fs.ts), so after a crash Postgres fsyncs every file of the data dir
 * before replaying its WAL (about 2,200 fsyncs on a fresh store), which the bare open skips.
 * Run `npm run build` first (wave is the bundle).
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { WebSocket } from 'ws';
import { killTagged, processesTagged } from '../test/fixtures/repos/leftovers';
import { TEST_REDIS_URL } from '../test/helpers/env';
import { createTestDatabase } from '../test/helpers/pg';
import { openPgliteTestStore } from '../test/helpers/pglite';
import { cleanupPrefix, uniquePrefix } from '../test/helpers/redis';
import { createScenario } from '../test/orchestrator/scenario';
import { emit, progress } from './_harness';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const WAVE = path.join(ROOT, 'bin', 'wave.mjs');
const STORIES = 8;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const STORES = (process.env.BENCH_STORES ?? 'embedded,postgres').split(',');
const say = (line: string) => progress(`[bench recovery] ${line}`);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const round1 = (x: number) => Math.round(x * 10) / 10;

function timeNode(args: string[], env: NodeJS.ProcessEnv): { ms: number; stdout: string } {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, args, { cwd: ROOT, env: { ...process.env, ...env }, encoding: 'utf8' });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`node ${args.join(' ')} exited ${r.status ?? r.signal}: ${r.stderr || r.stdout}`);
  return { ms, stdout: r.stdout };
}

function nodeFloor(): number {
  return round1(median(Array.from({ length: 5 }, () => timeNode(['-e', '0'], {}).ms)));
}

async function until(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

interface StoreUnderTest {
  env: NodeJS.ProcessEnv;
  /** A copy of the data dir as it is now (embedded: the crashed store; postgres: WAVE_HOME only). */
  copy(): { env: NodeJS.ProcessEnv; drop(): void };
  /** Node arguments that open the store bare. */
  bareOpen(env: NodeJS.ProcessEnv): string[];
  close(): Promise<void>;
}

async function storeUnderTest(kind: string): Promise<StoreUnderTest> {
  const copyHome = (home: string, env: NodeJS.ProcessEnv) => () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'wave-bench-recovery-copy-'));
    // `cp -a` keeps what the kill left behind as it is, the control socket of the dead run included.
    const r = spawnSync('cp', ['-a', `${home}/.`, dir]);
    if (r.status !== 0) throw new Error(`cp -a ${home} failed: ${r.stderr}`);
    // A fresh copy is all dirty pages; written back (syncfs), it is no dirtier than the store the kill left.
    spawnSync('sync', ['-f', dir]);
    return { env: { ...env, WAVE_HOME: dir }, drop: () => rmSync(dir, { recursive: true, force: true }) };
  };
  if (kind === 'embedded') {
    const seeded = await openPgliteTestStore();
    await seeded.store.close();
    const env = { WAVE_HOME: seeded.dataDir, DATABASE_URL: '', REDIS_URL: '' };
    return {
      env,
      copy: copyHome(seeded.dataDir, env),
      bareOpen: (e) => [
        '--input-type=module',
        '-e',
        `import { PGlite } from '@electric-sql/pglite'; const pg = new PGlite(${JSON.stringify(path.join(e.WAVE_HOME!, 'pgdata'))}); await pg.query('select 1'); await pg.close();`,
      ],
      close: () => seeded.close(),
    };
  }
  const db = await createTestDatabase('bench_recovery');
  const prefix = uniquePrefix('bench-recovery');
  const home = mkdtempSync(path.join(os.tmpdir(), 'wave-bench-recovery-'));
  const env = { WAVE_HOME: home, DATABASE_URL: db.url, REDIS_URL: TEST_REDIS_URL, WAVE_REDIS_PREFIX: prefix };
  return {
    env,
    copy: copyHome(home, env),
    bareOpen: () => [
      '--input-type=module',
      '-e',
      `import pg from 'pg'; const c = new pg.Client({ connectionString: ${JSON.stringify(db.url)} }); await c.connect(); await c.query('select 1'); await c.end();`,
    ],
    async close() {
      await db.drop();
      await cleanupPrefix(prefix);
      rmSync(home, { recursive: true, force: true });
    },
  };
}

/** `wave run` of 8 stories killed with SIGKILL while every agent is in develop; returns the session id. */
async function crashDuringGate2(env: NodeJS.ProcessEnv): Promise<{ sessionId: string; cleanup(): void }> {
  const tag = randomUUID();
  const s = createScenario({
    agentTag: tag,
    stories: Array.from({ length: STORIES }, (_, i) => ({
      id: `R-${i + 1}`,
      wave: 1,
      domain: 'app' as const,
      create: [`src/app/r${i + 1}.ts`],
      testAgent: { hang: ['develop'] },
    })),
  });
  const run = spawn(
    process.execPath,
    [
      WAVE,
      'run',
      ...['--project', s.repo.path, '--stories', s.storiesDir, '--prd', s.prdFile, '--approve-as', 'bench'],
      ...['--agent', 'command', '--concurrency', String(STORIES), '--json'],
    ],
    { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  run.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const exited = new Promise<void>((r) => run.once('exit', () => r()));
  try {
    await until(() => /Session (ses-[\w-]+) started/.test(stderr), 120_000, `the session to start: ${stderr}`);
    const sessionId = /Session (ses-[\w-]+) started/.exec(stderr)![1]!;
    await until(() => processesTagged(tag).length >= STORIES, 180_000, 'every agent in develop');
    run.kill('SIGKILL');
    await exited;
    // The agents of a killed run are orphans in their own groups; `wave resume` would find them gone.
    killTagged(tag);
    return { sessionId, cleanup: () => s.cleanup() };
  } catch (e) {
    if (run.exitCode === null) run.kill('SIGKILL');
    killTagged(tag);
    s.cleanup();
    throw e;
  }
}

interface Interrupted {
  session: string;
  stories: unknown[];
}

function recoverList(env: NodeJS.ProcessEnv, sessionId: string): number {
  const { ms, stdout } = timeNode([WAVE, 'recover', '--list', '--json'], env);
  const doc = JSON.parse(stdout) as { interrupted: Interrupted[] };
  const found = doc.interrupted.find((s) => s.session === sessionId);
  if (found?.stories.length !== STORIES)
    throw new Error(`wave recover --list did not list ${sessionId} with ${STORIES} stories: ${stdout}`);
  return ms;
}

/** `wave serve` from its start until the window's first request (app.snapshot) lists the session as interrupted. */
async function banner(env: NodeJS.ProcessEnv, sessionId: string): Promise<number> {
  const t0 = performance.now();
  const serve = spawn(process.execPath, [WAVE, 'serve', '--port', '0', '--json'], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  serve.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  serve.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  const exited = new Promise<void>((r) => serve.once('exit', () => r()));
  try {
    await until(() => out.includes('\n') || serve.exitCode !== null, 60_000, 'wave serve to print its URL');
    if (serve.exitCode !== null) throw new Error(`wave serve exited ${serve.exitCode}: ${err}`);
    const { url } = JSON.parse(out.split('\n')[0]!) as { url: string };
    const u = new URL(url);
    const ws = new WebSocket(`ws://${u.host}/bridge?token=${u.searchParams.get('token')}`, { origin: u.origin });
    const snapshot = await new Promise<{ interrupted: Array<{ session: string; stories: unknown[] }> }>(
      (resolve, reject) => {
        ws.once('open', () => ws.send(JSON.stringify({ id: 1, method: 'app.snapshot', payload: {} })));
        ws.on('message', (d) => {
          const m = JSON.parse(String(d)) as { type: string; id?: number; result?: { ok: boolean; value?: never } };
          if (m.type !== 'result' || m.id !== 1) return;
          if (m.result?.ok) resolve(m.result.value!);
          else reject(new Error(`app.snapshot failed: ${String(d)}`));
        });
        ws.once('error', reject);
      },
    );
    const ms = performance.now() - t0;
    ws.close();
    if (snapshot.interrupted.find((s) => s.session === sessionId)?.stories.length !== STORIES)
      throw new Error(`the window's snapshot does not list ${sessionId} with ${STORIES} stories as interrupted`);
    return ms;
  } finally {
    if (serve.exitCode === null) serve.kill('SIGTERM');
    await exited;
  }
}

async function main() {
  if (!existsSync(path.join(ROOT, 'out', 'main', 'cli.js')))
    throw new Error('No wave bundle: run `npm run build` first.');
  const floorBefore = nodeFloor();
  const results: Record<string, unknown> = {};
  const targets: Record<string, boolean> = {};
  for (const kind of STORES) {
    const store = await storeUnderTest(kind);
    try {
      const crash = await crashDuringGate2(store.env);
      try {
        say(`${kind}: killed wave run of ${crash.sessionId} during gate-2`);
        const bare: number[] = [];
        const recover: number[] = [];
        const shown: number[] = [];
        for (let i = 0; i < ROUNDS; i++) {
          // Each sample opens its own copy of the store as the kill left it.
          for (const [samples, measure] of [
            [bare, (env: NodeJS.ProcessEnv) => timeNode(store.bareOpen(env), env).ms],
            [recover, (env: NodeJS.ProcessEnv) => recoverList(env, crash.sessionId)],
            [shown, (env: NodeJS.ProcessEnv) => banner(env, crash.sessionId)],
          ] as const) {
            const c = store.copy();
            try {
              samples.push(await measure(c.env));
            } finally {
              c.drop();
            }
          }
          say(
            `${kind} ${i + 1}/${ROUNDS}: bare ${round1(bare[i]!)} ms, recover --list ${round1(recover[i]!)} ms, banner ${round1(shown[i]!)} ms`,
          );
        }
        const r = {
          bare_open_ms: round1(median(bare)),
          recover_list_ms: round1(median(recover)),
          banner_ms: round1(median(shown)),
        };
        results[kind] = {
          ...r,
          recover_list_x_bare: round1(r.recover_list_ms / r.bare_open_ms),
          banner_x_bare: round1(r.banner_ms / r.bare_open_ms),
        };
        if (kind === 'embedded') {
          targets.embedded_recover_list_le_1_5x_bare = r.recover_list_ms <= 1.5 * r.bare_open_ms;
          targets.embedded_banner_le_1_5x_bare = r.banner_ms <= 1.5 * r.bare_open_ms;
        } else {
          targets[`${kind}_recover_list_lt_1000`] = r.recover_list_ms < 1000;
          targets[`${kind}_banner_lt_1000`] = r.banner_ms < 1000;
        }
      } finally {
        crash.cleanup();
      }
    } finally {
      await store.close();
    }
  }
  const floorAfter = nodeFloor();
  emit({
    bench: 'recovery',
    stories: STORIES,
    rounds: ROUNDS,
    node_floor_ms: Math.min(floorBefore, floorAfter),
    node_floor_after_ms: floorAfter,
    load_average_1m: round1(os.loadavg()[0]!),
    ...results,
    targets,
  });
}

main().catch((e) => {
  process.stderr.write(`[bench recovery] ${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
