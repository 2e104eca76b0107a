import { describe, expect, it } from 'vitest';
import { chooseStoryVersion, detectStoryVersion, effectiveExecution } from './version';

describe('story version', () => {
  it('detects 4.3 from context, execution, subtasks or enterprise; 4.2 from design_source; else 4.1', () => {
    for (const k of ['context', 'execution', 'subtasks', 'enterprise'])
      expect(detectStoryVersion({ [k]: {} })).toBe('4.3');
    expect(detectStoryVersion({ design_source: {} })).toBe('4.2');
    expect(detectStoryVersion({ design_source: {}, execution: {} })).toBe('4.3');
    expect(detectStoryVersion({ title: 'x' })).toBe('4.1');
    expect(detectStoryVersion(null)).toBe('4.1');
  });

  it('uses the declared version, except that a "4.2" story using 4.3 fields is checked as 4.3', () => {
    expect(chooseStoryVersion({ schema_version: '4.1', execution: {} }).version).toBe('4.1');
    expect(chooseStoryVersion({ schema_version: '4.2', design_source: {} })).toEqual({
      version: '4.2',
      declared: '4.2',
      note: null,
    });
    const d = chooseStoryVersion({ schema_version: '4.2', validation: {} });
    expect(d.version).toBe('4.3');
    expect(d.note).toContain('validation');
    expect(chooseStoryVersion({ schema_version: '4.2', design_source: { components: [] } }).version).toBe('4.3');
    expect(chooseStoryVersion({ schema_version: '9.9', subtasks: [] })).toEqual({
      version: '4.3',
      declared: null,
      note: null,
    });
  });

  it('fills execution defaults, letting a project override them and a story override the project', () => {
    expect(effectiveExecution({})).toEqual({
      max_retries: 3,
      timeout_minutes: 60,
      model_tier: null,
      checkpoint_frequency: 'per_gate',
    });
    expect(effectiveExecution({}, { max_retries: 1 }).max_retries).toBe(1);
    expect(
      effectiveExecution(
        { execution: { max_retries: 0, checkpoint_frequency: 'per_subtask', model_tier: 'fast' } },
        { max_retries: 1 },
      ),
    ).toEqual({
      max_retries: 0,
      timeout_minutes: 60,
      model_tier: 'fast',
      checkpoint_frequency: 'per_subtask',
    });
  });
});
