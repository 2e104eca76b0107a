import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { WAVE_AGENT_VARIABLES } from '../../core/executor/agent-env';
import { SessionViewReader } from '../../core/orchestrator';
import { openStore } from '../../store';
import { repositories } from '../../store/repos';
import { QA_CHECK, SCRIPTED_AGENT } from '../../../../test/fixtures/repos/agents';
import { TEST_REDIS_URL } from '../../../../test/helpers/env';
import { createTestDatabase, type TestDatabase } from '../../../../test/helpers/pg';
import { runWave, waveProcessSuite } from '../../../../test/orchestrator/child';

/*
 * A real `wave run` on Postgres + Redis with secrets in its environment: the agent, the
 * worktree setup, the QA and the validation command each dump the environment they got.
 * Each sees the base names, what wave.config.json grants, and WAVE's own per-run values;
 * never the app's secrets, DATABASE_URL, REDIS_URL or the app's WAVE_* settings.
 */

const suite = waveProcessSuite();
const dumps = mkdtempSync(join(tmpdir(), 'wave-env-dumps-'));
let db: TestDatabase | undefined;
afterAll(async () => {
  await db?.drop();
  rmSync(dumps, { recursive: true, force: true });
});

// Writes its environment to $ENV_DUMP_DIR/<kind>-<n>.json, then runs the rest of its argv (if any).
const DUMP = join(dumps, 'dump-env.cjs');
writeFileSync(
  DUMP,
  [
    "const fs = require('fs'); const path = require('path'); const { spawnSync } = require('child_process');",
    'const [kind, ...rest] = process.argv.slice(2);',
    'fs.writeFileSync(path.join(process.env.ENV_DUMP_DIR, `${kind}-${process.pid}.json`), JSON.stringify(process.env));',
    "if (rest.length) { const r = spawnSync(rest[0], rest.slice(1), { stdio: 'inherit' }); process.exit(r.status ?? 1); }",
  ].join('\n'),
);

const SECRETS = {
  GITHUB_TOKEN: 'ghp_secret',
  AWS_SECRET_ACCESS_KEY: 'aws-secret',
  OPENAI_API_KEY: 'sk-openai-secret',
  WAVE_REDIS_PREFIX: `wave-env-${suite.tag}`,
  WAVE_USER: 'cli-lead',
};
const BASE = new Set(['PATH', 'HOME', 'USER', 'LOGNAME', 'LANG', 'TERM', 'TMPDIR', 'SHELL', 'TZ']);
const isBase = (name: string) => BASE.has(name) || name.startsWith('LC_');

function readDumps(kind: string): Array<Record<string, string>> {
  return readdirSync(dumps)
    .filter((f) => f.startsWith(`${kind}-`))
    .map((f) => JSON.parse(readFileSync(join(dumps, f), 'utf8')) as Record<string, string>);
}

describe('what an agent can see', () => {
  it("agents, setup, QA and validation commands get only the base, the grants and WAVE's per-run values", async () => {
    db = await createTestDatabase('agentenv');
    const node = process.execPath;
    const s = suite.scenario({
      stories: [
        { id: 'E-1', wave: 1, domain: 'app', create: ['src/app/e1.ts'], validation: [[node, DUMP, 'validation']] },
      ],
      config: {
        qa: { check: [node, DUMP, 'qa', node, QA_CHECK] },
        agent: {
          preset: 'command',
          command: [node, DUMP, 'agent', node, SCRIPTED_AGENT],
          env: { pass: ['GRANTED_TOKEN', 'NOT_SET_ANYWHERE'], set: { ENV_DUMP_DIR: dumps, TEST_AGENT_TAG: suite.tag } },
        },
        worktree: { setup: [node, DUMP, 'setup'] },
      },
    });
    // A hook left in the repository runs inside WAVE's own git commands (every ref update: worktree branches, merges).
    for (const name of ['reference-transaction', 'post-commit', 'post-merge']) {
      const hook = join(s.repo.path, '.git', 'hooks', name);
      writeFileSync(hook, `#!/bin/sh\nenv > "${dumps}/githook-$$.env"\n`);
      chmodSync(hook, 0o755);
    }
    const env = {
      ...SECRETS,
      WAVE_HOME: await suite.home(),
      DATABASE_URL: db.url,
      REDIS_URL: TEST_REDIS_URL,
      WAVE_TEST_TAG: suite.tag,
      GRANTED_TOKEN: 'granted-value',
    };
    const run = await runWave(
      [
        'run',
        '--project',
        s.repo.path,
        '--stories',
        s.storiesDir,
        '--prd',
        s.prdFile,
        '--approve-as',
        'ci-bot',
        '--json',
      ],
      env,
    );
    expect(run.code, run.stderr).toBe(0);
    expect(run.json.stories).toEqual([expect.objectContaining({ id: 'E-1', status: 'merged' })]);

    const waveOwn = new Set<string>(WAVE_AGENT_VARIABLES);
    const granted = new Set(['GRANTED_TOKEN', 'ENV_DUMP_DIR', 'TEST_AGENT_TAG']);
    for (const kind of ['agent', 'setup', 'qa', 'validation']) {
      const seen = readDumps(kind);
      expect(seen.length, `${kind} ran`).toBeGreaterThanOrEqual(1);
      for (const e of seen) {
        const unexpected = Object.keys(e).filter((k) => !isBase(k) && !granted.has(k) && !waveOwn.has(k));
        expect(unexpected, `${kind} saw names nobody granted`).toEqual([]);
        for (const secret of [...Object.keys(SECRETS), 'DATABASE_URL', 'REDIS_URL', 'WAVE_HOME', 'WAVE_TEST_TAG'])
          expect(e[secret], `${kind} saw ${secret}`).toBeUndefined();
        expect(e.GRANTED_TOKEN).toBe('granted-value');
        expect(e.PATH).toBe(process.env.PATH);
        expect(e.WAVE_SESSION_ID).toBe(run.json.session);
        expect(e.WAVE_STORY_ID).toBe('E-1');
        // Only an agent phase gets its story's context pack.
        if (kind === 'agent') expect(e.WAVE_CONTEXT_FILE).toMatch(/[/\\]\.wave[/\\]context[/\\]E-1-gate-\d\.json$/);
        else expect(e.WAVE_CONTEXT_FILE).toBeUndefined();
      }
    }
    const hookRuns = readdirSync(dumps).filter((f) => f.startsWith('githook-'));
    expect(hookRuns.length, 'the git hook ran').toBeGreaterThanOrEqual(1);
    for (const f of hookRuns) {
      const names = readFileSync(join(dumps, f), 'utf8')
        .split('\n')
        .map((l) => l.split('=')[0]!);
      for (const secret of [...Object.keys(SECRETS), 'DATABASE_URL', 'REDIS_URL', 'WAVE_HOME'])
        expect(names, `a git hook saw ${secret}`).not.toContain(secret);
    }
    // Each gate run that started processes records the names they got, as the window's gate detail shows them.
    const store = await openStore({ dataDir: env.WAVE_HOME, databaseUrl: db.url });
    try {
      const view = await new SessionViewReader(repositories(store)).sessionView(run.json.session, null, () => null);
      const gates = view!.stories[0]!.gates;
      const develop = gates.find((g) => g.gate === 'gate-2')!;
      expect(develop.env!.agent).toEqual(expect.arrayContaining(['GRANTED_TOKEN', 'ENV_DUMP_DIR', 'PATH']));
      expect(develop.env!.agent).not.toContain('GITHUB_TOKEN');
      expect(gates.find((g) => g.gate === 'gate-5')!.env!.commands).toContain('GRANTED_TOKEN');
      expect(gates.find((g) => g.gate === 'gate-3')!.env).toBeUndefined();
      expect(JSON.stringify(gates)).not.toContain('granted-value');
    } finally {
      await store.close();
    }
    // The gate log lists the names the agent got (never a value).
    const log = spawnSync('grep', ['-rh', 'environment (names only)', join(env.WAVE_HOME)], {
      encoding: 'utf8',
    }).stdout;
    expect(log).toContain('GRANTED_TOKEN');
    expect(log).not.toContain('granted-value');
  }, 180_000);

  it('refuses a wave.config.json that grants DATABASE_URL or a WAVE_* name, saying where', async () => {
    const s = suite.scenario({
      config: {
        agent: {
          preset: 'command',
          command: ['true'],
          env: { pass: ['GITHUB_TOKEN', 'DATABASE_URL'], set: { WAVE_HOME: '/tmp/x' } },
        },
      },
    });
    const r = await runWave(['validate', join(s.repo.path, 'wave.config.json'), '--json'], {});
    expect(r.code).toBe(1);
    const text = JSON.stringify(r.json);
    expect(text).toContain('/agent/env/pass/1');
    expect(text).toContain('"DATABASE_URL\\" is never given to agents');
    expect(text).toContain('/agent/env/set/WAVE_HOME');
  }, 60_000);
});
