import { countTokens as countO200k } from 'gpt-tokenizer/encoding/o200k_base';

/** Special tokens (`<|endoftext|>`…) are text in a source file: counted as such, never refused. */
const AS_TEXT = { disallowedSpecial: new Set<string>() };

/**
 * Tokens of a text by a real BPE tokenizer (OpenAI's o200k_base, from gpt-tokenizer).
 * Anthropic publishes no tokenizer for its current models; o200k counts source code
 * within a few percent of what the API reports, which is what a budget needs.
 */
export function countTokens(text: string): number {
  return countO200k(text, AS_TEXT);
}

/** The tokenizer's name, for the pack's JSON. */
export const TOKENIZER = 'o200k_base';
