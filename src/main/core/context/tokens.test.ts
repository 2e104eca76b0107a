import { describe, expect, it } from 'vitest';
import { countTokens } from './tokens';

describe('countTokens', () => {
  it('counts a file that spells a special token as text instead of refusing it (the pack would not build)', () => {
    const text = 'STOP = "<|endoftext|>"\n';
    expect(countTokens(text)).toBeGreaterThan(countTokens('STOP = ""\n') + 1);
  });
});
