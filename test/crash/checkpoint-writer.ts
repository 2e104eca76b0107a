/*
 * Child process of the kill -9 tests: writes gate results + checkpoints as fast as it can
 * and prints one line per COMMITTED checkpoint. The parent SIGKILLs it at random moments.
 *
 *   env WAVE_CRASH_DATA_DIR  PGlite data dir (or WAVE_CRASH_DATABASE_URL for Postgres)
 *       WAVE_CRASH_SESSION   session id to write into
 * stdout: "LOADED" once the code is loaded; then, after a "GO" line on stdin (the parent
 * starts the next writer while the current one runs, to hide Node start-up), "READY" once
 * the store is open, then "OK <checkpointId> <storyRunId> <gate> <status>" per commit.
 */
import fs from 'node:fs';
import readline from 'node:readline';
import { eq } from 'drizzle-orm';
import { Checkpointer } from '../../src/main/core/checkpointer';
import { GATE_IDS, openStore, sessions, storyRuns, type GateId } from '../../src/main/store';

const STORIES = 4;
const sessionId = process.env.WAVE_CRASH_SESSION ?? 'crash-session';

function out(line: string): void {
  // Synchronous write: when the parent reads the line, the commit it reports has happened.
  fs.writeSync(1, `${line}\n`);
}

out('LOADED');
await new Promise<void>((resolve) => {
  const rl = readline.createInterface({ input: process.stdin });
  rl.on('line', (l) => {
    if (l.trim() === 'GO') {
      rl.close();
      resolve();
    }
  });
});

const store = await openStore({
  dataDir: process.env.WAVE_CRASH_DATA_DIR ?? '/nonexistent',
  databaseUrl: process.env.WAVE_CRASH_DATABASE_URL || undefined,
  log: (l) => process.stderr.write(`${l}\n`),
});
await store.transaction(async (tx) => {
  await tx
    .insert(sessions)
    .values({ id: sessionId, projectId: 'crash', status: 'running', ownerPid: process.pid })
    .onConflictDoNothing();
  await tx
    .insert(storyRuns)
    .values(
      Array.from({ length: STORIES }, (_, i) => ({
        id: `${sessionId}:S-${i}`,
        sessionId,
        storyId: `S-${i}`,
        waveNumber: 1,
        agent: 'crash',
      })),
    )
    .onConflictDoNothing();
});
const runs = await store.db.select().from(storyRuns).where(eq(storyRuns.sessionId, sessionId));
const next = new Map<string, number>(
  runs.map((r) => [
    r.id,
    r.status === 'running' && r.currentGate ? GATE_IDS.indexOf(r.currentGate as (typeof GATE_IDS)[number]) : 0,
  ]),
);
const cp = new Checkpointer(store);
out('READY');

const filler = 'x'.repeat(1500);
for (let n = 0; ; n++) {
  for (const r of runs) {
    const gi = next.get(r.id)!;
    const gate = GATE_IDS[gi] as GateId;
    // One in five gate attempts fails (and is retried), like a QA fix loop.
    const status = Math.random() < 0.2 ? 'failed' : 'passed';
    const rec = await cp.recordGate({
      storyRunId: r.id,
      gate,
      status,
      costUsd: 0.001,
      inputTokens: 10,
      outputTokens: 5,
      data: { n, pid: process.pid, filler },
    });
    out(`OK ${rec.checkpointId} ${r.id} ${gate} ${status}`);
    next.set(r.id, status === 'failed' ? gi : (gi + 1) % GATE_IDS.length);
  }
}
