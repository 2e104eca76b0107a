import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../../../test/helpers/pg';
import { runCliCaptured } from '../../../../test/helpers/cli';
import { importCommand } from './import';
import { prdCommand } from './prd';

const FIXTURES = path.resolve(__dirname, '../../../../test/fixtures/stories');

describe('wave import and wave prd (Postgres)', () => {
  let db: TestDatabase;
  let home: string;
  let repo: string;

  function wave(argv: string[]) {
    const env = { DATABASE_URL: db.url, WAVE_HOME: home, USER: 'ci-bot' };
    return runCliCaptured(argv, { commands: [importCommand, prdCommand], env, cwd: repo });
  }

  beforeAll(async () => {
    db = await createTestDatabase('stories_cli');
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'wave-cli-home-'));
    repo = fs.mkdtempSync(path.join(os.tmpdir(), 'wave-cli-repo-'));
    fs.cpSync(path.join(FIXTURES, 'project'), repo, { recursive: true });
    fs.writeFileSync(path.join(repo, 'wave.config.json'), JSON.stringify({ targetBranch: 'trunk' }));
  });
  afterAll(async () => {
    await db?.drop();
    fs.rmSync(home, { recursive: true, force: true });
    fs.rmSync(repo, { recursive: true, force: true });
  });

  it('imports a folder with a per-file report, approves the PRD, and voids the approval on an edit', async () => {
    const imp = await wave(['import', '.', '--json']);
    expect(imp.code).toBe(1); // one broken file
    const report = JSON.parse(imp.stdout);
    expect(report.summary).toEqual({ imported: 4, updated: 0, unchanged: 0, invalid: 1, skipped: 2 });
    expect(report.files.find((f: { file: string }) => f.file === 'wave.config.json').status).toBe('skipped');

    const show = await wave(['prd', 'show', 'prd-accounts.md', '--json']);
    expect(show.code).toBe(0);
    const view = JSON.parse(show.stdout);
    expect(view.prd).toMatchObject({ id: 'PRD-ACCOUNTS', status: 'draft' });
    expect(view.plan.waves).toEqual([
      { number: 1, storyIds: ['ACC-001'] },
      { number: 2, storyIds: ['ACC-002', 'ACC-003'] },
    ]);
    expect(view.fileDiffers).toBeNull();

    // The decision is recorded as the process's user (USER here); --by is a name shown beside it.
    expect((await wave(['prd', 'reject', 'PRD-ACCOUNTS'])).code).toBe(2); // a rejection needs --comment
    const ok = await wave(['prd', 'approve', 'PRD-ACCOUNTS', '--by', 'Ana Lead', '--comment', 'ship it', '--json']);
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout).approval).toMatchObject({ approved: true, approvedBy: 'ci-bot', comment: 'ship it' });

    const story = path.join(repo, 'stories/acc-001-v41.json');
    const d = JSON.parse(fs.readFileSync(story, 'utf8'));
    d.acceptance_criteria.push({ id: 'AC-3', description: 'A locked account cannot log in' });
    fs.writeFileSync(story, JSON.stringify(d, null, 2));
    const human = await wave(['import', 'stories']);
    expect(human.code).toBe(0);
    expect(human.stdout).toContain(
      '~ stories/acc-001-v41.json: Updated ACC-001 (schema 4.1). The approval of PRD-ACCOUNTS is now void',
    );
    expect(human.stdout).toContain('! approval of PRD PRD-ACCOUNTS voided: story ACC-001 changed acceptance_criteria');

    const after = await wave(['prd', 'show', 'PRD-ACCOUNTS']);
    expect(after.stdout).toContain('status: void');
    expect(after.stdout).toContain('story ACC-001 changed acceptance_criteria');
    expect(after.stdout).toMatch(
      /approved by ci-bot \(as "Ana Lead"\): "ship it" {2}\(void since .*: story ACC-001 changed/,
    );
  });

  it('refuses a decision on a PRD file edited since its import', async () => {
    const file = path.join(repo, 'prd-accounts.md');
    fs.appendFileSync(file, '\nOne more requirement.\n');
    const r = await wave(['prd', 'approve', 'prd-accounts.md', '--by', 'ana', '--json']);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).error.message).toContain('differs from the imported text');
    const rej = await wave(['prd', 'reject', 'PRD-ACCOUNTS', '--by', 'ana']);
    expect(rej.code).toBe(2);
    expect(rej.stderr).toContain('--comment');
  });

  it('lists every command an approval authorises, and a change voids it naming what changed', async () => {
    const config = {
      targetBranch: 'trunk',
      qa: { test: ['npm', 'test'] },
      agent: {
        preset: 'command',
        command: ['./agent.sh', '{storyFile}'],
        env: { pass: ['NPM_TOKEN'], set: { NODE_ENV: 'test' } },
      },
      worktree: { setup: ['npm', 'ci'] },
    };
    fs.writeFileSync(path.join(repo, 'wave.config.json'), JSON.stringify(config));
    const show = await wave(['prd', 'show', 'PRD-ACCOUNTS']);
    expect(show.code).toBe(0);
    expect(show.stdout).toContain('agent preset command: ./agent.sh {storyFile}');
    expect(show.stdout).toContain('agent.env.pass: NPM_TOKEN');
    expect(show.stdout).toContain('agent.env.set: NODE_ENV');
    expect(show.stdout).not.toContain('NODE_ENV=test');
    expect(show.stdout).toContain('setup: npm ci');
    expect(show.stdout).toContain('QA test: npm test');
    expect(show.stdout).toMatch(/environment: PATH HOME USER LOGNAME LANG TERM TMPDIR SHELL TZ LC_\*/);

    const ok = await wave(['prd', 'approve', 'PRD-ACCOUNTS', '--json']);
    expect(ok.code, ok.stdout).toBe(0);
    expect(JSON.parse(ok.stdout).approval).toMatchObject({ approved: true, approvedBy: 'ci-bot' });

    fs.writeFileSync(
      path.join(repo, 'wave.config.json'),
      JSON.stringify({
        ...config,
        qa: { test: ['npm', 'run', 'test'] },
        agent: { ...config.agent, env: { pass: ['NPM_TOKEN', 'GITHUB_TOKEN'], set: { NODE_ENV: 'production' } } },
      }),
    );
    const after = await wave(['prd', 'show', 'PRD-ACCOUNTS', '--json']);
    const approval = JSON.parse(after.stdout).approval;
    expect(approval.approved).toBe(false);
    expect(approval.changes).toEqual([
      'agent.env.pass added GITHUB_TOKEN',
      'agent.env.set changed the value of NODE_ENV',
      'QA command "test" changed',
    ]);
    expect(approval.reason).toContain('QA command "test" changed');
    expect(after.stdout).not.toContain('production');

    // The lead reads the new list and approves it; the old approval is void, saying why.
    const again = await wave(['prd', 'approve', 'PRD-ACCOUNTS', '--json']);
    expect(again.code, again.stdout).toBe(0);
    expect(JSON.parse(again.stdout).approval.approved).toBe(true);
    const history = await wave(['prd', 'show', 'PRD-ACCOUNTS']);
    expect(history.stdout).toMatch(
      /approved by ci-bot {2}\(void since .*: agent\.env\.pass added GITHUB_TOKEN; agent\.env\.set changed the value of NODE_ENV; QA command "test" changed\)/,
    );
  });

  it('show and approve --agent P list and approve what preset P runs; the approval for the config preset does not cover it', async () => {
    const config = { agent: { preset: 'command', command: ['./agent.sh', '{storyFile}'] } };
    fs.writeFileSync(path.join(repo, 'wave.config.json'), JSON.stringify(config));
    expect((await wave(['prd', 'approve', 'PRD-ACCOUNTS'])).code).toBe(0);
    const other = await wave(['prd', 'show', 'PRD-ACCOUNTS', '--agent', 'scripted']);
    expect(other.code).toBe(0);
    expect(other.stdout).toContain('agent preset scripted: node e2e/fixtures/agents/scripted-agent.mjs');
    expect(other.stdout).toContain('for agent preset command, not for scripted');
    expect(other.stdout).toContain('wave prd approve PRD-ACCOUNTS --agent scripted');
    const ok = await wave(['prd', 'approve', 'PRD-ACCOUNTS', '--agent', 'scripted', '--json']);
    expect(ok.code, ok.stdout).toBe(0);
    expect(JSON.parse(ok.stdout).approval.approved).toBe(true);
    const def = JSON.parse((await wave(['prd', 'show', 'PRD-ACCOUNTS', '--json'])).stdout);
    expect(def.runs.agent.preset).toBe('command');
    expect(def.approval.approved).toBe(false);
    const bad = await wave(['prd', 'show', 'PRD-ACCOUNTS', '--agent', 'gpt']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--agent gpt: use one of command, claude-code, scripted');
  });

  it('says clearly when a PRD does not exist', async () => {
    const r = await wave(['prd', 'show', 'PRD-NOPE']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('No PRD with id "PRD-NOPE" has been imported');
  });
});
