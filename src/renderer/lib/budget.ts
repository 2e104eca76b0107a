import { pct, usd } from './format';

/** Spend against budget: amber from 80 %, red from 100 %, and always said in words too. */
export function budgetLevel(
  spent: number,
  budget: number | null,
): { level: 'ok' | 'warn' | 'over' | 'none'; text: string } {
  if (budget === null || budget <= 0) return { level: 'none', text: 'no budget set' };
  const ratio = spent / budget;
  if (ratio >= 1) return { level: 'over', text: `over budget (${pct(ratio * 100)})` };
  if (ratio >= 0.8) return { level: 'warn', text: `${pct(ratio * 100)} of budget — nearly spent` };
  return { level: 'ok', text: `${pct(ratio * 100)} of budget` };
}

/**
 * The budget every view shows: the session's own, or, before there is a session, the one
 * Settings gives the next session. Header and Charts both read it here.
 */
export function shownBudget(
  session: { budgetUsd: number | null } | null,
  settings: { budgetUsd: number | null } | null,
): { usd: number | null; label: string } {
  if (session)
    return {
      usd: session.budgetUsd,
      label: session.budgetUsd !== null ? `budget ${usd(session.budgetUsd)}` : 'no budget',
    };
  const next = settings?.budgetUsd ?? null;
  return { usd: next, label: next !== null ? `budget ${usd(next)} (next session, from Settings)` : 'no budget' };
}
