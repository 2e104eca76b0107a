import { afterAll, expect, it } from 'vitest';
import { openStore } from '../../src/main/store';
import { chaosRounds, chaosTimeout } from '../helpers/chaos';
import { openPgliteTestStore, type TestStore } from '../helpers/pglite';
import { killWriters, runLane, verify } from './crash-harness';

// Two writers on two data dirs run side by side to fit more kills in the time: every restart
// after a kill pays PGlite's start-up and WAL crash recovery (~1.5–4 s, more on a busy machine).
// 4 kills per writer in `npm test`, 15 in `npm run test:chaos`.
const LANES = 2;
const KILLS_PER_LANE = chaosRounds(4, 15);
const stores: TestStore[] = [];

afterAll(async () => {
  killWriters();
  for (const t of stores) await t.close();
});

it(`PGlite: ${LANES} writers killed ${KILLS_PER_LANE} times each lose no committed checkpoint and leave none partial`, {
  timeout: chaosTimeout(KILLS_PER_LANE, 30_000),
}, async () => {
  for (let i = 0; i < LANES; i++) {
    // Start from a migrated cluster (initdb costs 5–20 s); the store's own open path still runs.
    const t = await openPgliteTestStore();
    await t.store.close();
    stores.push(t);
  }
  const lanes = await Promise.all(
    stores.map((t, i) =>
      runLane({ WAVE_CRASH_DATA_DIR: t.dataDir, WAVE_CRASH_SESSION: `crash-pglite-${i}` }, KILLS_PER_LANE),
    ),
  );
  expect(lanes.reduce((a, l) => a + l.kills, 0)).toBe(LANES * KILLS_PER_LANE);
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
