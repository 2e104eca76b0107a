import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { asc, eq } from 'drizzle-orm';
import { expect } from 'vitest';
import { Checkpointer, checkRow, DEFAULT_RETAIN } from '../../src/main/core/checkpointer';
import { checkpoints, gateRuns, storyRuns, type Store } from '../../src/main/store';

/*
 * Kill -9 proof of "acknowledged = committed". A child writes gate results + checkpoints as
 * fast as it can and prints each committed checkpoint id; we SIGKILL it at random moments
 * (some during start-up and WAL recovery, most mid-write), restart it on the same data,
 * and finally prove that every checkpoint the child reported is there (or was legitimately
 * pruned by retention) and that nothing partial exists.
 */

const WRITER = path.join(path.dirname(fileURLToPath(import.meta.url)), 'checkpoint-writer.ts');

interface Reported {
  id: number;
  storyRunId: string;
  gate: string;
  status: string;
}

export interface LaneResult {
  reported: Reported[];
  kills: number;
  killedBeforeReady: number;
}

const children = new Set<ChildProcess>();

/** Kills any writer still running (call in afterAll). */
export function killWriters(): void {
  for (const c of children) c.kill('SIGKILL');
  children.clear();
}

function sleep(ms: number) {
  return new Promise((r) => setTimeout(r, ms));
}

interface Writer {
  child: ChildProcess;
  loaded: Promise<void>;
  firstCommit: Promise<void>;
  exited: Promise<number | null>;
  reported: Reported[];
  ready: () => boolean;
  stderr: () => string;
}

/** Starts a writer that loads its code and then waits for GO (see checkpoint-writer.ts). */
function spawnWriter(env: NodeJS.ProcessEnv): Writer {
  const child = spawn(process.execPath, ['--import', 'tsx', WRITER], {
    env: { ...process.env, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  children.add(child);
  const reported: Reported[] = [];
  let wasReady = false;
  let buf = '';
  let stderr = '';
  let onLoaded: () => void = () => {};
  let onFirstCommit: () => void = () => {};
  const loaded = new Promise<void>((r) => (onLoaded = r));
  const firstCommit = new Promise<void>((r) => (onFirstCommit = r));
  child.stdout!.on('data', (d: Buffer) => {
    buf += d.toString('utf8');
    let nl: number;
    // Only whole lines count: a line cut by the kill is not a report.
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      if (line === 'LOADED') onLoaded();
      else if (line === 'READY') wasReady = true;
      else {
        const m = /^OK (\d+) (\S+) (gate-\d) (passed|failed)$/.exec(line);
        if (m) {
          reported.push({ id: Number(m[1]), storyRunId: m[2]!, gate: m[3]!, status: m[4]! });
          onFirstCommit();
        }
      }
    }
  });
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
  child.stdin!.on('error', () => {}); // GO written to a writer that already died
  const exited = new Promise<number | null>((r) =>
    child.once('exit', (code) => {
      children.delete(child);
      r(code);
    }),
  );
  return { child, loaded, firstCommit, exited, reported, ready: () => wasReady, stderr: () => stderr };
}

/** One writer lifetime: GO, then SIGKILL at a random moment; returns what it reported. */
async function runUntilKilled(w: Writer, killEarly: boolean): Promise<{ reported: Reported[]; wasReady: boolean }> {
  const died = w.exited.then((code) => {
    throw new Error(`writer exited on its own (code ${code}) instead of being killed:\n${w.stderr()}`);
  });
  died.catch(() => {});
  await Promise.race([w.loaded, died]);
  const tGo = performance.now();
  w.child.stdin!.write('GO\n');
  if (process.env.CRASH_DEBUG) {
    void w.firstCommit.then(() =>
      process.stderr.write(`[crash] first commit ${(performance.now() - tGo).toFixed(0)} ms after GO\n`),
    );
  }
  if (killEarly) {
    // Anywhere from store open (lock takeover, WAL crash recovery) through the first writes.
    await Promise.race([sleep(Math.random() * 1500), died]);
  } else {
    // Mid-write: a random moment after the first commit of this life.
    await Promise.race([w.firstCommit, died]);
    await sleep(Math.random() * 400);
  }
  w.child.kill('SIGKILL');
  const code = await w.exited;
  if (process.env.CRASH_DEBUG)
    process.stderr.write(
      `[crash] killed ${(performance.now() - tGo).toFixed(0)} ms after GO, ${w.reported.length} commits, early=${killEarly}\n`,
    );
  if (code !== null) await died;
  return { reported: w.reported, wasReady: w.ready() };
}

/**
 * Starts and SIGKILLs the writer `kills` times on the same data. The next writer loads its
 * code while the current one writes, so each restart pays only the store's open.
 */
export async function runLane(env: NodeJS.ProcessEnv, kills: number): Promise<LaneResult> {
  const result: LaneResult = { reported: [], kills: 0, killedBeforeReady: 0 };
  let next = spawnWriter(env);
  for (let i = 0; i < kills; i++) {
    const current = next;
    if (i < kills - 1) next = spawnWriter(env);
    // The first life always writes (so the session exists); the second always dies early (so a
    // short run covers a kill during start-up and crash recovery too); then one in four does.
    const early = i === 1 || (i > 1 && Math.random() < 0.25);
    const r = await runUntilKilled(current, early);
    result.reported.push(...r.reported);
    result.kills++;
    if (!r.wasReady) result.killedBeforeReady++;
  }
  return result;
}

/** The proof, on a store opened after the last kill. */
export async function verify(store: Store, sessionId: string, lane: LaneResult): Promise<void> {
  const rows = await store.db
    .select()
    .from(checkpoints)
    .where(eq(checkpoints.sessionId, sessionId))
    .orderBy(asc(checkpoints.id));
  const runs = await store.db.select().from(storyRuns).where(eq(storyRuns.sessionId, sessionId));
  const gates = await store.db.select().from(gateRuns).where(eq(gateRuns.sessionId, sessionId));
  const present = new Map(rows.map((r) => [r.id, r]));
  const gateById = new Map(gates.map((g) => [g.id, g]));
  expect(lane.reported.length).toBeGreaterThan(0);

  // 1. Every reported checkpoint is there, or retention removed it legitimately: at least
  //    DEFAULT_RETAIN newer checkpoints of its story run exist, and it is not the newest
  //    passed checkpoint of its gate.
  for (const r of lane.reported) {
    const row = present.get(r.id);
    if (row) {
      expect({ storyRunId: row.storyRunId, gate: row.gate, status: row.gateStatus }).toEqual({
        storyRunId: r.storyRunId,
        gate: r.gate,
        status: r.status,
      });
      continue;
    }
    const newer = rows.filter((x) => x.storyRunId === r.storyRunId && x.id > r.id);
    expect(newer.length, `reported checkpoint ${r.id} is missing`).toBeGreaterThanOrEqual(DEFAULT_RETAIN);
    if (r.status === 'passed') {
      expect(
        newer.some((x) => x.gate === r.gate && x.gateStatus === 'passed'),
        `recovery point ${r.id} (${r.gate}) was pruned`,
      ).toBe(true);
    }
  }

  // 2. Nothing partial: every stored checkpoint verifies (hash and schema) and has its gate
  //    run; at most one committed-but-unreported checkpoint per kill.
  const reportedIds = new Set(lane.reported.map((r) => r.id));
  for (const row of rows) {
    const run = runs.find((x) => x.id === row.storyRunId)!;
    const checked = checkRow(row, run.storyId);
    expect('reason' in checked ? checked.reason : 'ok').toBe('ok');
    const g = gateById.get(row.gateRunId!);
    expect(g, `gate run of checkpoint ${row.id}`).toBeDefined();
    expect({ gate: g!.gate, status: g!.status }).toEqual({ gate: row.gate, status: row.gateStatus });
  }
  const unreported = rows.filter((r) => !reportedIds.has(r.id)).length;
  expect(unreported).toBeLessThanOrEqual(lane.kills);

  // 3. The three writes of every transaction went together: each story run's total cost is
  //    the sum of its gate runs, and its progress is the state of its newest checkpoint.
  const cp = new Checkpointer(store);
  for (const run of runs) {
    const own = gates.filter((g) => g.storyRunId === run.id);
    const sum = own.reduce((a, g) => a + g.costUsd, 0);
    expect(run.costUsd).toBeCloseTo(sum, 6);
    const latest = await cp.loadLatest(run.id);
    if (!latest) {
      expect(own).toHaveLength(0);
      continue;
    }
    expect(latest.gateRunId).toBe(Math.max(...own.map((g) => g.id)));
    expect(run.lastPassedGate).toBe(latest.state.lastPassedGate);
    expect(latest.state.costUsd).toBeCloseTo(run.costUsd, 6);
  }
}
