import { afterAll, expect, it } from 'vitest';
import { openStore } from '../../src/main/store';
import { openPgliteTestStore, type TestStore } from '../helpers/pglite';
import { killWriters, runLane, verify } from './crash-harness';

// Two writers on two data dirs run side by side to fit 20+ kills in the time budget:
// every restart after a kill pays PGlite's start-up and WAL crash recovery (~1.5–4 s).
const LANES = 2;
const KILLS_PER_LANE = 10;
const stores: TestStore[] = [];

afterAll(async () => {
  killWriters();
  for (const t of stores) await t.close();
});

it(`PGlite: ${LANES} writers killed ${KILLS_PER_LANE} times each lose no committed checkpoint and leave none partial`, { timeout: 240_000 }, async () => {
  for (let i = 0; i < LANES; i++) {
    // Start from a migrated cluster (initdb costs 5–20 s); the store's own open path still runs.
    const t = await openPgliteTestStore();
    await t.store.close();
    stores.push(t);
  }
  const lanes = await Promise.all(stores.map((t, i) => runLane({ WAVE_CRASH_DATA_DIR: t.dataDir, WAVE_CRASH_SESSION: `crash-pglite-${i}` }, KILLS_PER_LANE)));
  expect(lanes.reduce((a, l) => a + l.kills, 0)).toBeGreaterThanOrEqual(20);
  for (let i = 0; i < LANES; i++) {
    // Taking over the lock the last killed writer left behind is part of the proof.
    const store = await openStore({ dataDir: stores[i]!.dataDir });
    try {
      await verify(store, `crash-pglite-${i}`, lanes[i]!);
    } finally {
      await store.close();
    }
  }
});
