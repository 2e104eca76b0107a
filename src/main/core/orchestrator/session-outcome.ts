import type { SessionStatus, SessionView, StoryRunStatus } from '../../../shared/ipc';

/** The machine-readable result of a session (`wave run --json`, `wave status --json`, `continueSession`). */
export interface SessionOutcome {
  session: string;
  status: SessionStatus;
  cost_usd: number;
  budget_usd: number | null;
  reason: string | null;
  stories: StoryOutcome[];
}

export interface StoryOutcome {
  id: string;
  status: StoryRunStatus;
  /** The gate the story reached (the one it is at, or ended on). */
  gate: string | null;
  /** StoryRunView.attempts: the most attempts any gate of the story took (2 = one retry, e.g. a QA fix). */
  attempts: number;
  cost_usd: number;
  merge_sha: string | null;
  reason: string | null;
}

export function toSessionOutcome(view: SessionView): SessionOutcome {
  return {
    session: view.id,
    status: view.status,
    cost_usd: view.costUsd,
    budget_usd: view.budgetUsd,
    reason: view.statusReason,
    stories: view.stories.map((s) => ({
      id: s.storyId,
      status: s.status,
      gate: s.currentGate,
      attempts: s.attempts,
      cost_usd: s.costUsd,
      merge_sha: s.mergeSha,
      reason: s.reason,
    })),
  };
}

/** True when the session ended with every story merged (or deliberately skipped). */
export function outcomeSucceeded(o: SessionOutcome): boolean {
  return o.status === 'completed';
}
