/*
 * What `wave init` writes. JSON has no comments, so the explanations live in a top-level
 * "_comments" object (field → note) that the schema allows and WAVE ignores.
 */

export function starterWaveConfig(): Record<string, unknown> {
  return {
    _comments: {
      about:
        'WAVE project settings. Every field is optional; delete one to use its default. Notes here are ignored by WAVE.',
      targetBranch: 'Branch that passed stories are merged into (default "main").',
      domains:
        'Domain → globs of the paths its stories may change. SHARED lists paths any story may change. Remove all domains to turn the boundary check off.',
      qa: 'Gate 4 runs these in order inside each story worktree. Each is an argument list: no shell, so no pipes or &&; put those in a script.',
      agent:
        'preset "claude-code" runs the Claude Code CLI; preset "command" runs your own argument template ({prompt_file}, {story_id}, {phase} are replaced per argument). Agents and commands see only PATH, HOME, USER, LOGNAME, LANG, LC_*, TERM, TMPDIR, SHELL, TZ, the preset’s own names (claude-code: ANTHROPIC_API_KEY and its other documented variables) and what env grants: env.pass copies names from WAVE’s environment, env.set gives fixed values.',
      concurrency: 'How many stories of one wave run at the same time.',
      budgetUsd: 'A session stops starting new work when it has spent this many US dollars; null means no limit.',
      execution:
        'Defaults for stories without their own execution block: fix-loop retries and minutes per agent phase.',
      context:
        'budgetTokens: most tokens of repository files listed in a story’s context pack (WAVE_CONTEXT_FILE and the prompt): the files it names, their imports, importers and tests, then the rest of its domain.',
      merge:
        'strategy "merge" records a merge commit, "ff" only fast-forwards; requireApproval: true makes gate 7 wait until a person approves each merge (in the story detail or with wave approve-merge).',
      worktree:
        'copy: untracked files copied into each story worktree; setup: a command run once in each new worktree.',
    },
    targetBranch: 'main',
    domains: {
      SHARED: ['package-lock.json'],
      app: ['src/**', 'test/**'],
    },
    qa: {
      build: ['npm', 'run', 'build'],
      typecheck: ['npx', 'tsc', '--noEmit'],
      lint: ['npm', 'run', 'lint'],
      test: ['npm', 'test'],
    },
    agent: { preset: 'claude-code', env: { pass: [], set: {} } },
    concurrency: 2,
    budgetUsd: 10,
    execution: { max_retries: 3, timeout_minutes: 60 },
    context: { budgetTokens: 50000 },
    merge: { strategy: 'merge', requireApproval: false },
    worktree: { copy: ['.env'], setup: ['npm', 'ci'] },
  };
}

export function exampleStory(): Record<string, unknown> {
  return {
    schema_version: '4.3',
    story_id: 'EXAMPLE-001',
    title: 'Show a greeting on the home page',
    type: 'feature',
    domain: 'app',
    agent: 'fe-dev',
    wave_number: 1,
    priority: 'medium',
    status: 'ready',
    story_points: 1,
    dependencies: [],
    objective: {
      as_a: 'visitor of the home page',
      i_want: 'to be greeted by name when I am signed in',
      so_that: 'the product feels personal from the first screen',
    },
    acceptance_criteria: [
      {
        id: 'AC-1',
        description: 'A signed-in visitor sees "Hello, <first name>" at the top of the home page',
        ears_format: 'WHEN a signed-in visitor opens the home page THE SYSTEM SHALL show "Hello, <first name>"',
        test_approach: 'unit',
      },
      { id: 'AC-2', description: 'An anonymous visitor sees "Hello" without a name', test_approach: 'unit' },
    ],
    files: { create: ['src/home/greeting.ts', 'test/home/greeting.test.ts'], modify: ['src/home/page.ts'] },
    safety: { stop_conditions: ['a change outside src/home is needed', 'a new dependency is needed'] },
    context: { read_files: ['src/home/page.ts'] },
    execution: { max_retries: 3, timeout_minutes: 30, checkpoint_frequency: 'per_gate' },
    validation: { commands: [['npm', 'test', '--', 'greeting']] },
  };
}

export function examplePrd(): string {
  return [
    '---',
    'id: PRD-EXAMPLE',
    'title: Personal greeting',
    'stories: [EXAMPLE-001]',
    '---',
    '# Personal greeting',
    '',
    'Signed-in visitors are greeted by their first name on the home page; anonymous visitors get a plain greeting.',
    '',
    'Approve this PRD with `wave prd approve PRD-EXAMPLE` once you have read it and its stories.',
    '',
  ].join('\n');
}
