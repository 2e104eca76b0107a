import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { and, eq, sql } from 'drizzle-orm';
import { expect } from 'vitest';
import type { SessionOutcome } from '../../src/main/core/orchestrator';
import { checkpoints, gateRuns, usage, type Store } from '../../src/main/store';
import type { Scenario } from './scenario';

/** What the scripted agent writes for a created file (see its header). */
export function createdContent(storyId: string, rel: string): string {
  return `// ${storyId}: ${rel}\nexport const value = ${JSON.stringify(`${storyId}:${rel}`)};\n`;
}

/**
 * The tree main must end with: its first commit plus the files of the merged stories with
 * the content the scripted agent writes. Built with git plumbing in a temporary index, so
 * an interrupted run and an uninterrupted one are compared to the same reference.
 */
export function expectedTree(s: Scenario, merged: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'wave-expected-index-'));
  const env = { ...process.env, GIT_INDEX_FILE: join(dir, 'index') };
  const git = (args: string[], input?: string) =>
    execFileSync('git', args, {
      cwd: s.repo.path,
      env,
      encoding: 'utf8',
      input,
      stdio: ['pipe', 'pipe', 'pipe'],
    }).trim();
  try {
    const root = git(['rev-list', '--max-parents=0', 'main']);
    git(['read-tree', root]);
    for (const story of s.stories.filter((x) => merged.includes(x.id))) {
      for (const rel of story.create) {
        const blob = git(['hash-object', '-w', '--stdin'], createdContent(story.id, rel));
        git(['update-index', '--add', '--cacheinfo', `100644,${blob},${rel}`]);
      }
    }
    return git(['write-tree']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Subjects of main's first-parent merges, per story: each merged story must appear exactly once. */
export function mergesPerStory(s: Scenario): Map<string, number> {
  const subjects = s.repo.git(['log', '--first-parent', '--format=%s', 'main']).split('\n');
  const counts = new Map<string, number>();
  for (const line of subjects) {
    const m = /\(wave gate-7, story ([^)]+)\)$/.exec(line);
    if (m) counts.set(m[1]!, (counts.get(m[1]!) ?? 0) + 1);
  }
  return counts;
}

export const REFERENCE_MERGED = ['APP-1', 'APP-2', 'WEB-1', 'WEB-3', 'WEB-4'];

/** The outcome of the reference scenario, whatever interrupted it on the way. */
export async function expectReferenceOutcome(store: Store, s: Scenario, outcome: SessionOutcome): Promise<void> {
  const byId = new Map(outcome.stories.map((x) => [x.id, x]));
  expect(outcome.status).toBe('failed');
  expect(outcome.reason).toMatch(/5 of 8 stories merged/);
  for (const id of REFERENCE_MERGED) {
    expect(byId.get(id), id).toMatchObject({ status: 'merged', gate: 'gate-7' });
    expect(byId.get(id)!.merge_sha).toMatch(/^[0-9a-f]{40}$/);
    // The recorded SHA is on main's first-parent line.
    expect(s.repo.git(['merge-base', '--is-ancestor', byId.get(id)!.merge_sha!, 'main']) === '').toBe(true);
  }
  // One QA failure, fixed on the retry: two attempts of gate-4.
  expect(byId.get('APP-2')!.attempts).toBeGreaterThanOrEqual(2);
  // One domain violation, caught at gate-3, naming the path.
  expect(byId.get('APP-3')).toMatchObject({ status: 'failed', gate: 'gate-3' });
  expect(byId.get('APP-3')!.reason).toContain('src/web/intruder.ts');
  expect(byId.get('APP-4')).toMatchObject({ status: 'failed', gate: 'gate-2' });
  // Blocked by its failed dependency, with the reason.
  expect(byId.get('WEB-2')).toMatchObject({ status: 'blocked', gate: 'gate-0' });
  expect(byId.get('WEB-2')!.reason).toMatch(/depends on APP-4 failed/);

  // The tree on main is exactly the merged stories' work; each merge happened once.
  expect(s.repo.git(['rev-parse', 'main^{tree}'])).toBe(expectedTree(s, REFERENCE_MERGED));
  const merges = mergesPerStory(s);
  expect(Object.fromEntries(merges)).toEqual(Object.fromEntries(REFERENCE_MERGED.map((id) => [id, 1])));

  // Costs: usage per story, gate, agent and model adds up to the session's cost.
  const rows = await store.db
    .select({
      storyId: usage.storyId,
      gate: usage.gate,
      agent: usage.agent,
      model: usage.model,
      cost: sql<string>`sum(${usage.costUsd})`,
    })
    .from(usage)
    .where(eq(usage.sessionId, outcome.session))
    .groupBy(usage.storyId, usage.gate, usage.agent, usage.model);
  expect(rows.length).toBeGreaterThan(0);
  expect(rows.every((r) => r.model === 'claude-sonnet-4-5' && r.agent.length > 0 && r.gate !== null)).toBe(true);
  const total = rows.reduce((n, r) => n + Number(r.cost), 0);
  expect(total).toBeCloseTo(outcome.cost_usd, 5);
  expect(outcome.cost_usd).toBeGreaterThan(0);

  // Every gate of a merged story is a recovery point: a passed checkpoint per gate.
  const app1 = `${outcome.session}:APP-1`;
  const cps = await store.db
    .select({ gate: checkpoints.gate })
    .from(checkpoints)
    .where(and(eq(checkpoints.storyRunId, app1), eq(checkpoints.gateStatus, 'passed')));
  expect(new Set(cps.map((c) => c.gate))).toEqual(
    new Set(['gate-0', 'gate-1', 'gate-2', 'gate-3', 'gate-4', 'gate-5', 'gate-6', 'gate-7']),
  );
  // Each gate run has its own log file.
  const logs = await store.db.select({ logPath: gateRuns.logPath }).from(gateRuns).where(eq(gateRuns.storyRunId, app1));
  expect(new Set(logs.map((l) => l.logPath)).size).toBe(logs.length);
}
