import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** A git repository for the agents to work on, made the way a lead's project would be. */
export interface GitProject {
  dir: string;
  name: string;
  cleanup(): void;
}

const git = (cwd: string, ...args: string[]) =>
  execFileSync('git', args, {
    cwd,
    stdio: 'pipe',
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: 'e2e',
      GIT_AUTHOR_EMAIL: 'e2e@example.com',
      GIT_COMMITTER_NAME: 'e2e',
      GIT_COMMITTER_EMAIL: 'e2e@example.com',
    },
  });

export function createGitProject(
  opts: { config?: Record<string, unknown>; files?: Record<string, string> } = {},
): GitProject {
  const root = mkdtempSync(path.join(os.tmpdir(), 'wave-e2e-project-'));
  const name = 'mathlib';
  const dir = path.join(root, name);
  mkdirSync(dir);
  git(dir, 'init', '-q', '-b', 'main');
  git(dir, 'config', 'user.name', 'e2e');
  git(dir, 'config', 'user.email', 'e2e@example.com');
  const files: Record<string, string> = {
    'README.md': '# mathlib\n\nA tiny library the e2e agents work on.\n',
    'src/index.js': 'export {};\n',
    ...opts.files,
  };
  if (opts.config) files['wave.config.json'] = `${JSON.stringify(opts.config, null, 2)}\n`;
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    writeFileSync(path.join(dir, rel), text);
  }
  git(dir, 'add', '-A');
  git(dir, 'commit', '-q', '-m', 'initial commit');
  return { dir, name, cleanup: () => rmSync(root, { recursive: true, force: true }) };
}

/** A project whose QA passes at once, so the scripted agent's work decides every outcome; `config` overrides parts of wave.config.json. */
export function createSessionProject(config: Record<string, unknown> = {}): GitProject {
  return createGitProject({
    config: {
      targetBranch: 'main',
      domains: {},
      qa: { check: ['node', '-e', 'process.exit(0)'] },
      execution: { max_retries: 1, timeout_minutes: 5 },
      merge: { strategy: 'merge', requireApproval: false },
      worktree: { copy: [] },
      ...config,
    },
  });
}

export interface StorySpec {
  id: string;
  title: string;
  wave?: number;
  domain?: string;
  agent?: string;
  dependencies?: string[];
  files?: string[];
  version?: '4.1' | '4.2' | '4.3';
  /** How the scripted agent behaves (e2e/fixtures/agents/scripted-agent.mjs). */
  testAgent?: Record<string, unknown>;
}

/** A valid story file, pretty-printed as a person would write it (so errors have real lines). */
export function storyJson(s: StorySpec): string {
  const v = s.version ?? '4.3';
  const story: Record<string, unknown> = {
    schema_version: v,
    story_id: s.id,
    title: s.title,
    type: 'feature',
    domain: s.domain ?? 'app',
    agent: s.agent ?? 'be-dev',
    wave_number: s.wave ?? 1,
    priority: 'high',
    status: 'ready',
    story_points: 2,
    description: `${s.title}, as the library's users asked for it.`,
    dependencies: s.dependencies ?? [],
    objective: {
      as_a: 'developer using mathlib',
      i_want: `to ${s.title.toLowerCase()}`,
      so_that: 'my programs can do arithmetic without writing it myself',
    },
    acceptance_criteria: [
      { id: 'AC-1', description: `${s.title} returns the right result for ordinary numbers` },
      { id: 'AC-2', description: 'Invalid input is refused with a clear error message' },
    ],
    files: { create: s.files ?? [`src/${s.id.toLowerCase()}.js`], modify: [] },
    safety: { stop_conditions: ['a database migration is needed', 'a secret would be committed'] },
  };
  if (s.testAgent) story.test_agent = s.testAgent;
  return `${JSON.stringify(story, null, 2)}\n`;
}

/** A PRD markdown file with the front matter WAVE reads (id, title, stories). */
export function prdMarkdown(p: { id: string; title: string; stories: string[]; body?: string }): string {
  return [
    '---',
    `id: ${p.id}`,
    `title: ${p.title}`,
    `stories: [${p.stories.join(', ')}]`,
    '---',
    `# ${p.title}`,
    '',
    p.body ??
      'The library grows the arithmetic its users keep asking for.\n\n- Every operation is tested.\n- Errors say what went wrong.',
    '',
  ].join('\n');
}

/** Files to hand to the page, as a drop or a file picker would (name = relative path). */
export interface DropFile {
  name: string;
  text: string;
  type?: string;
}
