import { createRequire } from 'node:module';
import type * as O200k from 'gpt-tokenizer/encoding/o200k_base';

/** Special tokens (`<|endoftext|>`…) are text in a source file: counted as such, never refused. */
const AS_TEXT = { disallowedSpecial: new Set<string>() };

/**
 * The tokenizer's tables are loaded on the first count, not when the core loads: building them
 * takes ~0.5 s of CPU and garbage collection, which every `wave` command paid before (`wave
 * status` never counts a token).
 */
let o200k: typeof O200k | null = null;
function tokenizer(): typeof O200k {
  o200k ??= createRequire(import.meta.url)('gpt-tokenizer/encoding/o200k_base') as typeof O200k;
  return o200k;
}

/**
 * Tokens of a text by a real BPE tokenizer (OpenAI's o200k_base, from gpt-tokenizer).
 * Anthropic publishes no tokenizer for its current models; o200k counts source code
 * within a few percent of what the API reports, which is what a budget needs.
 */
export function countTokens(text: string): number {
  return tokenizer().countTokens(text, AS_TEXT);
}

/** The tokenizer's name, for the pack's JSON. */
export const TOKENIZER = 'o200k_base';
