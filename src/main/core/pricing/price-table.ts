import { readFileSync } from 'node:fs';
import { z } from 'zod';
import defaultPrices from './prices.json';

const modelPriceSchema = z.object({
  input: z.number().nonnegative(),
  output: z.number().nonnegative(),
  cache_read: z.number().nonnegative(),
  cache_write: z.number().nonnegative(),
});

/** The price file: USD per million tokens per model id, plus optional aliases. */
export const priceFileSchema = z.object({
  version: z.literal(1).optional(),
  models: z.record(z.string().min(1), modelPriceSchema),
  aliases: z.record(z.string().min(1), z.string().min(1)).optional(),
});

export type ModelPrice = z.infer<typeof modelPriceSchema>;
export type PriceFile = z.infer<typeof priceFileSchema>;

/** Token counts of one model's usage. */
export interface TokenUsage {
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
}

export interface PricedUsage {
  /** null when the model is not in the table: unknown, never silently 0. */
  costUsd: number | null;
  /** The table entry used (after alias and date-suffix resolution). */
  pricedAs: string | null;
  warning?: string;
}

/**
 * Prices token usage that arrives without a cost. Model ids are matched exactly, then
 * through aliases, then without a trailing release date (`claude-sonnet-4-5-20250929` →
 * `claude-sonnet-4-5`). An unknown model yields cost null and a warning.
 */
export class PriceTable {
  private readonly models: Map<string, ModelPrice>;
  private readonly aliases: Map<string, string>;

  constructor(file: PriceFile) {
    this.models = new Map(Object.entries(file.models));
    this.aliases = new Map(Object.entries(file.aliases ?? {}));
  }

  /** The bundled table, with entries of the user's file (if any) replacing it per model. */
  static load(overridePath?: string): PriceTable {
    const base = priceFileSchema.parse(defaultPrices);
    if (!overridePath) return new PriceTable(base);
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(overridePath, 'utf8'));
    } catch (error) {
      throw new Error(
        `Could not read the price table ${overridePath}: ${(error as Error).message}. Fix the file or remove pricing.file from wave.config.json.`,
        {
          cause: error,
        },
      );
    }
    const result = priceFileSchema.safeParse(parsed);
    if (!result.success) {
      const issue = result.error.issues[0]!;
      throw new Error(
        `The price table ${overridePath} is invalid at ${issue.path.join('.') || '(root)'}: ${issue.message}. ` +
          'Each model needs input, output, cache_read and cache_write in USD per million tokens.',
      );
    }
    return new PriceTable({
      models: { ...base.models, ...result.data.models },
      aliases: { ...base.aliases, ...result.data.aliases },
    });
  }

  /** The price entry for a model id, or null when unknown. */
  lookup(model: string): { id: string; price: ModelPrice } | null {
    const candidates = [model, this.aliases.get(model), model.replace(/-\d{8}$/, ''), model.replace(/@\d{8}$/, '')];
    for (const id of candidates) {
      if (!id) continue;
      const aliased = this.aliases.get(id) ?? id;
      const price = this.models.get(aliased);
      if (price) return { id: aliased, price };
    }
    return null;
  }

  price(model: string, usage: TokenUsage): PricedUsage {
    const entry = this.lookup(model);
    if (!entry) {
      return {
        costUsd: null,
        pricedAs: null,
        warning: `No price for model "${model}": its cost is unknown (not counted as 0). Add it to the price table (pricing.file in wave.config.json).`,
      };
    }
    const p = entry.price;
    const cost =
      (usage.inputTokens * p.input +
        usage.outputTokens * p.output +
        usage.cacheReadTokens * p.cache_read +
        usage.cacheWriteTokens * p.cache_write) /
      1_000_000;
    return { costUsd: roundUsd(cost), pricedAs: entry.id };
  }
}

/** Rounds to a millionth of a dollar, so sums do not drift with float noise. */
export function roundUsd(value: number): number {
  return Math.round(value * 1_000_000) / 1_000_000;
}
