import { describe, expect, it } from 'vitest';
import { PriceTable } from './price-table';

const usage = (inputTokens: number, outputTokens: number, cacheReadTokens = 0, cacheWriteTokens = 0) => ({
  inputTokens,
  outputTokens,
  cacheReadTokens,
  cacheWriteTokens,
});

describe('PriceTable', () => {
  const table = PriceTable.load();

  it('prices every token kind per million, matching dated ids and aliases', () => {
    // claude-sonnet-4-5: input 3, output 15, cache read 0.3, cache write 3.75
    expect(table.price('claude-sonnet-4-5-20250929', usage(1_000_000, 100_000, 2_000_000, 400_000))).toEqual({
      costUsd: 3 + 1.5 + 0.6 + 1.5,
      pricedAs: 'claude-sonnet-4-5',
    });
    expect(table.price('sonnet', usage(0, 1_000_000)).costUsd).toBe(15);
  });

  it('prices an unknown model as unknown (null) with a warning, never 0', () => {
    const priced = table.price('gpt-imaginary', usage(10, 10));
    expect(priced.costUsd).toBeNull();
    expect(priced.warning).toContain('gpt-imaginary');
  });
});
