import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { findDemoQaCheck } from '../orchestrator/agent-presets';

/*
 * The sample project `wave demo` runs: a small git repository with wave.config.json, four
 * stories in two waves (one of them fails QA once and is fixed by the agent, to show the
 * fix loop) and a PRD covering them. Everything is deterministic and runs offline with
 * the scripted agent.
 */

export const DEMO_PRD_ID = 'PRD-DEMO';

export interface DemoProject {
  /** The folder holding everything below. */
  dir: string;
  /** The git repository the agents work on (branch main). */
  repo: string;
  /** Story files and the PRD. */
  storiesDir: string;
  prdFile: string;
  /** WAVE_HOME of the demo: database (embedded), worktrees, logs. */
  dataDir: string;
  storyIds: string[];
}

interface DemoStory {
  id: string;
  title: string;
  wave: number;
  domain: string;
  create: string[];
  dependencies?: string[];
  iWant: string;
  testAgent?: Record<string, unknown>;
  validation?: string[][];
}

function stories(node: string): DemoStory[] {
  return [
    {
      id: 'DEMO-1',
      title: 'Greeting module',
      wave: 1,
      domain: 'app',
      create: ['src/greeting.js'],
      iWant: 'a greeting module the home page can call',
    },
    {
      id: 'DEMO-2',
      title: 'Clock helper (fails QA once, then fixed)',
      wave: 1,
      domain: 'app',
      create: ['src/clock.js'],
      iWant: 'a clock helper that formats the time of day',
      testAgent: { qa_fix: true },
    },
    {
      id: 'DEMO-3',
      title: 'Usage notes',
      wave: 1,
      domain: 'docs',
      create: ['docs/usage.md'],
      iWant: 'usage notes for the new modules',
    },
    {
      id: 'DEMO-4',
      title: 'Farewell module',
      wave: 2,
      domain: 'app',
      create: ['src/farewell.js'],
      dependencies: ['DEMO-1'],
      iWant: 'a farewell module next to the greeting',
      validation: [[node, '-e', "require('node:fs').accessSync('src/farewell.js')"]],
    },
  ];
}

function git(cwd: string, args: string[]): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

function write(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
}

/** Creates the demo project in `dir` (which must be missing or empty). */
export function createDemoProject(dir: string, node = process.execPath, qaCheck = findDemoQaCheck()): DemoProject {
  if (existsSync(dir) && readdirSync(dir).length > 0) {
    throw new Error(
      `${dir} is not empty. Give wave demo an empty or new folder (--dir), or leave --dir out to use a temporary one.`,
    );
  }
  if (!qaCheck) {
    throw new Error(
      'The demo QA check (agents/qa-check.mjs, beside the scripted agent) was not found next to this installation; nothing was created. Reinstall WAVE, or set WAVE_SCRIPTED_AGENT to a scripted-agent.mjs that has qa-check.mjs beside it.',
    );
  }
  const repo = join(dir, 'repo');
  const storiesDir = join(dir, 'stories');
  const dataDir = join(dir, 'wave-home');
  mkdirSync(repo, { recursive: true });
  mkdirSync(dataDir, { recursive: true });

  git(repo, ['init', '--quiet', '--initial-branch=main']);
  git(repo, ['config', 'user.name', 'WAVE demo']);
  git(repo, ['config', 'user.email', 'demo@wave.invalid']);
  git(repo, ['config', 'commit.gpgsign', 'false']);
  write(
    join(repo, 'README.md'),
    '# WAVE demo project\n\nStories are implemented by a scripted agent and merged here by `wave demo`.\n',
  );
  write(
    join(repo, 'package.json'),
    `${JSON.stringify({ name: 'wave-demo', private: true, type: 'module' }, null, 2)}\n`,
  );
  mkdirSync(join(repo, 'tools'), { recursive: true });
  copyFileSync(qaCheck, join(repo, 'tools', 'qa-check.mjs'));
  write(
    join(repo, 'wave.config.json'),
    `${JSON.stringify(
      {
        _comments: {
          about:
            'Written by wave demo. QA runs tools/qa-check.mjs in each story worktree; domains keep each story in its folder.',
        },
        targetBranch: 'main',
        domains: { app: ['src/**'], docs: ['docs/**'], SHARED: ['package.json'] },
        qa: { check: [node, 'tools/qa-check.mjs'] },
        concurrency: 2,
        budgetUsd: 1,
        execution: { max_retries: 2, timeout_minutes: 5 },
        merge: { strategy: 'merge' },
      },
      null,
      2,
    )}\n`,
  );
  git(repo, ['add', '--all']);
  git(repo, ['commit', '--quiet', '--no-verify', '-m', 'WAVE demo: initial commit']);

  const list = stories(node);
  for (const s of list) {
    write(
      join(storiesDir, `${s.id}.json`),
      `${JSON.stringify(
        {
          schema_version: '4.3',
          story_id: s.id,
          title: s.title,
          type: 'feature',
          domain: s.domain,
          wave_number: s.wave,
          priority: 'medium',
          status: 'ready',
          dependencies: s.dependencies ?? [],
          objective: {
            as_a: 'developer trying WAVE',
            i_want: s.iWant,
            so_that: 'I can see a wave of stories merged end to end',
          },
          acceptance_criteria: [
            { id: 'AC-1', description: `${s.create.join(', ')} exists on main after the merge`, test_approach: 'unit' },
          ],
          files: { create: s.create, modify: [] },
          safety: { stop_conditions: ['a change outside the story domain is needed'] },
          execution: { max_retries: 2, timeout_minutes: 5, checkpoint_frequency: 'per_gate' },
          ...(s.validation ? { validation: { commands: s.validation } } : {}),
          ...(s.testAgent ? { test_agent: s.testAgent } : {}),
        },
        null,
        2,
      )}\n`,
    );
  }
  const prdFile = join(storiesDir, 'prd.md');
  write(
    prdFile,
    [
      '---',
      `id: ${DEMO_PRD_ID}`,
      'title: WAVE demo',
      `stories: [${list.map((s) => s.id).join(', ')}]`,
      '---',
      '# WAVE demo',
      '',
      'Four small stories in two waves. DEMO-2 fails its QA once on purpose: the agent gets the QA output and fixes it.',
      'DEMO-4 waits for DEMO-1 and checks itself with a validation command.',
      '',
    ].join('\n'),
  );
  return { dir, repo, storiesDir, prdFile, dataDir, storyIds: list.map((s) => s.id) };
}
