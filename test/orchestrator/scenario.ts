import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensureProject, PrdService, StoryImporter } from '../../src/main/core/prd';
import { loadWaveConfig } from '../../src/main/core/config';
import type { Store } from '../../src/main/store';
import { QA_CHECK, SCRIPTED_AGENT } from '../fixtures/repos/agents';
import { createTestRepo, type TestRepo } from '../fixtures/repos/git-repo';

/*
 * The reference scenario of the orchestrator tests: 8 stories in 2 waves over a real git
 * repository, with the scripted agent and a QA command that fails while a file is marked
 * WAVE_QA_BROKEN.
 *   wave 1: APP-1 plain · APP-2 fails QA once, fixed on retry · APP-3 writes outside its
 *           domain · APP-4 fails its develop phase
 *   wave 2: WEB-1 after APP-1 · WEB-2 after APP-4 (blocked) · WEB-3 plain · WEB-4 after APP-2,
 *           with a validation command
 */

export interface StorySpec {
  id: string;
  wave: number;
  domain: 'app' | 'web';
  create: string[];
  dependencies?: string[];
  testAgent?: Record<string, unknown>;
  validation?: string[][];
  /** More story fields (e.g. execution). */
  extra?: Record<string, unknown>;
}

export function defaultStories(): StorySpec[] {
  return [
    { id: 'APP-1', wave: 1, domain: 'app', create: ['src/app/one.ts'] },
    { id: 'APP-2', wave: 1, domain: 'app', create: ['src/app/two.ts'], testAgent: { qa_fix: true } },
    {
      id: 'APP-3',
      wave: 1,
      domain: 'app',
      create: ['src/app/three.ts'],
      testAgent: { write_outside: 'src/web/intruder.ts' },
    },
    { id: 'APP-4', wave: 1, domain: 'app', create: ['src/app/four.ts'], testAgent: { fail_phases: ['develop'] } },
    { id: 'WEB-1', wave: 2, domain: 'web', create: ['src/web/one.ts'], dependencies: ['APP-1'] },
    { id: 'WEB-2', wave: 2, domain: 'web', create: ['src/web/two.ts'], dependencies: ['APP-4'] },
    { id: 'WEB-3', wave: 2, domain: 'web', create: ['src/web/three.ts'] },
    {
      id: 'WEB-4',
      wave: 2,
      domain: 'web',
      create: ['src/web/four.ts'],
      dependencies: ['APP-2'],
      validation: [[process.execPath, '-e', "require('fs').accessSync('src/web/four.ts')"]],
    },
  ];
}

export interface Scenario {
  /** Unique per scenario: tests share one store. */
  prdId: string;
  repo: TestRepo;
  storiesDir: string;
  prdFile: string;
  stories: StorySpec[];
  cleanup(): void;
}

export function storyDocument(s: StorySpec): Record<string, unknown> {
  return {
    schema_version: '4.3',
    story_id: s.id,
    title: `Story ${s.id}`,
    domain: s.domain,
    wave_number: s.wave,
    priority: 'P1',
    status: 'ready',
    dependencies: s.dependencies ?? [],
    objective: {
      as_a: 'developer',
      i_want: `the files of ${s.id} in place`,
      so_that: 'the orchestrator tests can check the merges',
    },
    acceptance_criteria: [{ id: 'AC-1', description: 'the files named in the story exist on main' }],
    files: { create: s.create, modify: [] },
    safety: { stop_conditions: ['never touch another domain'] },
    ...(s.validation ? { validation: { commands: s.validation } } : {}),
    ...(s.testAgent ? { test_agent: s.testAgent } : {}),
    ...(s.extra ?? {}),
  };
}

export interface ScenarioOptions {
  stories?: StorySpec[];
  /** wave.config.json overrides. */
  config?: Record<string, unknown>;
  prdId?: string;
  /**
   * Granted to every agent and command as TEST_AGENT_TAG (wave.config.json agent.env.set), so a
   * test of `wave` processes finds what they left running (WAVE_* never reaches an agent).
   */
  agentTag?: string;
  /** More files committed in the repository (path → text). */
  files?: Record<string, string>;
}

/** A git repository with wave.config.json committed, and stories + PRD in a folder beside it. */
export function createScenario(options: ScenarioOptions = {}): Scenario {
  const stories = options.stories ?? defaultStories();
  const config = {
    targetBranch: 'main',
    domains: { app: ['src/app/**'], web: ['src/web/**'], SHARED: ['package.json'] },
    qa: { check: [process.execPath, QA_CHECK] },
    agent: {
      preset: 'command',
      command: [process.execPath, SCRIPTED_AGENT],
      ...(options.agentTag ? { env: { set: { TEST_AGENT_TAG: options.agentTag } } } : {}),
    },
    concurrency: 3,
    budgetUsd: 5,
    execution: { max_retries: 2, timeout_minutes: 1 },
    ...options.config,
  };
  const repo = createTestRepo({
    'README.md': '# orchestrator test repo\n',
    'package.json': '{}\n',
    'wave.config.json': `${JSON.stringify(config, null, 2)}\n`,
    ...options.files,
  });
  const storiesDir = join(repo.base, 'backlog');
  mkdirSync(storiesDir, { recursive: true });
  for (const s of stories)
    writeFileSync(join(storiesDir, `${s.id}.json`), `${JSON.stringify(storyDocument(s), null, 2)}\n`);
  const prdId = options.prdId ?? `PRD-ORCH-${randomBytes(3).toString('hex')}`;
  const prdFile = join(storiesDir, 'prd.md');
  writeFileSync(
    prdFile,
    [
      '---',
      `id: ${prdId}`,
      'title: Orchestrator test',
      `stories: [${stories.map((s) => s.id).join(', ')}]`,
      '---',
      '# Orchestrator test',
      '',
      'Eight small stories in two waves.',
      '',
    ].join('\n'),
  );
  return { prdId, repo, storiesDir, prdFile, stories, cleanup: () => repo.cleanup() };
}

/** Imports the scenario's stories and PRD and approves the PRD, as a lead would (for `agentPreset`, default wave.config.json's). */
export async function importAndApprove(
  store: Store,
  s: Scenario,
  by = 'test-lead',
  agentPreset?: 'command' | 'claude-code' | 'scripted',
): Promise<string> {
  const config = (await loadWaveConfig(s.repo.path)).config;
  const project = await ensureProject(store, s.repo.path, config);
  const report = await new StoryImporter(store).importPaths([s.storiesDir], {
    projectId: project.id,
    actor: by,
    cwd: s.repo.base,
  });
  const invalid = report.files.filter((f) => f.status === 'invalid');
  if (invalid.length)
    throw new Error(
      `scenario import failed: ${JSON.stringify(invalid.map((f) => [f.file, f.errors.map((e) => e.message)]))}`,
    );
  await new PrdService(store).approve(s.prdId, { by, agentPreset });
  return s.prdId;
}

/** Files a story of the default scenario puts on main when it merges. */
export function expectedMainFiles(s: Scenario, merged: string[]): string[] {
  return s.stories.filter((x) => merged.includes(x.id)).flatMap((x) => x.create);
}
