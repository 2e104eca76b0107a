import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, vi } from 'vitest';
import { startWave, waveProcessSuite, type WaveChild } from '../orchestrator/child';
import type { Scenario, StorySpec } from '../orchestrator/scenario';
import { createTestDatabase, type TestDatabase } from '../helpers/pg';
import { cleanupPrefix, uniquePrefix } from '../helpers/redis';
import { TEST_REDIS_URL } from '../helpers/env';

export interface FleetWorkerChild extends WaveChild {
  name: string;
  workDir: string;
}

/**
 * What the fleet tests share: a database of their own on the real Postgres, a Redis prefix,
 * projects whose remote is a bare repository, `wave worker` processes each with its own
 * WAVE_HOME and work dir, and a Postgres client to watch the store. Everything (processes,
 * agents tagged with the suite's tag, directories, the database, the Redis keys) is removed in
 * afterAll. Agents carry TEST_AGENT_TAG=<suite.tag>; the `wave` processes do not, so
 * `processesTagged(suite.tag)` finds agents only.
 */
export function fleetHarness(label: string) {
  const suite = waveProcessSuite();
  const dirs: string[] = [];
  const prefix = uniquePrefix(label);
  let db: TestDatabase;
  let client: pg.Client;
  const children: WaveChild[] = [];

  beforeAll(async () => {
    db = await createTestDatabase(label);
    client = new pg.Client({ connectionString: db.url });
    await client.connect();
  });
  afterAll(async () => {
    for (const c of children) c.child.kill('SIGKILL');
    await Promise.all(children.map((c) => c.exited));
    await client?.end();
    await db?.drop();
    await cleanupPrefix(prefix);
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  function tmp(name: string): string {
    const d = mkdtempSync(path.join(os.tmpdir(), `wave-${label}-${name}-`));
    dirs.push(d);
    return d;
  }

  /** The environment every `wave` process of the fleet shares (plus a WAVE_HOME of its own). */
  const env = () => ({
    DATABASE_URL: db.url,
    REDIS_URL: TEST_REDIS_URL,
    WAVE_REDIS_PREFIX: prefix,
    WAVE_USER: 'cli-lead',
  });

  /** Rows of a query on the fleet's database (an empty list while the workers still migrate it). */
  async function rows<T>(sql: string, params: unknown[] = []): Promise<T[]> {
    return client
      .query(sql, params)
      .then((r) => r.rows as T[])
      .catch(() => []);
  }

  /** Waits (polling the store) until `check` holds; its last failure is the error. */
  function until(check: () => Promise<void>, timeout = 90_000): Promise<void> {
    return vi.waitFor(check, { timeout, interval: 100 });
  }

  return {
    suite,
    tmp,
    env,
    rows,
    until,
    /** A project whose wave.config.json names a fresh bare clone of it as `project.remote`. */
    project(stories: StorySpec[], config: Record<string, unknown> = {}): { s: Scenario; bare: string } {
      const bare = path.join(tmp('remote'), 'app.git');
      const s = suite.scenario({ stories, config: { ...config, project: { remote: bare } } });
      execFileSync('git', ['clone', '--quiet', '--bare', s.repo.path, bare]);
      return { s, bare };
    },
    /** How many merge commits on the remote's main name each story (exactly once: 1). */
    landed(bare: string, stories: StorySpec[]): number[] {
      const subjects = execFileSync('git', ['log', '--format=%s', 'main'], { cwd: bare, encoding: 'utf8' }).split('\n');
      return stories.map((st) => subjects.filter((l) => l.includes(`story ${st.id})`)).length);
    },
    /** `wave <args>` with the fleet's environment and a WAVE_HOME of its own (killed in afterAll). */
    wave(args: string[], name: string): WaveChild {
      const c = startWave(args, { ...env(), WAVE_HOME: tmp(`${name}-home`) });
      children.push(c);
      return c;
    },
    /** Starts `wave worker` processes and waits until each has registered. */
    async workers(names: string[], args: string[] = []): Promise<Map<string, FleetWorkerChild>> {
      const out = new Map<string, FleetWorkerChild>();
      for (const name of names) {
        const workDir = tmp(name);
        const c = startWave(['worker', '--name', name, '--work-dir', workDir, ...args], {
          ...env(),
          WAVE_HOME: tmp(`${name}-home`),
        });
        children.push(c);
        out.set(name, { ...c, name, workDir });
      }
      await until(async () => {
        const r = await rows<{ name: string }>('select name from fleet_workers where stopped_at is null');
        if (!names.every((n) => r.some((w) => w.name === n))) throw new Error(`registered: ${r.map((w) => w.name)}`);
      });
      return out;
    },
  };
}
