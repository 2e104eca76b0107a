import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { openPgliteTestStore, type TestStore } from '../../../../test/helpers/pglite';
import { createScenario, importAndApprove, type Scenario } from '../../../../test/orchestrator/scenario';
import { CLAUDE_TRANSCRIPTS, FAKE_CLAUDE } from '../../../../test/fixtures/repos/agents';
import { processesTagged } from '../../../../test/fixtures/repos/leftovers';
import { DisposableMap } from '../../../shared/lifecycle';
import { requests } from '../../../shared/ipc';
import { repositories } from '../../store/repos';
import { createEventBus, type EventBus } from '../events';
import { EventHub } from '../rpc';
import type { SessionServices } from '../api/session-handlers';
import { closeSessionServices, openSessionServices } from '../../../../test/orchestrator/session-services';
import { prdHandlers } from '../api/prd-handlers';
import { ClaudeSettings } from '../../../../test/helpers/claude-settings-format';

/*
 * The context pack handed to real agent processes by a real session: the scripted agent
 * (command preset) reads WAVE_CONTEXT_FILE, and a stand-in for the claude CLI (claude-code
 * preset) reports the prompt and the permission settings it found in its worktree.
 */

const FILES: Record<string, string> = {
  'src/app/sum.ts': "import { check } from './validate';\nexport const sum = (xs: number[]) => check(xs).length;\n",
  'src/app/validate.ts': 'export function check(xs: number[]) { return xs; }\n',
  'src/app/sum.test.ts': "import { sum } from './sum';\nif (sum([1]) !== 1) throw new Error('sum');\n",
  'src/app/other.ts': `export const other = \`${Array.from({ length: 800 }, (_, i) => `w${i * 7919}`).join(' ')}\`;\n`,
  'src/web/page.ts': "import { sum } from '../app/sum';\nexport const page = () => sum([1]);\n",
  'docs/guide.md': '# Guide\n',
};

const tag = randomUUID();
let ts: TestStore;
let bus: EventBus;
let out: string;
let hub: EventHub;
let services: SessionServices;
const scenarios: Scenario[] = [];
const ctx = { clientId: 'test', transport: 'websocket' as const, client: new DisposableMap<string>() };

beforeAll(async () => {
  ts = await openPgliteTestStore();
  bus = await createEventBus({ store: ts.store });
  out = mkdtempSync(join(tmpdir(), 'wave-ctx-'));
  hub = new EventHub();
  services = await openSessionServices(ts, bus, hub, { user: 'ctx-lead', tag });
});

afterAll(async () => {
  await closeSessionServices({ services, hub, bus, ts, tag });
  for (const s of scenarios) s.cleanup();
  rmSync(out, { recursive: true, force: true });
});

function scenario(config: Record<string, unknown>, testAgent: Record<string, unknown> = {}): Scenario {
  const s = createScenario({
    files: FILES,
    config,
    stories: [
      {
        id: 'APP-1',
        wave: 1,
        domain: 'app',
        create: ['src/app/mean.ts'],
        testAgent,
        extra: { files: { create: ['src/app/mean.ts'], modify: ['src/app/sum.ts'] } },
      },
    ],
  });
  scenarios.push(s);
  return s;
}

async function run(s: Scenario, preset: 'command' | 'claude-code') {
  const prdId = await importAndApprove(ts.store, s);
  const handle = await services.orchestrator.startSession({ prdId, agentPreset: preset });
  return { prdId, sessionId: handle.sessionId, outcome: await handle.done };
}

const mainFiles = (s: Scenario) =>
  execFileSync('git', ['ls-tree', '-r', '--name-only', 'main'], { cwd: s.repo.path, encoding: 'utf8' })
    .split('\n')
    .filter(Boolean);

describe('context packs handed to agents', () => {
  it('gives the scripted agent WAVE_CONTEXT_FILE with the story files first, in its prompt too, recorded per gate run, never committed', async () => {
    const copy = join(out, 'scripted');
    const s = scenario({ context: { budgetTokens: 1000 } }, { context_copy: copy });
    // Before the run, the PRD review forecasts the pack from the target branch.
    const prd = prdHandlers({
      store: ts.store,
      hub,
      concurrency: async () => 1,
      agentPreset: async () => undefined,
      actor: () => 'ctx-lead',
    });
    const prdId = await importAndApprove(ts.store, s);
    const forecast = requests['prd.contextForecast'].response.parse(await prd['prd.contextForecast']({ prdId }, ctx));
    expect(forecast).toMatchObject({ rev: 'main', budgetTokens: 1000 });
    expect(forecast.stories).toHaveLength(1);
    expect(forecast.stories[0]!.top[0]).toMatchObject({ path: 'src/app/sum.ts', reason: 'named by the story' });

    const handle = await services.orchestrator.startSession({ prdId, agentPreset: 'command' });
    const sessionId = handle.sessionId;
    const outcome = await handle.done;
    expect(outcome.stories.map((x) => [x.id, x.status])).toEqual([['APP-1', 'merged']]);

    for (const [phase, gate] of [
      ['plan', 'gate-1'],
      ['develop', 'gate-2'],
    ] as const) {
      const got = JSON.parse(readFileSync(`${copy}.${phase}.json`, 'utf8'));
      expect(got.file).toMatch(new RegExp(`[/\\\\]\\.wave[/\\\\]context[/\\\\]APP-1-${gate}\\.json$`));
      // The JSON shape.
      expect(Object.keys(got.pack)).toEqual(
        expect.arrayContaining(['files', 'total_tokens', 'budget_tokens', 'repo_tokens']),
      );
      expect(got.pack.budget_tokens).toBe(1000);
      const paths = got.pack.files.map((f: { path: string }) => f.path);
      expect(paths[0]).toBe('src/app/sum.ts');
      expect(got.pack.files[0].reason).toBe('named by the story');
      expect(got.pack.files.find((f: { path: string }) => f.path === 'src/app/validate.ts')?.reason).toBe(
        'imported by a named file',
      );
      expect(got.pack.files.find((f: { path: string }) => f.path === 'src/web/page.ts')?.reason).toBe(
        'imports a named file',
      );
      expect(paths).toContain('src/app/sum.test.ts');
      // The filler file does not fit a 1000-token budget.
      expect(paths).not.toContain('src/app/other.ts');
      expect(got.pack.total_tokens).toBeLessThanOrEqual(1000);
      expect(got.pack.repo_tokens).toBeGreaterThan(got.pack.total_tokens);
      expect(got.prompt).toContain('## Context for APP-1');
      expect(got.prompt).toContain('- `src/app/sum.ts`');
    }

    // Recorded with the gate runs, for the story detail and the charts.
    const packs = await repositories(ts.store).contextPacks.ofSession(sessionId, 'APP-1');
    expect(packs.map((p: { gate: string }) => p.gate)).toEqual(['gate-1', 'gate-2']);
    expect(packs[1]).toMatchObject({ budgetTokens: 1000, storyId: 'APP-1' });
    expect(packs[1]!.fileCount).toBe(packs[1]!.files.length);
    expect(packs[1]!.files[0]).toMatchObject({ path: 'src/app/sum.ts', reason: 'named by the story' });

    // What the window reads: the packs per gate run, and context tokens per story and gate.
    const views = requests['story.context'].response.parse(
      await services.handlers['story.context']({ sessionId, storyId: 'APP-1' }, ctx),
    );
    expect(views.map((v) => [v.gate, v.attempt])).toEqual([
      ['gate-1', 1],
      ['gate-2', 1],
    ]);
    expect(views[1]!.files[0]).toEqual(packs[1]!.files[0]);
    const metrics = requests['metrics.get'].response.parse(await services.handlers['metrics.get']({ sessionId }, ctx));
    expect(metrics.contextTokens.map((c) => [c.storyId, c.gate, c.tokens])).toEqual([
      ['APP-1', 'gate-1', packs[0]!.totalTokens],
      ['APP-1', 'gate-2', packs[1]!.totalTokens],
    ]);
    // The forecast matches what the first phase got (same tree, same budget).
    expect(forecast.stories[0]!.totalTokens).toBe(packs[0]!.totalTokens);

    // What merged is the story's work, nothing of .wave/.
    const merged = mainFiles(s);
    expect(merged).toContain('src/app/mean.ts');
    expect(merged.filter((f) => f.startsWith('.wave/'))).toEqual([]);
    expect(processesTagged(tag)).toEqual([]);
  }, 120_000);

  it('claude-code: the pack is in the prompt, edits outside the domain are denied in the worktree settings, which are never committed', async () => {
    const argsFile = join(out, 'claude-args.json');
    const settingsFile = join(out, 'claude-settings.json');
    const s = scenario({
      agent: {
        preset: 'claude-code',
        command: [process.execPath, FAKE_CLAUDE],
        env: {
          set: {
            FAKE_CLAUDE_TRANSCRIPT: join(CLAUDE_TRANSCRIPTS, 'success.jsonl'),
            FAKE_CLAUDE_ARGS_FILE: argsFile,
            FAKE_CLAUDE_SETTINGS_FILE: settingsFile,
          },
        },
      },
    });
    const { outcome } = await run(s, 'claude-code');
    // gate-3 would have refused an untracked .claude/settings.local.json outside the domain.
    expect(outcome.stories.map((x) => [x.id, x.status])).toEqual([['APP-1', 'merged']]);

    const { prompt } = JSON.parse(readFileSync(argsFile, 'utf8'));
    expect(prompt).toContain('## Context for APP-1');
    expect(prompt).toContain('- `src/app/sum.ts`');

    const settings = ClaudeSettings.parse(JSON.parse(readFileSync(settingsFile, 'utf8')));
    const { allow = [], deny = [] } = settings.permissions;
    expect(allow).toEqual(expect.arrayContaining(['Edit(/src/app/**)', 'Edit(/package.json)']));
    expect(deny).toEqual(expect.arrayContaining(['Edit(/docs/**)', 'Edit(/src/web/**)', 'Edit(/README.md)']));
    expect(deny.some((r) => r.startsWith('Edit(/src/app') || r === 'Edit(/package.json)')).toBe(false);

    const merged = mainFiles(s);
    expect(merged.filter((f) => f.startsWith('.claude/') || f.startsWith('.wave/'))).toEqual([]);
    expect(existsSync(join(s.repo.path, '.claude', 'settings.local.json'))).toBe(false);
  }, 120_000);
});
