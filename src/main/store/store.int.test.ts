import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { eq, sql } from 'drizzle-orm';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CuttableProxy } from '../../../test/crash/tcp-proxy';
import {
  openPgliteTestStore,
  openPostgresTestStore,
  openProxiedPostgresTestStore,
  type ProxiedTestStore,
  type TestStore,
} from '../../../test/helpers/pglite';
import { CommitOutcomeUnknownError, StoreLockedError, StoreUnavailableError } from './errors';
import { auditLog, projects } from './schema';
import { openStore, type Store, type StoreHealth } from './store';

const TABLES = [
  'audit_log',
  'checkpoints',
  'context_packs',
  'dead_letters',
  'events',
  'fleet_workers',
  'gate_runs',
  'latency_stats',
  'prd_decisions',
  'prds',
  'processed_events',
  'projects',
  'sessions',
  'stories',
  'story_run_leases',
  'story_runs',
  'usage',
];

describe.each([
  ['pglite', () => openPgliteTestStore()],
  ['postgres', () => openPostgresTestStore('store')],
] as const)('store on %s', (kind, open) => {
  let t: TestStore;
  beforeAll(async () => {
    t = await open();
  });
  afterAll(async () => {
    await t?.close();
  });

  it('applies the migrations at start-up', async () => {
    const r = await t.store.db.execute(
      sql`select table_name from information_schema.tables where table_schema = 'public' order by 1`,
    );
    expect((r as unknown as { rows: Array<{ table_name: string }> }).rows.map((x) => x.table_name)).toEqual(TABLES);
    expect(t.store.kind).toBe(kind);
  });

  it('reports itself healthy with a latency', async () => {
    const h = await t.store.health();
    expect(h).toMatchObject({ kind, status: 'ok' });
    expect(h.latencyMs).toBeGreaterThanOrEqual(0);
  });

  it('keeps a committed transaction and nothing of one that threw', async () => {
    const ok = `p-${randomUUID()}`;
    const bad = `p-${randomUUID()}`;
    await t.store.transaction(async (tx) => {
      await tx.insert(projects).values({ id: ok, name: 'ok', repoPath: `/r/${ok}` });
    });
    await expect(
      t.store.transaction(async (tx) => {
        await tx.insert(projects).values({ id: bad, name: 'bad', repoPath: `/r/${bad}` });
        await tx.insert(auditLog).values({ actor: 'x', action: 'y', subjectType: 'project', subjectId: bad });
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(await t.store.db.select().from(projects).where(eq(projects.id, ok))).toHaveLength(1);
    expect(await t.store.db.select().from(projects).where(eq(projects.id, bad))).toHaveLength(0);
    expect(await t.store.db.select().from(auditLog).where(eq(auditLog.subjectId, bad))).toHaveLength(0);
  });

  it.runIf(kind === 'pglite')('runs Postgres with fsync on, so a commit is on disk when it returns', async () => {
    const r = (await t.store.db.execute(
      sql`select current_setting('fsync') as fsync, current_setting('wal_sync_method') as method`,
    )) as unknown as {
      rows: Array<{ fsync: string; method: string }>;
    };
    expect(r.rows[0]).toEqual({ fsync: 'on', method: 'fsync' });
  });

  it.runIf(kind === 'pglite')('refuses a second open of the same directory and names the holder', async () => {
    const err = await openStore({ dataDir: t.dataDir }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreLockedError);
    expect((err as Error).message).toContain(`process ${process.pid}`);
  });

  it('maps money to numbers and timestamps to dates', async () => {
    const id = `p-${randomUUID()}`;
    await t.store.db.insert(projects).values({ id, name: 'n', repoPath: `/r/${id}`, config: { a: 1 } });
    const [row] = await t.store.db.select().from(projects).where(eq(projects.id, id));
    expect(row!.createdAt).toBeInstanceOf(Date);
    expect(row!.config).toEqual({ a: 1 });
  });
  // Last: it closes the shared store.
  it.runIf(kind === 'pglite')('keeps its data across close and reopen, and close is safe twice', async () => {
    const id = `p-${randomUUID()}`;
    await t.store.transaction(async (tx) => {
      await tx.insert(projects).values({ id, name: 'persist', repoPath: `/r/${id}` });
    });
    await t.store.close();
    await t.store.close();
    expect((await t.store.health()).status).toBe('down');
    const reopened = await openStore({ dataDir: t.dataDir });
    try {
      expect(await reopened.db.select().from(projects).where(eq(projects.id, id))).toHaveLength(1);
    } finally {
      await reopened.close();
    }
  });
});

describe('embedded store directory', () => {
  it('refuses a pgdata folder that is not a WAVE database instead of writing into it', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wave-notdb-'));
    try {
      fs.mkdirSync(path.join(dir, 'pgdata'));
      fs.writeFileSync(path.join(dir, 'pgdata', 'notes.txt'), 'mine');
      await expect(openStore({ dataDir: dir })).rejects.toThrow(
        /is not an embedded WAVE database .* Move it aside, or set WAVE_HOME/,
      );
      // The failed open released its lock.
      expect(fs.existsSync(path.join(dir, 'store.lock'))).toBe(false);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

function nextHealth(store: Store, status: StoreHealth['status'], timeoutMs = 15_000): Promise<StoreHealth> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`no ${status} health event within ${timeoutMs} ms`));
    }, timeoutMs);
    const off = store.onDidChangeHealth((h) => {
      if (h.status !== status) return;
      clearTimeout(timer);
      off();
      resolve(h);
    });
  });
}

describe('Postgres connection loss', () => {
  let t: ProxiedTestStore;
  let proxy: CuttableProxy;
  let store: Store;
  let direct: pg.Client;
  const logs: string[] = [];

  beforeAll(async () => {
    t = await openProxiedPostgresTestStore('store_conn', { log: (l) => logs.push(l) });
    ({ proxy, store } = t);
    direct = new pg.Client({ connectionString: t.databaseUrl });
    await direct.connect();
  });
  afterAll(async () => {
    await direct?.end();
    await t?.close();
  });

  async function countProject(id: string): Promise<number> {
    const r = await direct.query('select count(*)::int as n from projects where id = $1', [id]);
    return r.rows[0].n as number;
  }

  it('reports the outage in health() and as an event, then the recovery', async () => {
    const down = nextHealth(store, 'down');
    proxy.cut();
    const h = await store.health();
    expect(h.status).toBe('down');
    expect(h.detail).toMatch(/unreachable/);
    expect(h.detail).not.toContain('@127.0.0.1:5432'); // the proxy address is what the store knows
    await down;
    const up = nextHealth(store, 'ok');
    proxy.restore();
    await up;
    expect((await store.health()).status).toBe('ok');
    expect(logs.join('\n')).toMatch(/lost the connection[\s\S]*restored after/);
  });

  it('never acknowledges a write made while the server is unreachable', async () => {
    proxy.cut();
    const id = `p-${randomUUID()}`;
    const err = await store
      .transaction(
        async (tx) => {
          await tx.insert(projects).values({ id, name: 'lost', repoPath: `/r/${id}` });
        },
        { retryForMs: 300 },
      )
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreUnavailableError);
    expect((err as Error).message).toMatch(/the write was not made/);
    proxy.restore();
    expect(await countProject(id)).toBe(0);
    await nextHealth(store, 'ok').catch(() => undefined);
  });

  it('completes a write begun during an outage once the server is back, exactly once', async () => {
    proxy.cut();
    const id = `p-${randomUUID()}`;
    let runs = 0;
    const write = store.transaction(async (tx) => {
      runs++;
      await tx.insert(projects).values({ id, name: 'eventually', repoPath: `/r/${id}` });
    });
    await new Promise((r) => setTimeout(r, 600));
    proxy.restore();
    await write;
    expect(runs).toBeGreaterThanOrEqual(1);
    expect(await countProject(id)).toBe(1);
  });

  it('answers a write whose connection broke after it reached the server with "outcome unknown", never "failed"', async () => {
    const id = `p-${randomUUID()}`;
    proxy.cutAfterForwarding = new RegExp(id);
    const err = await store
      .execute(sql`insert into projects (id, name, repo_path) values (${id}, 'sent', ${`/r/${id}`})`)
      .catch((e: unknown) => e);
    proxy.restore();
    expect(err).toBeInstanceOf(CommitOutcomeUnknownError);
    // It did reach the server: reporting it as failed would have been a lie.
    await expect.poll(() => countProject(id), { timeout: 5000 }).toBe(1);
  });

  it('reports a connection lost during COMMIT as not acknowledged', async () => {
    const id = `p-${randomUUID()}`;
    proxy.cutOnCommit = true;
    const err = await store
      .transaction(async (tx) => {
        await tx.insert(projects).values({ id, name: 'unknown', repoPath: `/r/${id}` });
      })
      .catch((e: unknown) => e);
    proxy.restore();
    expect(err).toBeInstanceOf(CommitOutcomeUnknownError);
    expect((err as Error).message).toMatch(/not acknowledged/);
    // Here COMMIT never reached the server, so the write is indeed absent.
    expect(await countProject(id)).toBe(0);
  });
});
