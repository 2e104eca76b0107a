/**
 * Executor benchmark (`npm run bench -- executor`). One JSON object on stdout:
 *   start_1_ms / start_8_ms   request → N scripted agents running (process exec'd) in N fresh worktrees (median of runs)
 *   spawn_floor_1_ms / _8_ms  physical floor: the same agent command spawned N times bare (detached, piped, no worktree,
 *                             no git), until every one has exec'd (median of runs). Node can only spawn one child at a
 *                             time (uv_spawn waits for the exec), and on a small machine the agents that already
 *                             started compete for the CPU with the ones still being spawned.
 *   first_event_1_ms / _8_ms  request → every agent has printed its first event (includes Node start-up)
 *   stop_8_ms                 stopAll of 8 agents that ignore SIGTERM and have 2 grandchildren each, until /proc shows them dead
 *   grace_ms                  the SIGTERM → SIGKILL grace used by that stop (target: stop_8_ms ≤ grace_ms + 100)
 *   sigkill_floor_ms          physical floor: SIGKILL to 8 bare groups of the same shape until /proc shows them dead
 *   alive_after_stop          processes of those groups alive after the stop (reported and re-checked in /proc)
 *   worktree_add_rounds / worktree_add_failures / worktree_add_round_ms   50 rounds of 8 concurrent worktree creations
 *   git_worktree_add_floor_ms one bare `git worktree add --no-checkout` (median of 5): git cannot run two adds side by
 *                             side (the second reads the first's half-written admin folder and dies), so N stories
 *                             start no faster than N of these in a row; start_8 - start_1 ≈ 7 × this on an idle machine
 *   floor_8_ms                spawn_floor_8_ms + 8 × git_worktree_add_floor_ms: 8 bare spawns and 8 bare adds in a row,
 *                             the least 8 stories can start in (target: start_8_ms ≤ 1.5 × this)
 * Everything runs in a temp dir; nothing leaves 127.0.0.1 (nothing leaves the machine at all).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { SCRIPTED_AGENT_COMMAND, writeStory } from '../test/fixtures/repos/agents';
import { createTestRepo } from '../test/fixtures/repos/git-repo';
import { killTagged, processesTagged } from '../test/fixtures/repos/leftovers';
import {
  AgentRunner,
  commandPreset,
  ProcessGroups,
  scanGroups,
  WorktreeManager,
  type AgentRun,
} from '../src/main/core/executor';
import { runGit } from '../src/main/core/executor/git';

const GRACE_MS = 2_000;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 50);
const START_RUNS = 5;
const tag = randomUUID();
const progress = (text: string) => process.stderr.write(`[bench executor] ${text}\n`);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const round1 = (x: number) => Math.round(x * 10) / 10;

const repo = createTestRepo({ 'README.md': '# bench\n', 'src/app/index.ts': 'export {};\n' });
const storiesDir = join(repo.base, 'stories');
let counter = 0;

async function main() {
  const groups = new ProcessGroups();
  const worktrees = await WorktreeManager.open({ repoPath: repo.path, dataDir: repo.dataDir, targetBranch: 'main' });
  const runner = new AgentRunner({ groups, graceMs: GRACE_MS });
  try {
    // ---- start_N ----
    const start = async (n: number, testAgent: Record<string, unknown>, sessionId: string) => {
      const ids = Array.from({ length: n }, () => `B-${++counter}`);
      for (const id of ids) writeStory(storiesDir, id, { create: [`src/app/${id}.ts`], testAgent });
      const firstEvent = new Set<string>();
      let allEvents!: () => void;
      const eventsDone = new Promise<void>((resolve) => (allEvents = resolve));
      const t0 = performance.now();
      const runs = await Promise.all(
        ids.map(async (id): Promise<AgentRun> => {
          const wt = await worktrees.create({ storyId: id, agent: 'bench', sessionId });
          return runner.start({
            sessionId,
            storyId: id,
            gate: 'gate-2',
            phase: 'develop',
            agentId: 'bench',
            worktreePath: wt.path,
            storyFile: join(storiesDir, `${id}.json`),
            promptFile: join(storiesDir, `${id}.json`),
            preset: commandPreset(SCRIPTED_AGENT_COMMAND),
            logFile: join(repo.dataDir, 'logs', sessionId, `${id}.log`),
            timeoutMs: 60_000,
            env: { WAVE_TEST_TAG: tag },
            onEvent: () => {
              firstEvent.add(id);
              if (firstEvent.size === n) allEvents();
            },
          });
        }),
      );
      const running = performance.now() - t0;
      if (runs.some((r) => r.pid === undefined)) throw new Error('an agent did not start');
      await eventsDone;
      const firstEventMs = performance.now() - t0;
      return { ids, runs, running, firstEventMs };
    };
    const cleanup = async (ids: string[]) => {
      for (const id of ids) await worktrees.remove(id, { deleteBranch: true });
    };

    // ---- spawn floor: the agent processes alone ----
    const spawnFloor = async (n: number): Promise<number> => {
      const id = `F-${++counter}`;
      writeStory(storiesDir, id, { create: [`src/app/${id}.ts`], testAgent: { hang: true } });
      const env = {
        ...process.env,
        WAVE_TEST_TAG: tag,
        WAVE_STORY_FILE: join(storiesDir, `${id}.json`),
        WAVE_STORY_ID: id,
      };
      const t0 = performance.now();
      const children = await Promise.all(
        Array.from(
          { length: n },
          () =>
            new Promise<ChildProcess>((resolve, reject) => {
              const child = spawn(SCRIPTED_AGENT_COMMAND[0]!, SCRIPTED_AGENT_COMMAND.slice(1), {
                cwd: repo.base,
                env,
                detached: true,
                stdio: ['ignore', 'pipe', 'pipe'],
              });
              child.once('spawn', () => resolve(child));
              child.once('error', reject);
            }),
        ),
      );
      const ms = performance.now() - t0;
      const pgids = children.map((c) => c.pid!);
      for (const pgid of pgids) process.kill(-pgid, 'SIGKILL');
      while ([...scanGroups(pgids).values()].some((l) => l.length > 0)) await new Promise((r) => setTimeout(r, 5));
      return ms;
    };
    const floorResults: Record<number, number[]> = { 1: [], 8: [] };
    for (let i = 0; i < START_RUNS; i++) for (const n of [1, 8]) floorResults[n]!.push(await spawnFloor(n));
    progress(`spawn floor: 1 → ${round1(median(floorResults[1]!))} ms, 8 → ${round1(median(floorResults[8]!))} ms`);

    const startResults: Record<number, { running: number[]; first: number[] }> = {
      1: { running: [], first: [] },
      8: { running: [], first: [] },
    };
    for (let i = 0; i < START_RUNS; i++) {
      for (const n of [1, 8]) {
        const session = `start-${n}-${i}`;
        const r = await start(n, { hang: true }, session);
        startResults[n]!.running.push(r.running);
        startResults[n]!.first.push(r.firstEventMs);
        await runner.stopAll(session, { graceMs: 500 });
        await cleanup(r.ids);
      }
      progress(
        `start run ${i + 1}/${START_RUNS}: 1 → ${round1(startResults[1]!.running[i]!)} ms, 8 → ${round1(startResults[8]!.running[i]!)} ms`,
      );
    }

    // ---- stop_8 ----
    const stopSession = 'stop-8';
    const s = await start(8, { hang: true, ignore_sigterm: true, grandchildren: 2 }, stopSession);
    const deadline = Date.now() + 30_000;
    while (processesTagged(tag).length < 8 * 3) {
      if (Date.now() > deadline) throw new Error('agents did not start their grandchildren');
      await new Promise((r) => setTimeout(r, 20));
    }
    const t0 = performance.now();
    const report = await runner.stopAll(stopSession, { graceMs: GRACE_MS });
    const stopMs = performance.now() - t0;
    const aliveAfter = Math.max(report.aliveAfter, processesTagged(tag).length);
    progress(
      `stop 8: ${round1(stopMs)} ms, stopped ${report.stopped}, killed ${report.killed}, alive after ${aliveAfter}`,
    );
    await cleanup(s.ids);

    // ---- sigkill floor: same shape, bare signals, same /proc verification ----
    const leaders = Array.from({ length: 8 }, () =>
      spawn(
        process.execPath,
        [
          '-e',
          "const {spawn}=require('child_process');for(let i=0;i<2;i++)spawn(process.execPath,['-e','setInterval(()=>{},1000)'],{stdio:'ignore'});setInterval(()=>{},1000)",
        ],
        { detached: true, stdio: 'ignore', env: { ...process.env, WAVE_TEST_TAG: tag } },
      ),
    );
    const pgids = leaders.map((l) => l.pid!);
    while ([...scanGroups(pgids).values()].reduce((n, l) => n + l.length, 0) < 8 * 3)
      await new Promise((r) => setTimeout(r, 20));
    const f0 = performance.now();
    for (const pgid of pgids) process.kill(-pgid, 'SIGKILL');
    while ([...scanGroups(pgids).values()].some((l) => l.length > 0)) await new Promise((r) => setTimeout(r, 1));
    const floorMs = performance.now() - f0;
    progress(`sigkill floor: ${round1(floorMs)} ms`);

    // ---- floor: the part of a worktree creation that git forces to run alone ----
    const bare: number[] = [];
    for (let i = 0; i < 5; i++) {
      const branch = `bench-floor-${i}`;
      const path = join(repo.base, `floor-${i}`);
      await runGit(repo.path, ['update-ref', `refs/heads/${branch}`, 'main', '']);
      const b0 = performance.now();
      await runGit(repo.path, ['worktree', 'add', '--no-checkout', path, branch]);
      bare.push(performance.now() - b0);
      await runGit(repo.path, ['worktree', 'remove', '--force', path]);
      await runGit(repo.path, ['branch', '-D', branch]);
    }
    progress(`bare git worktree add: ${round1(median(bare))} ms`);

    // ---- worktree adds ----
    let failures = 0;
    const roundMs: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const ids = Array.from({ length: 8 }, () => `W-${++counter}`);
      const r0 = performance.now();
      const results = await Promise.allSettled(ids.map((id) => worktrees.create({ storyId: id, agent: 'bench' })));
      roundMs.push(performance.now() - r0);
      for (const r of results) {
        if (r.status === 'rejected') {
          failures++;
          progress(`worktree add failed: ${(r.reason as Error).message}`);
        }
      }
      await Promise.all(ids.map((id) => worktrees.remove(id, { deleteBranch: true })));
      if ((round + 1) % 10 === 0) progress(`worktree rounds ${round + 1}/${ROUNDS}, failures ${failures}`);
    }

    const result = {
      start_1_ms: round1(median(startResults[1]!.running)),
      start_8_ms: round1(median(startResults[8]!.running)),
      spawn_floor_1_ms: round1(median(floorResults[1]!)),
      spawn_floor_8_ms: round1(median(floorResults[8]!)),
      first_event_1_ms: round1(median(startResults[1]!.first)),
      first_event_8_ms: round1(median(startResults[8]!.first)),
      stop_8_ms: round1(stopMs),
      grace_ms: GRACE_MS,
      alive_after_stop: aliveAfter,
      sigkill_floor_ms: round1(floorMs),
      worktree_add_rounds: ROUNDS,
      worktree_add_failures: failures,
      worktree_add_round_ms: { p50: round1(median(roundMs)), max: round1(Math.max(...roundMs)) },
      git_worktree_add_floor_ms: round1(median(bare)),
      floor_8_ms: round1(median(floorResults[8]!) + 8 * median(bare)),
      load_average_1m: round1((await import('node:os')).loadavg()[0]!),
      cpus: (await import('node:os')).cpus().length,
    };
    const targets = {
      start_8_le_1_5x_floor_8: result.start_8_ms <= 1.5 * result.floor_8_ms,
      start_8_x_floor_8: round1(result.start_8_ms / result.floor_8_ms),
      start_8_le_1_5x_start_1: result.start_8_ms <= 1.5 * result.start_1_ms,
      // The same ratio for the bare processes: where it is above 1.5 the target is below this machine's floor.
      spawn_floor_8_over_1: round1(result.spawn_floor_8_ms / result.spawn_floor_1_ms),
      stop_8_le_grace_plus_100: result.stop_8_ms <= GRACE_MS + 100,
      alive_after_stop_0: result.alive_after_stop === 0,
      worktree_add_failures_0: result.worktree_add_failures === 0,
    };
    process.stdout.write(`${JSON.stringify({ ...result, targets })}\n`);
  } finally {
    await runner.dispose();
    killTagged(tag);
    await worktrees.reconcile({ deleteUnmerged: true }).catch(() => undefined);
    rmSync(repo.base, { recursive: true, force: true });
  }
}

main().catch((error) => {
  process.stderr.write(`${(error as Error).stack ?? error}\n`);
  killTagged(tag);
  rmSync(repo.base, { recursive: true, force: true });
  process.exit(1);
});
