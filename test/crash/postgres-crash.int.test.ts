import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { openStore } from '../../src/main/store';
import { chaosRounds, chaosTimeout } from '../helpers/chaos';
import { createTestDatabase, type TestDatabase } from '../helpers/pg';
import { killWriters, runLane, verify } from './crash-harness';

const LANES = 2;
// 5 kills per writer in `npm test`, 20 in `npm run test:chaos`.
const KILLS_PER_LANE = chaosRounds(5, 20);
let db: TestDatabase | undefined;
let dataDir: string | undefined;

afterAll(async () => {
  killWriters();
  await db?.drop();
  if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
});

it(`Postgres: ${LANES} writers killed ${KILLS_PER_LANE} times each lose no committed checkpoint and leave none partial`, {
  timeout: chaosTimeout(KILLS_PER_LANE, 20_000),
}, async () => {
  db = await createTestDatabase('crash');
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'wave-crash-pg-'));
  // Migrate once up front; the writers then only check the migrations.
  await (await openStore({ dataDir, databaseUrl: db.url })).close();
  const url = db.url;
  const lanes = await Promise.all(
    Array.from({ length: LANES }, (_, i) =>
      runLane(
        { WAVE_CRASH_DATABASE_URL: url, WAVE_CRASH_DATA_DIR: dataDir, WAVE_CRASH_SESSION: `crash-pg-${i}` },
        KILLS_PER_LANE,
      ),
    ),
  );
  expect(lanes.reduce((a, l) => a + l.kills, 0)).toBe(LANES * KILLS_PER_LANE);
  const store = await openStore({ dataDir, databaseUrl: url });
  try {
    for (let i = 0; i < LANES; i++) await verify(store, `crash-pg-${i}`, lanes[i]!);
  } finally {
    await store.close();
  }
});
