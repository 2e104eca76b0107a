import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CLAUDE_TRANSCRIPTS, FAKE_CLAUDE, modelTotals, writeStory } from '../../../../test/fixtures/repos/agents';
import { killTagged, processesTagged } from '../../../../test/fixtures/repos/leftovers';
import { PriceTable } from '../pricing';
import type { AgentLineEvent as AgentEvent } from '../../../shared/events';
import { AgentRunner, type AgentRunResult } from './agent-runner';
import { claudeCodePreset } from './claude-code-preset';

// A real process named `claude`, first on PATH, replays composed stream-json transcripts.
let dir: string;
let bin: string;
const tag = randomUUID();
const runner = new AgentRunner({ graceMs: 300 });

beforeAll(() => {
  dir = realpathSync(mkdtempSync(join(tmpdir(), 'wave-claude-')));
  bin = join(dir, 'bin');
  mkdirSync(bin);
  symlinkSync(FAKE_CLAUDE, join(bin, 'claude'));
  writeStory(dir, 'S-1', { create: ['src/a.ts'] });
  writeFileSync(join(dir, 'prompt.md'), 'Implement story S-1: create src/a.ts.\n');
});

afterEach(() => {
  expect(processesTagged(tag)).toEqual([]);
});

afterAll(async () => {
  await runner.dispose();
  killTagged(tag);
  rmSync(dir, { recursive: true, force: true });
});

async function replay(transcript: string, exitCode = 0, events: AgentEvent[] = []): Promise<AgentRunResult> {
  return runner.run({
    sessionId: 'session-c',
    storyId: 'S-1',
    gate: 'gate-2',
    phase: 'develop',
    agentId: 'claude',
    worktreePath: dir,
    storyFile: join(dir, 'S-1.json'),
    promptFile: join(dir, 'prompt.md'),
    preset: claudeCodePreset({ model: 'sonnet' }),
    logFile: join(dir, 'logs', `${transcript}.log`),
    timeoutMs: 20_000,
    env: {
      WAVE_TEST_TAG: tag,
      PATH: `${bin}:${process.env.PATH}`,
      FAKE_CLAUDE_TRANSCRIPT: join(CLAUDE_TRANSCRIPTS, `${transcript}.jsonl`),
      FAKE_CLAUDE_EXIT: String(exitCode),
      FAKE_CLAUDE_ARGS_FILE: join(dir, 'claude-args.json'),
    },
    onEvent: (e) => events.push(e),
  });
}

describe('claude-code preset', () => {
  it('runs claude in print mode with stream-json, the prompt on stdin, and takes cost and usage from the result envelope', async () => {
    const events: AgentEvent[] = [];
    const result = await replay('success', 0, events);
    expect(result.status).toBe('succeeded');
    expect(result.ending).toBe('success');

    const called = JSON.parse(readFileSync(join(dir, 'claude-args.json'), 'utf8'));
    expect(called.args).toEqual([
      '-p',
      '--output-format',
      'stream-json',
      '--verbose',
      '--permission-mode',
      'acceptEdits',
      '--model',
      'sonnet',
    ]);
    expect(called.prompt).toBe('Implement story S-1: create src/a.ts.\n');

    // Live usage: one event per API step (msg_01A appears twice but is counted once).
    const usage = events.filter((e) => e.type === 'usage');
    expect(usage.map((u) => [u.input_tokens, u.output_tokens, u.cache_read_tokens, u.cache_write_tokens])).toEqual([
      [1200, 40, 0, 2000],
      [300, 120, 2000, 0],
      [150, 60, 2300, 0],
    ]);
    expect(events.filter((e) => e.type === 'progress').map((e) => (e as { message: string }).message)).toEqual([
      'Claude Code started (model claude-sonnet-4-5-20250929)',
      'I will read the story first.',
      'tool: Read',
      'tool: Edit',
      'Done: src/a.ts now exports value.',
    ]);
    expect(result.signals).toEqual([
      { type: 'signal', signal: 'complete', message: 'Done: src/a.ts now exports value.' },
    ]);

    // Totals: the envelope's modelUsage (per model, cache tokens included) and total_cost_usd.
    expect(result.usage.totalCostUsd).toBe(0.0321);
    expect(result.usage.models).toEqual(
      modelTotals(
        ['claude-sonnet-4-5-20250929', 1650, 220, 4300, 2000, 0.0301],
        ['claude-haiku-4-5-20251001', 800, 100, 0, 0, 0.002],
      ),
    );
    // Everything Claude printed is in the gate run log.
    expect(readFileSync(result.logFile, 'utf8')).toContain('"type":"result"');
  });

  it('fails on error_during_execution and reports it as such', async () => {
    const result = await replay('error-during-execution');
    expect(result.status).toBe('failed');
    expect(result.ending).toBe('error_during_execution');
    expect(result.failure?.kind).toBe('error_during_execution');
    expect(result.failure?.message).toContain('API Error: 529 overloaded');
    expect(result.usage.totalCostUsd).toBe(0.00165);
    expect(result.signals.map((s) => s.signal)).toEqual(['error']);
  });

  it('fails on error_max_turns even when is_error is false', async () => {
    const result = await replay('error-max-turns');
    expect(result.status).toBe('failed');
    expect(result.failure?.kind).toBe('error_max_turns');
    expect(result.failure?.message).toContain('turn limit (5 turns)');
  });

  it('fails on is_error: true whatever the subtype says', async () => {
    const result = await replay('is-error-success-subtype');
    expect(result.exitCode).toBe(0);
    expect(result.status).toBe('failed');
    expect(result.failure?.message).toContain('Invalid API key');
  });

  it('reports a max_tokens ending and prices usage that came without a cost', async () => {
    const result = await replay('max-tokens');
    expect(result.status).toBe('failed');
    expect(result.ending).toBe('max_tokens');
    expect(result.failure?.kind).toBe('max_tokens');
    // claude-opus-4-5: 1000 × $5/M + 32000 × $25/M
    expect(result.usage.totalCostUsd).toBe(0.805);
  });

  it('never prices an unknown model as free: cost null with a warning', async () => {
    const result = await replay('unpriced-models');
    expect(result.status).toBe('succeeded');
    expect(result.usage.totalCostUsd).toBeNull();
    expect(result.usage.knownCostUsd).toBe(4.5);
    expect(result.usage.models.find((m) => m.model === 'mystery-model-9')?.costUsd).toBeNull();
    expect(result.usage.warnings.join('\n')).toContain('mystery-model-9');
    expect(readFileSync(result.logFile, 'utf8')).toContain('No price for model "mystery-model-9"');
  });

  it('fails when claude exits without a result line', async () => {
    const result = await runner.run({
      sessionId: 'session-c',
      storyId: 'S-1',
      gate: 'gate-1',
      phase: 'plan',
      agentId: 'claude',
      worktreePath: dir,
      storyFile: join(dir, 'S-1.json'),
      promptFile: join(dir, 'prompt.md'),
      preset: claudeCodePreset({ command: [process.execPath, '-e', 'process.exit(2)'] }),
      logFile: join(dir, 'logs', 'none.log'),
      timeoutMs: 20_000,
      env: { WAVE_TEST_TAG: tag },
    });
    expect(result.status).toBe('failed');
    expect(result.failure?.kind).toBe('no_result');
  });

  it('uses a user price table over the bundled one', () => {
    const file = join(dir, 'prices.json');
    writeFileSync(
      file,
      JSON.stringify({ models: { 'mystery-model-9': { input: 1, output: 2, cache_read: 0, cache_write: 0 } } }),
    );
    const table = PriceTable.load(file);
    expect(
      table.price('mystery-model-9', {
        inputTokens: 1_000_000,
        outputTokens: 500_000,
        cacheReadTokens: 0,
        cacheWriteTokens: 0,
      }).costUsd,
    ).toBe(2);
    expect(table.lookup('claude-sonnet-4-5-20250929')?.id).toBe('claude-sonnet-4-5');
    writeFileSync(file, JSON.stringify({ models: { broken: { input: 'cheap' } } }));
    expect(() => PriceTable.load(file)).toThrow(/invalid at models\.broken\.input/);
  });
});
