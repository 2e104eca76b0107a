import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWave, runWave, waveProcessSuite, scenarioRunArgs, type WaveChild } from '../orchestrator/child';
import type { StorySpec } from '../orchestrator/scenario';
import { createTestDatabase, type TestDatabase } from '../helpers/pg';

/*
 * Redis restarted in the middle of a fleet wave. Redis keeps nothing on disk here (as on this
 * machine's own server), so the restart loses the dispatch queue and the event streams; Postgres
 * is the truth. The test runs its own redis-server on a free port, so the machine's Redis and
 * every other test stay untouched.
 */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

class PrivateRedis {
  private proc: ChildProcess | null = null;
  constructor(readonly port: number) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const args = ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'];
    const proc = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.proc = proc;
    let out = '';
    await new Promise<void>((resolve, reject) => {
      proc.stdout!.setEncoding('utf8').on('data', (d: string) => {
        out += d;
        if (out.includes('Ready to accept connections')) resolve();
      });
      proc.once('exit', (code) => reject(new Error(`redis-server exited ${code}: ${out}`)));
    });
  }

  /** SIGKILL, as a crash would: everything it held is gone (no persistence). */
  async kill(): Promise<void> {
    const proc = this.proc;
    if (!proc || proc.exitCode !== null) return;
    const gone = new Promise((r) => proc.once('exit', r));
    proc.kill('SIGKILL');
    await gone;
  }
}

describe('a fleet wave across a Redis restart', () => {
  const suite = waveProcessSuite();
  const dirs: string[] = [];
  let db: TestDatabase;
  let redis: PrivateRedis;

  beforeAll(async () => {
    db = await createTestDatabase('fleet_redis');
    redis = new PrivateRedis(await freePort());
    await redis.start();
  });
  afterAll(async () => {
    await redis?.kill();
    await db?.drop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  function tmp(label: string): string {
    const d = mkdtempSync(path.join(os.tmpdir(), `wave-fleet-redis-${label}-`));
    dirs.push(d);
    return d;
  }

  it('loses nothing and lands nothing twice when Redis is killed and restarted mid-wave', async () => {
    const bare = path.join(tmp('remote'), 'app.git');
    const stories: StorySpec[] = Array.from({ length: 6 }, (_, i) => ({
      id: `RR-${i + 1}`,
      wave: 1,
      domain: i % 2 === 0 ? ('app' as const) : ('web' as const),
      create: [`src/${i % 2 === 0 ? 'app' : 'web'}/rr${i + 1}.ts`],
      // Slow enough that some stories are still running when Redis goes.
      testAgent: { delay_ms: 1_500 },
    }));
    const s = suite.scenario({ stories, config: { project: { remote: bare } } });
    execFileSync('git', ['clone', '--quiet', '--bare', s.repo.path, bare]);

    const env = { DATABASE_URL: db.url, REDIS_URL: redis.url, WAVE_TEST_TAG: suite.tag, WAVE_USER: 'cli-lead' };
    const workers: WaveChild[] = ['r1', 'r2'].map((name) =>
      startWave(['worker', '--name', name, '--concurrency', '2', '--work-dir', tmp(name), '--lease-ms', '3000'], {
        ...env,
        WAVE_HOME: tmp(`${name}-home`),
      }),
    );
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    const count = async (q: string) =>
      client
        .query(q)
        .then((r) => (r.rows[0] as { n: number }).n)
        .catch(() => 0);
    let result!: Awaited<ReturnType<typeof runWave>>;
    let mergedAtRestart = -1;
    try {
      for (let i = 0; i < 600 && (await count('select count(*)::int as n from fleet_workers')) < 2; i++)
        await sleep(100);
      const coordinator = runWave(scenarioRunArgs(s, '--fleet', '--json'), { ...env, WAVE_HOME: tmp('lead-home') });
      // Mid-wave: a story has landed and others are still running.
      for (let i = 0; i < 1_200; i++) {
        const merged = await count(`select count(*)::int as n from story_runs where status = 'merged'`);
        const running = await count(`select count(*)::int as n from story_runs where status = 'running'`);
        if (merged >= 1 && running >= 1) {
          mergedAtRestart = merged;
          break;
        }
        await sleep(50);
      }
      await redis.kill();
      await redis.start();
      result = await coordinator;
    } finally {
      await client.end();
    }
    expect(mergedAtRestart).toBeGreaterThanOrEqual(1);
    expect(mergedAtRestart).toBeLessThan(stories.length);
    for (const w of workers) w.child.kill('SIGTERM');
    await Promise.all(workers.map((w) => w.exited));
    expect(result.code, result.stderr).toBe(0);
    expect(result.json.status).toBe('completed');

    // Every story on the remote's main exactly once.
    const subjects = execFileSync('git', ['log', '--format=%s', 'main'], { cwd: bare, encoding: 'utf8' });
    for (const st of stories) {
      const landed = subjects.split('\n').filter((l) => l.includes(`story ${st.id})`));
      expect(landed, `${st.id} in\n${subjects}`).toHaveLength(1);
    }
  }, 180_000);
});
