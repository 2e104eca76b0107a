import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from '../../store';
import { openPgliteTestStore } from '../../../../test/helpers/pglite';
import { createTestDatabase, type TestDatabase } from '../../../../test/helpers/pg';
import { cleanupPrefix, uniquePrefix } from '../../../../test/helpers/redis';
import { TEST_REDIS_URL } from '../../../../test/helpers/env';
import { killTagged, processesTagged } from '../../../../test/fixtures/repos/leftovers';
import { createScenario, type Scenario } from '../../../../test/orchestrator/scenario';
import { expectReferenceOutcome } from '../../../../test/orchestrator/expectations';
import { seededRandom } from '../../../../test/helpers/random';
import { chaosRounds, chaosTimeout } from '../../../../test/helpers/chaos';
import { killChildren, scenarioRunArgs, startWave, type WaveChild } from '../../../../test/orchestrator/child';

/*
 * Crash recovery end to end: `wave run` (a child process on the embedded store) is
 * SIGKILLed at random gates, then continued (continueSession in a new child) — killed
 * again, continued again — and must end exactly like an uninterrupted run: the same tree
 * on main, every merge once, the same story outcomes. The seed is printed on failure;
 * WAVE_TEST_SEED replays it. Postgres + Redis by default (each child starts in a second);
 * WAVE_KILL_TEST_STORE=pglite runs it on the embedded store (kill -9 mid-WAL included).
 */

const tag = randomUUID();
const seed = Number(process.env.WAVE_TEST_SEED ?? Date.now() % 1_000_000);
const embedded = process.env.WAVE_KILL_TEST_STORE === 'pglite';
const prefix = uniquePrefix('kill');
// SIGKILLs per run: 2 in `npm test`, 5 in `npm run test:chaos`.
const KILLS = chaosRounds(2, 5);
let scenario: Scenario | null = null;
let home = '';
let db: TestDatabase | null = null;

afterAll(async () => {
  killChildren();
  killTagged(tag);
  scenario?.cleanup();
  if (home) rmSync(home, { recursive: true, force: true });
  await db?.drop();
  if (!embedded) await cleanupPrefix(prefix);
});

const GATE_LINE = /^\S+ gate-\d \S+ (passed|failed|skipped)/;

/** Waits until the child printed `n` gate results, or ended on its own (false). */
async function gatesOrExit(c: WaveChild, n: number): Promise<boolean> {
  let ended = false;
  void c.exited.then(() => (ended = true));
  for (;;) {
    if (c.countStderr(GATE_LINE) >= n) return true;
    if (ended) return false;
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('kill -9 and resume', () => {
  it(
    `ends like an uninterrupted run after SIGKILLs at random gates (${embedded ? 'PGlite' : 'Postgres + Redis'}, seed ${seed})`,
    async () => {
      const random = seededRandom(seed);
      scenario = createScenario({ agentTag: tag });
      let env: NodeJS.ProcessEnv;
      if (embedded) {
        // A WAVE_HOME whose embedded database is already initialised (initdb in wasm is slow).
        const seeded = await openPgliteTestStore();
        await seeded.store.close();
        home = seeded.dataDir;
        env = { WAVE_HOME: home, DATABASE_URL: '', REDIS_URL: '', WAVE_TEST_TAG: tag };
      } else {
        db = await createTestDatabase('kill');
        home = mkdtempSync(join(tmpdir(), 'wave-kill-resume-'));
        env = {
          WAVE_HOME: home,
          DATABASE_URL: db.url,
          REDIS_URL: TEST_REDIS_URL,
          WAVE_REDIS_PREFIX: prefix,
          WAVE_TEST_TAG: tag,
        };
      }
      const kills: string[] = [];

      const first = startWave(scenarioRunArgs(scenario, '--agent', 'command', '--json'), env);
      await first.waitForStderr(/Session (ses-[\w-]+) started/, 90_000);
      const sessionId = /Session (ses-[\w-]+) started/.exec(first.stderr())![1]!;
      let child: WaveChild = first;
      for (let k = 0; k < KILLS; k++) {
        const target = k === 0 ? 3 + Math.floor(random() * 22) : 2 + Math.floor(random() * 12);
        const reached = await gatesOrExit(child, target);
        if (!reached) break;
        await new Promise((r) => setTimeout(r, Math.floor(random() * 400)));
        child.child.kill('SIGKILL');
        await child.exited;
        kills.push(`after ${child.countStderr(GATE_LINE)} gate results`);
        // The second continuation goes through `wave resume`, wired to the orchestrator.
        child = startWave(k === 0 ? ['continue', sessionId, '--json'] : ['resume', sessionId, '--json'], env);
      }
      const code = await child.exited;
      const context = `seed ${seed}, kills: ${kills.join('; ') || 'none'}\n${child.stderr().slice(-3000)}`;
      const printed = JSON.parse(child.stdout());
      // `continue` prints the outcome (exit 1: the session failed); `wave resume` its plan with the outcome as `continued`.
      const outcome = printed.continued ?? printed;
      expect(code, context).toBe(printed.continued ? 0 : 1);
      expect(outcome.session, context).toBe(sessionId);

      // Whatever a killed process left running was stopped by the process that continued.
      expect(processesTagged(tag), context).toEqual([]);
      const store = await openStore({ dataDir: home, databaseUrl: db?.url });
      try {
        await expectReferenceOutcome(store, scenario, outcome);
      } finally {
        await store.close();
      }
    },
    chaosTimeout(KILLS, 60_000, 120_000),
  );
});
