/*
 * Orchestration cost per gate: 100 stories (2 waves) through the 8 gates with an agent that
 * returns at once (it writes one file in the develop phase and exits), no QA commands.
 * A gate's overhead is the time from its start to the start of the story's next gate (so it
 * includes the committed checkpoint, the events and the git work WAVE does itself), minus
 * the agent process's own run time. Floors measured in the same run: one bare checkpoint
 * commit and one bare process spawn.
 *
 *   npm run bench -- orchestrator      (PGlite in a temp dir; DATABASE_URL / REDIS_URL to use servers)
 * stdout: {"overhead_per_gate":{"p50_ms","p99_ms"},"stories","gates", …}
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { and, asc, eq } from 'drizzle-orm';
import { Checkpointer } from '../src/main/core/checkpointer';
import { createEventBus } from '../src/main/core/events';
import { Orchestrator } from '../src/main/core/orchestrator';
import { ensureProject, PrdService, StoryImporter } from '../src/main/core/prd';
import { loadWaveConfig } from '../src/main/core/config';
import { gateRuns, openStore, sessions, storyRuns } from '../src/main/store';
import { emit, progress, summarize } from './_harness';

const STORIES = Number(process.env.BENCH_STORIES ?? 100);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 4);
/** The run is stopped (emergency stop) past this, so the bench stays bounded on a slow machine. */
const DEADLINE_MS = Number(process.env.BENCH_DEADLINE_MS ?? 180_000);

const base = mkdtempSync(join(tmpdir(), 'wave-bench-orch-'));
const repo = join(base, 'repo');
const dataDir = join(base, 'data');
const backlog = join(base, 'backlog');
mkdirSync(repo, { recursive: true });
mkdirSync(backlog, { recursive: true });

function git(args: string[], cwd = repo): string {
  const r = spawnSync('git', args, { cwd, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
  return r.stdout.trim();
}

const agent = join(base, 'agent.mjs');
writeFileSync(
  agent,
  `import { writeFileSync, mkdirSync } from 'node:fs';
if (process.env.WAVE_PHASE === 'develop') { mkdirSync('src', { recursive: true }); writeFileSync('src/' + process.env.WAVE_STORY_ID + '.txt', process.env.WAVE_STORY_ID + '\\n'); }
`,
);
git(['init', '--quiet', '--initial-branch=main']);
git(['config', 'user.name', 'bench']);
git(['config', 'user.email', 'bench@wave.invalid']);
writeFileSync(join(repo, 'README.md'), '# bench\n');
writeFileSync(
  join(repo, 'wave.config.json'),
  JSON.stringify(
    {
      targetBranch: 'main',
      domains: { app: ['src/**'] },
      qa: {},
      agent: { preset: 'command', command: [process.execPath, agent] },
      budgetUsd: null,
    },
    null,
    2,
  ),
);
git(['add', '--all']);
git(['commit', '--quiet', '-m', 'init']);

const ids = Array.from({ length: STORIES }, (_, i) => `B-${String(i + 1).padStart(3, '0')}`);
for (const [i, id] of ids.entries()) {
  writeFileSync(
    join(backlog, `${id}.json`),
    JSON.stringify({
      schema_version: '4.3',
      story_id: id,
      title: `Bench story ${id}`,
      domain: 'app',
      wave_number: i < STORIES / 2 ? 1 : 2,
      priority: 'P2',
      status: 'ready',
      objective: {
        as_a: 'benchmark',
        i_want: 'one file written by the agent',
        so_that: 'gate overhead can be measured',
      },
      acceptance_criteria: [{ id: 'AC-1', description: 'the file exists on main after the merge' }],
      files: { create: [`src/${id}.txt`], modify: [] },
      safety: { stop_conditions: ['none, it is a benchmark'] },
    }),
  );
}
writeFileSync(
  join(backlog, 'prd.md'),
  `---\nid: PRD-BENCH\ntitle: Bench\nstories: [${ids.join(', ')}]\n---\n# Bench\n`,
);

const store = await openStore({ dataDir, databaseUrl: process.env.DATABASE_URL || undefined });
const bus = await createEventBus({ redisUrl: process.env.REDIS_URL || undefined, store });
const orchestrator = new Orchestrator({ store, bus, dataDir, hub: { publish: () => undefined } });
try {
  const project = await ensureProject(store, repo, (await loadWaveConfig(repo)).config);
  await new StoryImporter(store).importPaths([backlog], { projectId: project.id, actor: 'bench', cwd: base });
  await new PrdService(store).approve('PRD-BENCH', { by: 'bench' });

  progress(`running ${STORIES} stories, ${CONCURRENCY} at a time (${store.kind}, ${bus.kind} bus)…`);
  const t0 = performance.now();
  const handle = await orchestrator.startSession({ prdId: 'PRD-BENCH', concurrency: CONCURRENCY, budgetUsd: null });
  const deadline = setTimeout(() => {
    progress(`deadline of ${DEADLINE_MS / 1000} s reached: stopping the session`);
    void orchestrator.stop(handle.sessionId, { reason: 'bench deadline', by: 'bench' });
  }, DEADLINE_MS);
  const outcome = await handle.done;
  clearTimeout(deadline);
  const wallMs = performance.now() - t0;
  progress(`session ${outcome.status} in ${(wallMs / 1000).toFixed(1)} s`);

  const runs = await store.db
    .select({
      run: storyRuns.id,
      gate: gateRuns.gate,
      startedAt: gateRuns.startedAt,
      durationMs: gateRuns.durationMs,
      detail: gateRuns.detail,
      status: gateRuns.status,
    })
    .from(gateRuns)
    .innerJoin(storyRuns, eq(storyRuns.id, gateRuns.storyRunId))
    .where(eq(gateRuns.sessionId, handle.sessionId))
    .orderBy(asc(gateRuns.storyRunId), asc(gateRuns.id));
  const samples: number[] = [];
  const byGate = new Map<string, number[]>();
  for (let i = 0; i < runs.length; i++) {
    const a = runs[i]!;
    const b = runs[i + 1];
    if (a.status === 'running') continue;
    const agentMs = Number((a.detail as { durationMs?: number } | null)?.durationMs ?? 0);
    // To the next gate's start; the story's last gate to its own end (its checkpoint commit is not counted).
    const ms =
      b && b.run === a.run ? b.startedAt.getTime() - a.startedAt.getTime() - agentMs : (a.durationMs ?? 0) - agentMs;
    samples.push(ms);
    byGate.set(a.gate, [...(byGate.get(a.gate) ?? []), ms]);
  }

  // Floors: one bare checkpoint commit, one bare process spawn.
  const cp = new Checkpointer(store);
  const [floorRun] = await store.db
    .select()
    .from(storyRuns)
    .where(and(eq(storyRuns.sessionId, handle.sessionId)))
    .limit(1);
  const commitMs: number[] = [];
  for (let i = 0; i < 30; i++) {
    const t = performance.now();
    await cp.recordGate({ storyRunId: floorRun!.id, gate: 'gate-7', status: 'passed', storyRun: { status: 'merged' } });
    commitMs.push(performance.now() - t);
  }
  const spawnMs: number[] = [];
  for (let i = 0; i < 20; i++) {
    const t = performance.now();
    spawnSync('true');
    spawnMs.push(performance.now() - t);
  }
  const [sess] = await store.db.select().from(sessions).where(eq(sessions.id, handle.sessionId));

  emit({
    overhead_per_gate: summarize(samples),
    stories: STORIES,
    gates: runs.length,
    merged: outcome.stories.filter((s) => s.status === 'merged').length,
    truncated: outcome.status === 'stopped',
    session_status: sess?.status,
    wall_s: Math.round(wallMs / 100) / 10,
    concurrency: CONCURRENCY,
    store: store.kind,
    bus: bus.kind,
    by_gate: Object.fromEntries([...byGate].sort().map(([g, v]) => [g, summarize(v)])),
    floor: { checkpoint_commit: summarize(commitMs), process_spawn: summarize(spawnMs) },
  });
} finally {
  await orchestrator.dispose();
  await bus.close();
  await store.close();
  rmSync(base, { recursive: true, force: true });
}
