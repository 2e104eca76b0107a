import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { QA_CHECK, SCRIPTED_AGENT_COMMAND, writeStory } from '../../../../test/fixtures/repos/agents';
import { createTestRepo, type TestRepo } from '../../../../test/fixtures/repos/git-repo';
import { killTagged, processesTagged } from '../../../../test/fixtures/repos/leftovers';
import { commandPreset } from './command-preset';
import { createExecutor, type Executor } from './create-executor';
import type { AuditEntry } from './domain-boundaries';
import { runCommand } from './run-command';

// The executor's parts used together the way the orchestrator will: a wave of stories
// through a concurrency-limited pool, each in its own worktree, some of them misbehaving.

let repo: TestRepo;
let executor: Executor;
let tag: string;
const audit: AuditEntry[] = [];

beforeEach(async () => {
  tag = randomUUID();
  repo = createTestRepo({ 'README.md': '# r\n', 'package.json': '{}\n' });
  executor = await createExecutor({
    repoPath: repo.path,
    dataDir: repo.dataDir,
    targetBranch: 'main',
    domains: { app: ['src/app/**'], SHARED: ['package.json'] },
    audit: { record: async (e) => void audit.push(e) },
    concurrency: 2,
    graceMs: 300,
    committer: { name: 'Wave', email: 'wave@example.invalid' },
  });
});

afterEach(async () => {
  await executor.dispose();
  await executor.dispose();
  await executor.worktrees.reconcile({ deleteUnmerged: true });
  const left = processesTagged(tag);
  killTagged(tag);
  const worktrees = repo.worktrees();
  repo.cleanup();
  expect(left).toEqual([]);
  expect(worktrees).toHaveLength(1);
});

type Outcome = { id: string; status: string; gate: string; sha?: string };

async function runStory(
  id: string,
  testAgent: Record<string, unknown>,
  onAgent: (delta: number) => void,
): Promise<Outcome> {
  const wt = await executor.worktrees.create({ storyId: id, agent: 'scripted', sessionId: 'wave-1' });
  const storyFile = writeStory(join(repo.base, 'stories'), id, {
    create: [`src/app/${id}.ts`],
    domain: 'app',
    testAgent,
  });
  onAgent(1);
  const run = await executor.runner
    .run({
      sessionId: 'wave-1',
      storyId: id,
      gate: 'gate-2',
      phase: 'develop',
      agentId: 'scripted',
      worktreePath: wt.path,
      storyFile,
      promptFile: storyFile,
      preset: commandPreset(SCRIPTED_AGENT_COMMAND),
      logFile: join(repo.dataDir, 'logs', 'wave-1', id, 'gate-2.log'),
      timeoutMs: 1_500,
      env: { WAVE_TEST_TAG: tag },
    })
    .finally(() => onAgent(-1));
  if (run.status !== 'succeeded') return { id, status: run.status, gate: 'gate-2' };
  await executor.worktrees.commitAll(id, `${id}: leftovers`);
  const boundary = await executor.boundaries.check({ storyId: id, domain: 'app', worktreePath: wt.path, base: 'main' });
  if (!boundary.ok) return { id, status: 'failed', gate: 'gate-3' };
  const qa = await runCommand([process.execPath, QA_CHECK], {
    cwd: wt.path,
    timeoutMs: 10_000,
    groups: executor.groups,
    sessionId: 'wave-1',
  });
  if (qa.exitCode !== 0) return { id, status: 'failed', gate: 'gate-4' };
  const prep = await executor.merger.mergeTargetIntoStory(id);
  if (!prep.ok) return { id, status: 'failed', gate: 'gate-6' };
  const merged = await executor.merger.mergeStoryIntoTarget(id);
  await executor.worktrees.remove(id, { deleteBranch: true });
  return { id, status: 'merged', gate: 'gate-7', sha: merged.sha };
}

describe('executor: a wave of stories', () => {
  it('runs stories in parallel up to the limit; failing, hanging, crashing or trespassing stories do not disturb the others', async () => {
    let running = 0;
    let peak = 0;
    const onAgent = (delta: number) => {
      running += delta;
      peak = Math.max(peak, running);
    };
    const stories: Array<[string, Record<string, unknown>]> = [
      ['OK-1', {}],
      ['FAIL-1', { fail_phases: ['develop'] }],
      ['HANG-1', { hang: true, ignore_sigterm: true, grandchildren: 1 }],
      ['CRASH-1', { crash: 'SIGSEGV' }],
      ['OUT-1', { write_outside: 'src/billing/x.ts' }],
      ['QA-1', { qa_fix: true }],
      ['OK-2', { delay_ms: 100 }],
    ];
    const results = await Promise.allSettled(
      stories.map(([id, t]) => executor.pool.submit(() => runStory(id, t, onAgent), { id })),
    );
    const outcomes = Object.fromEntries(
      results.map((r, i) => [stories[i]![0], r.status === 'fulfilled' ? r.value : { status: String(r.reason) }]),
    );

    expect(peak).toBeLessThanOrEqual(2);
    expect(outcomes['OK-1']).toMatchObject({ status: 'merged' });
    expect(outcomes['OK-2']).toMatchObject({ status: 'merged' });
    expect(outcomes['FAIL-1']).toMatchObject({ status: 'failed', gate: 'gate-2' });
    expect(outcomes['HANG-1']).toMatchObject({ status: 'timed_out', gate: 'gate-2' });
    expect(outcomes['CRASH-1']).toMatchObject({ status: 'failed', gate: 'gate-2' });
    expect(outcomes['OUT-1']).toMatchObject({ status: 'failed', gate: 'gate-3' });
    expect(outcomes['QA-1']).toMatchObject({ status: 'failed', gate: 'gate-4' });
    // Both good stories are on the target branch.
    expect(repo.git(['show', 'main:src/app/OK-1.ts'])).toContain('OK-1');
    expect(repo.git(['show', 'main:src/app/OK-2.ts'])).toContain('OK-2');
    expect(processesTagged(tag)).toEqual([]);
  });
});
