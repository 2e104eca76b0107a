import { createHash, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'drizzle-orm';
import {
  openStore,
  sessions,
  storyRuns,
  type GateId,
  type OpenStoreOptions,
  type SessionStatus,
  type Store,
  type StoryRunStatus,
  type WaveQueryable,
} from '../../src/main/store';
import { CuttableProxy } from '../crash/tcp-proxy';
import { createTestDatabase } from './pg';

export interface TestStore {
  store: Store;
  dataDir: string;
  /** Set for a Postgres test store: the test database's connection string. */
  databaseUrl?: string;
  /** Closes the store and deletes its data (temp dir or test database). Safe to call twice. */
  close(): Promise<void>;
}

/**
 * The tests' own cache of a fresh cluster (see src/main/store/cluster-template.ts): a store a
 * test creates from nothing is copied from it after the first initdb on the machine.
 */
export const TEST_CLUSTER_CACHE = path.join(os.tmpdir(), 'wave-test-cluster-cache');

/**
 * A migrated, closed PGlite cluster shared by every test run on this machine (keyed by the
 * migrations and the PGlite version). initdb in wasm takes 4–20 s on a busy machine;
 * copying the result takes a fraction of a second.
 */
async function pgliteTemplate(): Promise<string> {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
  const hash = createHash('sha256');
  const migrations = path.join(root, 'migrations');
  for (const f of fs.readdirSync(migrations, { recursive: true }).map(String).sort()) {
    const p = path.join(migrations, f);
    if (fs.statSync(p).isFile()) hash.update(f).update(fs.readFileSync(p));
  }
  hash.update(
    JSON.parse(fs.readFileSync(path.join(root, 'node_modules/@electric-sql/pglite/package.json'), 'utf8')).version,
  );
  const dir = path.join(os.tmpdir(), `wave-pglite-template-${hash.digest('hex').slice(0, 16)}`);
  if (fs.existsSync(path.join(dir, 'pgdata', 'PG_VERSION'))) return dir;
  const build = fs.mkdtempSync(path.join(os.tmpdir(), 'wave-pglite-template-build-'));
  const store = await openStore({ dataDir: build, clusterCacheDir: TEST_CLUSTER_CACHE });
  await store.close();
  fs.rmSync(path.join(build, 'store.lock'), { force: true });
  try {
    fs.renameSync(build, dir);
  } catch {
    // Another test file built it at the same time: use theirs.
    fs.rmSync(build, { recursive: true, force: true });
  }
  return dir;
}

/** A new temp data dir holding a copy of the migrated template, as `wave` leaves one (not opened). */
export async function pgliteDataDir(): Promise<string> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'wave-pglite-'));
  fs.cpSync(path.join(await pgliteTemplate(), 'pgdata'), path.join(dataDir, 'pgdata'), { recursive: true });
  return dataDir;
}

/**
 * An embedded store in a fresh temp dir, copied from a migrated template (the store still
 * runs its migrations check and takes its lock as in production). Open one per test file
 * (beforeAll) and give each test its own ids. `fresh: true` skips the template.
 */
export async function openPgliteTestStore(
  opts: Partial<OpenStoreOptions> & { fresh?: boolean } = {},
): Promise<TestStore> {
  const { fresh, ...storeOpts } = opts;
  const dataDir = fresh ? fs.mkdtempSync(path.join(os.tmpdir(), 'wave-pglite-')) : await pgliteDataDir();
  const store = await openStore({ ...storeOpts, dataDir });
  let closed = false;
  return {
    store,
    dataDir,
    async close() {
      if (closed) return;
      closed = true;
      await store.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** How a store reaches its test database: the URL to use, and what to close after the store. */
interface DatabaseRoute {
  url: string;
  close(): Promise<void>;
}

/**
 * A store on its own fresh database of the real Postgres server (dropped on close); `route`
 * puts something between the two (see openProxiedPostgresTestStore).
 */
export async function openPostgresTestStore(
  label = 'store',
  opts: Partial<OpenStoreOptions> = {},
  route?: (databaseUrl: string) => Promise<DatabaseRoute>,
): Promise<TestStore> {
  const db = await createTestDatabase(label);
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'wave-pg-'));
  let store: Store;
  let via: DatabaseRoute | undefined;
  try {
    via = await route?.(db.url);
    store = await openStore({ ...opts, dataDir, databaseUrl: via?.url ?? db.url });
  } catch (e) {
    await via?.close();
    await db.drop();
    throw e;
  }
  let closed = false;
  return {
    store,
    dataDir,
    databaseUrl: db.url,
    async close() {
      if (closed) return;
      closed = true;
      await store.close();
      await via?.close();
      await db.drop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export interface ProxiedTestStore extends TestStore {
  /** Stands between the store and the server: cut it and the store loses its connection. */
  proxy: CuttableProxy;
  /** The test database's own connection string, not through the proxy (for a direct client). */
  databaseUrl: string;
}

/**
 * A store on its own fresh database of the real Postgres server, reached through a
 * CuttableProxy on 127.0.0.1; connecting and health checks give up after 1 s. Closing
 * closes the store and the proxy and drops the database.
 */
export async function openProxiedPostgresTestStore(
  label: string,
  opts: Partial<OpenStoreOptions> = {},
): Promise<ProxiedTestStore> {
  let proxy: CuttableProxy | undefined;
  const t = await openPostgresTestStore(
    label,
    { connectTimeoutMs: 1000, healthTimeoutMs: 1000, ...opts },
    async (url) => {
      const u = new URL(url);
      const p = new CuttableProxy(u.hostname, Number(u.port || 5432));
      proxy = p;
      await p.start();
      u.hostname = '127.0.0.1';
      u.port = String(p.port);
      return { url: u.toString(), close: () => p.close() };
    },
  );
  return { ...t, databaseUrl: t.databaseUrl!, proxy: proxy! };
}

export interface SeedSessionOptions {
  id?: string;
  projectId?: string;
  status?: SessionStatus;
  ownerPid?: number | null;
  ownerHost?: string | null;
  /** Heartbeat this long ago (database clock); null = never. */
  heartbeatAgoMs?: number | null;
  /** Story ids, or how many to create (S-1 …). */
  stories?: string[] | number;
  storyStatus?: StoryRunStatus;
  currentGate?: GateId | null;
  config?: Record<string, unknown>;
}

export interface SeededSession {
  sessionId: string;
  /** storyId → storyRunId */
  runs: Map<string, string>;
  runIds: string[];
}

/** Inserts a session with story runs; ids are unique so tests can share one database. */
export async function seedSession(db: WaveQueryable, o: SeedSessionOptions = {}): Promise<SeededSession> {
  const sessionId = o.id ?? `sess-${randomUUID().slice(0, 8)}`;
  const storyIds = Array.isArray(o.stories)
    ? o.stories
    : Array.from({ length: o.stories ?? 2 }, (_, i) => `S-${i + 1}`);
  const hb = o.heartbeatAgoMs === undefined ? 0 : o.heartbeatAgoMs;
  await db.insert(sessions).values({
    id: sessionId,
    projectId: o.projectId ?? 'proj-test',
    status: o.status ?? 'running',
    ownerPid: o.ownerPid === undefined ? process.pid : o.ownerPid,
    ownerHost: o.ownerHost === undefined ? os.hostname() : o.ownerHost,
    heartbeatAt: hb === null ? null : sql`now() - make_interval(secs => ${hb / 1000})`,
    config: o.config ?? {},
    startedAt: new Date(),
  });
  const runs = new Map<string, string>();
  if (storyIds.length > 0) {
    const rows = storyIds.map((storyId, i) => ({
      id: `${sessionId}:${storyId}`,
      sessionId,
      storyId,
      waveNumber: 1 + Math.floor(i / 4),
      agent: 'scripted',
      status: o.storyStatus ?? ('running' as StoryRunStatus),
      currentGate: o.currentGate === undefined ? ('gate-0' as GateId) : o.currentGate,
      branch: `wave/scripted/${storyId}`,
      startedAt: new Date(),
    }));
    await db.insert(storyRuns).values(rows);
    for (const r of rows) runs.set(r.storyId, r.id);
  }
  return { sessionId, runs, runIds: [...runs.values()] };
}

/** A pid that is certainly not running: a child that already exited. */
export async function deadPid(): Promise<number> {
  const { spawn } = await import('node:child_process');
  const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
  const pid = child.pid!;
  await new Promise((r) => child.once('exit', r));
  return pid;
}
