import fs from 'node:fs';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPgliteTestStore, TEST_CLUSTER_CACHE, type TestStore } from '../../../test/helpers/pglite';
import { openStore } from './store';

/** Every entry under `root` that a group member or another user could read or write. */
function openToOthers(root: string): string[] {
  const out: string[] = [];
  const visit = (p: string) => {
    const st = fs.lstatSync(p);
    if ((st.mode & 0o077) !== 0) out.push(`${(st.mode & 0o777).toString(8)} ${path.relative(root, p) || '.'}`);
    if (st.isDirectory()) for (const n of fs.readdirSync(p)) visit(path.join(p, n));
  };
  visit(root);
  return out;
}

describe('the embedded store is readable by its owner only', () => {
  let t: TestStore;
  const logs: string[] = [];

  beforeAll(async () => {
    // A store created from scratch, as on a first start (initdb, or a copy of the machine's
    // fresh cluster once one exists; the CLI's hints test checks both ways end to end).
    t = await openPgliteTestStore({ fresh: true, clusterCacheDir: TEST_CLUSTER_CACHE, log: (l) => logs.push(l) });
  });
  afterAll(async () => t?.close());

  it('creates the data dir 0700 and every file 0600, also files written later', async () => {
    await t.store.execute(sql`create table owner_probe (id int primary key, v text)`);
    await t.store.execute(sql`insert into owner_probe select g, repeat('x', 500) from generate_series(1, 2000) g`);
    await t.store.execute(sql`checkpoint`);
    expect((fs.statSync(t.dataDir).mode & 0o777).toString(8)).toBe('700');
    expect(openToOthers(t.dataDir)).toEqual([]);
    // Owner-only from creation: the pass that repairs older stores had nothing to do.
    expect(logs.filter((l) => l.includes('readable by their owner only'))).toEqual([]);
  });

  it('tightens a store whose files were left open to others, with one line saying so', async () => {
    await t.store.close();
    const pgdata = path.join(t.dataDir, 'pgdata');
    fs.chmodSync(t.dataDir, 0o755);
    fs.chmodSync(pgdata, 0o777);
    fs.chmodSync(path.join(pgdata, 'PG_VERSION'), 0o666);
    fs.chmodSync(path.join(pgdata, 'postgresql.conf'), 0o644);
    const lines: string[] = [];
    const reopened = await openStore({ dataDir: t.dataDir, log: (l) => lines.push(l) });
    try {
      expect(openToOthers(t.dataDir)).toEqual([]);
      expect(lines.filter((l) => l.includes('readable by their owner only'))).toEqual([
        `store: made 3 files and folders of ${pgdata} readable by their owner only (they were open to other users)`,
      ]);
    } finally {
      await reopened.close();
    }
  });
});
