import { roundUsd, type PriceTable } from '../pricing';
import type { AgentUsageLine as AgentUsageEvent } from '../../../shared/events';

/** Tokens and cost of one model within a gate run. */
export interface ModelUsageTotals {
  model: string;
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  /** null when some of this model's usage could not be priced (unknown model). */
  costUsd: number | null;
}

export interface UsageSummary {
  models: ModelUsageTotals[];
  /** Total cost; null as soon as any part is unknown (see knownCostUsd and warnings). */
  totalCostUsd: number | null;
  /** Sum of the parts whose cost is known. */
  knownCostUsd: number;
  warnings: string[];
}

export const EMPTY_USAGE: UsageSummary = Object.freeze({
  models: [],
  totalCostUsd: 0,
  knownCostUsd: 0,
  warnings: [],
}) as UsageSummary;

/** Adds up usage per model; usage without a cost is priced from the table. */
export class UsageAccumulator {
  private readonly models = new Map<string, ModelUsageTotals>();
  private readonly warnings = new Set<string>();

  constructor(private readonly prices: PriceTable) {}

  /** Adds one usage report and returns its cost (given or priced; null when unknown). */
  add(usage: {
    model: string;
    inputTokens: number;
    outputTokens: number;
    cacheReadTokens: number;
    cacheWriteTokens: number;
    costUsd?: number | null;
  }): number | null {
    let cost = usage.costUsd ?? null;
    if (usage.costUsd === undefined || usage.costUsd === null) {
      const priced = this.prices.price(usage.model, usage);
      cost = priced.costUsd;
      if (priced.warning) this.warnings.add(priced.warning);
    }
    const totals = this.models.get(usage.model) ?? {
      model: usage.model,
      inputTokens: 0,
      outputTokens: 0,
      cacheReadTokens: 0,
      cacheWriteTokens: 0,
      costUsd: 0,
    };
    totals.inputTokens += usage.inputTokens;
    totals.outputTokens += usage.outputTokens;
    totals.cacheReadTokens += usage.cacheReadTokens;
    totals.cacheWriteTokens += usage.cacheWriteTokens;
    totals.costUsd = totals.costUsd === null || cost === null ? null : roundUsd(totals.costUsd + cost);
    this.models.set(usage.model, totals);
    return cost;
  }

  addEvent(event: AgentUsageEvent): number | null {
    return this.add({
      model: event.model,
      inputTokens: event.input_tokens,
      outputTokens: event.output_tokens,
      cacheReadTokens: event.cache_read_tokens ?? 0,
      cacheWriteTokens: event.cache_write_tokens ?? 0,
      costUsd: event.cost_usd,
    });
  }

  warn(message: string): void {
    this.warnings.add(message);
  }

  summary(): UsageSummary {
    const models = [...this.models.values()].map((m) => ({ ...m }));
    const known = roundUsd(models.reduce((sum, m) => sum + (m.costUsd ?? 0), 0));
    return {
      models,
      totalCostUsd: models.some((m) => m.costUsd === null) ? null : known,
      knownCostUsd: known,
      warnings: [...this.warnings],
    };
  }
}

/** Several runs' usage as one (an agent phase and its subagents): models side by side, costs added. */
export function combineUsage(parts: readonly UsageSummary[]): UsageSummary {
  return {
    models: parts.flatMap((p) => p.models),
    totalCostUsd: parts.some((p) => p.totalCostUsd === null)
      ? null
      : roundUsd(parts.reduce((s, p) => s + (p.totalCostUsd ?? 0), 0)),
    knownCostUsd: roundUsd(parts.reduce((s, p) => s + p.knownCostUsd, 0)),
    warnings: parts.flatMap((p) => p.warnings),
  };
}
