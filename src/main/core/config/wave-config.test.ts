import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { validateStoryText } from '../stories/validate-story';
import { parsePrdText } from '../prd/prd-parser';
import { exampleStory, examplePrd, starterWaveConfig } from './starter';
import { DEFAULT_WAVE_CONFIG, loadWaveConfig, validateWaveConfigText, WaveConfigError } from './wave-config';

describe('wave.config.json', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wave-config-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('applies every default to an empty object and to a missing file', async () => {
    expect(validateWaveConfigText('{}').config).toEqual(DEFAULT_WAVE_CONFIG);
    const loaded = await loadWaveConfig(dir);
    expect(loaded.found).toBe(false);
    expect(loaded.config).toEqual(DEFAULT_WAVE_CONFIG);
  });

  it('keeps the order of the QA commands and merges partial blocks with defaults', () => {
    const r = validateWaveConfigText(
      JSON.stringify({
        qa: { test: ['npm', 'test'], build: ['npm', 'run', 'build'] },
        merge: { strategy: 'ff' },
        budgetUsd: null,
      }),
    );
    expect(r.valid).toBe(true);
    expect(Object.keys(r.config!.qa)).toEqual(['test', 'build']);
    expect(r.config!.merge).toEqual({ strategy: 'ff', requireApproval: false });
    expect(r.config!.budgetUsd).toBeNull();
  });

  it('reads the retention of snapshots (backups), with defaults, and refuses a retention of zero', () => {
    expect(DEFAULT_WAVE_CONFIG.backups).toEqual({ keepDays: 30, keepPerStory: 20 });
    expect(validateWaveConfigText(JSON.stringify({ backups: { keepDays: 7 } })).config!.backups).toEqual({
      keepDays: 7,
      keepPerStory: 20,
    });
    const r = validateWaveConfigText('{\n  "backups": { "keepPerStory": 0 }\n}\n', 'wave.config.json');
    expect(r.valid).toBe(false);
    expect(r.errors[0]).toMatchObject({ pointer: '/backups/keepPerStory', line: 2 });
  });

  it('reads the context budget (context.budgetTokens), 50000 by default, and refuses a budget too small for any pack', () => {
    expect(DEFAULT_WAVE_CONFIG.context).toEqual({ budgetTokens: 50_000 });
    expect(validateWaveConfigText(JSON.stringify({ context: { budgetTokens: 8000 } })).config!.context).toEqual({
      budgetTokens: 8000,
    });
    const r = validateWaveConfigText('{\n  "context": { "budgetTokens": 10 }\n}\n', 'wave.config.json');
    expect(r.valid).toBe(false);
    expect(r.errors[0]).toMatchObject({ pointer: '/context/budgetTokens', line: 2 });
    const typo = validateWaveConfigText(JSON.stringify({ context: { budget: 8000 } }));
    expect(typo.warnings[0]?.suggestion).toContain('budgetTokens');
  });

  it('explains a shell string where an argument list is expected', () => {
    const r = validateWaveConfigText(
      '{\n  "qa": {\n    "test": "npm test && npm run lint"\n  }\n}\n',
      'wave.config.json',
    );
    expect(r.valid).toBe(false);
    const e = r.errors[0]!;
    expect([e.pointer, e.line, e.column]).toEqual(['/qa/test', 3, 13]);
    expect(e.suggestion).toContain('["npm","test","&&","npm","run","lint"]');
    expect(e.suggestion).toContain('never go through a shell');
  });

  it('requires a command for the "command" agent preset, and rejects unknown enum values', () => {
    const r = validateWaveConfigText(
      JSON.stringify({ agent: { preset: 'command' }, merge: { strategy: 'rebase' } }, null, 2),
    );
    expect(r.errors.map((e) => [e.code, e.pointer])).toEqual([
      ['required', '/agent/command'],
      ['enum', '/merge/strategy'],
    ]);
    expect(r.errors[1]!.suggestion).toBe('Use one of: "ff", "merge".');
  });

  it('warns about unknown settings with a did-you-mean and refuses numeric QA names (they would reorder)', () => {
    const r = validateWaveConfigText(JSON.stringify({ concurency: 3, qa: { '1': ['x'] } }, null, 2));
    expect(r.warnings.map((w) => [w.pointer, w.suggestion])).toEqual([['/concurency', 'Did you mean "concurrency"?']]);
    expect(r.errors.map((e) => e.pointer)).toEqual(['/qa/1']);
  });

  it('takes merge.requireApproval: true (gate 7 then waits for a person)', () => {
    const r = validateWaveConfigText('{\n  "merge": {\n    "strategy": "ff",\n    "requireApproval": true\n  }\n}\n');
    expect(r.valid).toBe(true);
    expect(r.config!.merge).toEqual({ strategy: 'ff', requireApproval: true });
  });

  it('loadWaveConfig throws a located error for an invalid file', async () => {
    fs.writeFileSync(path.join(dir, 'wave.config.json'), '{\n  "concurrency": 0\n}\n');
    const err = await loadWaveConfig(dir).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WaveConfigError);
    expect((err as Error).message).toMatch(
      /line 2, column 18: concurrency is the whole number 0; it must be at least 1/,
    );
  });

  it('what wave init writes is valid: the commented config, the example story and PRD', () => {
    const cfg = validateWaveConfigText(JSON.stringify(starterWaveConfig(), null, 2));
    expect(cfg.errors).toEqual([]);
    expect(cfg.warnings).toEqual([]);
    const story = validateStoryText(JSON.stringify(exampleStory(), null, 2));
    expect([story.valid, story.version, story.warnings]).toEqual([true, '4.3', []]);
    const prd = parsePrdText(examplePrd(), 'prd-example.md');
    expect(prd.prd?.storyIds).toEqual(['EXAMPLE-001']);
  });
});
