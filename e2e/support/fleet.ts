import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TEST_REDIS_URL } from '../../test/helpers/env';
import { createTestDatabase } from '../../test/helpers/pg';
import { cleanupPrefix, uniquePrefix } from '../../test/helpers/redis';

/** What a fleet spec shares: its own database on the real Postgres, a Redis prefix, folders, workers. */
export interface FleetTestEnv {
  /** DATABASE_URL, REDIS_URL and WAVE_REDIS_PREFIX (plus the extra variables asked for), for every `wave` process. */
  shared: Record<string, string>;
  databaseUrl: string;
  /** A fresh folder, removed by cleanup(). */
  tmp(label: string): string;
  /** Starts `wave worker --name <name> --work-dir <fresh> …args` with a WAVE_HOME of its own (killed by cleanup()). */
  worker(name: string, args: string[]): ChildProcess;
  /** Kills the workers, drops the database and the Redis keys, removes the folders. */
  cleanup(): Promise<void>;
}

export async function fleetTestEnv(label: string, extra: Record<string, string> = {}): Promise<FleetTestEnv> {
  const db = await createTestDatabase(`e2e_${label.replace(/-/g, '_')}`);
  const prefix = uniquePrefix(`e2e-${label}`);
  const shared = { DATABASE_URL: db.url, REDIS_URL: TEST_REDIS_URL, WAVE_REDIS_PREFIX: prefix, ...extra };
  const dirs: string[] = [];
  const workers: ChildProcess[] = [];
  const tmp = (name: string) => {
    const d = mkdtempSync(path.join(os.tmpdir(), `wave-e2e-${label}-${name}-`));
    dirs.push(d);
    return d;
  };
  return {
    shared,
    databaseUrl: db.url,
    tmp,
    worker(name, args) {
      const child = spawn(
        process.execPath,
        ['bin/wave.mjs', 'worker', '--name', name, '--work-dir', tmp(name), ...args],
        {
          env: { ...process.env, ...shared, WAVE_HOME: tmp(`${name}-home`) },
          stdio: 'ignore',
        },
      );
      workers.push(child);
      return child;
    },
    async cleanup() {
      for (const c of workers) if (c.exitCode === null) c.kill('SIGKILL');
      await db.drop();
      await cleanupPrefix(prefix);
      for (const d of dirs) rmSync(d, { recursive: true, force: true });
    },
  };
}
