import { describe, expect, it } from 'vitest';
import { parseAgentLine } from '../../../shared/events';
import { commandPreset } from './command-preset';

const context = {
  sessionId: 'sess',
  storyId: 'S-1',
  gate: 'gate-2',
  phase: 'develop' as const,
  agentId: 'bot',
  worktreePath: '/w/S-1',
  storyFile: '/stories/S 1.json',
  promptFile: '/p/prompt.md',
};

describe('command preset', () => {
  it('substitutes placeholders inside each argument and never joins them', () => {
    const preset = commandPreset([
      'my-agent',
      '--story={storyFile}',
      '{phase}',
      '--feedback',
      '{feedbackFile}',
      '{"json":true}',
    ]);
    expect(preset.invocation(context).argv).toEqual([
      'my-agent',
      '--story=/stories/S 1.json',
      'develop',
      '--feedback',
      '',
      '{"json":true}',
    ]);
  });

  it('rejects unknown placeholders and empty commands at configuration time', () => {
    expect(() => commandPreset(['agent', '{storyfile}'])).toThrow(/unknown placeholder \{storyfile\}/);
    expect(() => commandPreset([])).toThrow(/non-empty list/);
  });
});

describe('agent stdout protocol', () => {
  it('treats JSON objects with a known type as events and everything else as log', () => {
    expect(parseAgentLine('{"type":"progress","message":"half","pct":50}')).toEqual({
      kind: 'event',
      event: { type: 'progress', message: 'half', pct: 50 },
    });
    expect(parseAgentLine('{"type":"signal","signal":"blocked","message":"need a key"}').kind).toBe('event');
    expect(parseAgentLine('compiling…').kind).toBe('log');
    expect(parseAgentLine('{"no":"type"}').kind).toBe('log');
    expect(parseAgentLine('[1,2]').kind).toBe('log');
    expect(parseAgentLine('{broken json}').kind).toBe('log');
    expect(parseAgentLine('{"type":"usage","model":"m","input_tokens":-1,"output_tokens":0}')).toMatchObject({
      kind: 'invalid',
      type: 'usage',
    });
    expect(parseAgentLine('{"type":"teleport"}')).toMatchObject({ kind: 'invalid', type: 'teleport' });
  });
});
