import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { EventDraft } from '../../../shared/events';
import type { Store, StoryRun } from '../../store';
import { pendingReviewFeedback } from '../review/review-feedback';
import type { StoryRunPort } from '../../store/repos/pipeline-repo';
import type { Checkpointer } from '../checkpointer';
import type { Executor } from '../executor';
import type { PrdService } from '../prd';
import type { ResolvedPreset } from './agent-presets';
import { latestDomainOverride, type DomainOverrideGrant } from './domain-override';
import { mergeApprovalState, requestMergeApproval, type MergeApproval } from './merge-approval';
import type { StopRequest } from './run-state';
import type { SessionConfig } from './session-config';
import type { SessionFiles } from './session-files';

/** What a story reads of its session's state while it runs. */
export interface StorySignals {
  /** True once an emergency stop began: no gate starts, in-flight results count as stopped. */
  readonly stopping: boolean;
  readonly stopReason: string;
  /** True once the budget is used up: no agent phase starts. */
  readonly budgetExhausted: boolean;
  /** Pauses the session for the budget (idempotent). */
  pauseForBudget(): void;
  addCost(costUsd: number): void;
}

/** Where a story's news goes: the event bus, the UI, the log. */
export interface StoryOutbox {
  publish(draft: EventDraft): Promise<void>;
  setProgress(storyRunId: string, progress: { message: string; pct: number | null } | null): void;
  /** An agent's progress line: set and pushed to the windows at once (story.progress). */
  progressed(storyRunId: string, storyId: string, progress: { message: string; pct: number | null }): void;
  storyChanged(storyRunId: string): void;
  notice(kind: 'escalation', title: string, body: string): void;
  log(line: string): void;
}

/** A lead's decisions about a story (audit log): domain overrides and merge approvals. */
export interface DecisionsPort {
  latestDomainOverride(storyId: string): Promise<DomainOverrideGrant | null>;
  approvedMerge(storyId: string): Promise<MergeApproval | null>;
  requestMergeApproval(at: {
    storyId: string;
    storyRunId: string;
    headSha: string;
    branch: string | null;
  }): Promise<void>;
  /** A lead's review the next develop phase must answer (Request changes, queued comments): its feedback file and the reviewed commit. */
  pendingReview(run: StoryRun): Promise<{ feedbackFile: string; headSha: string | null } | null>;
}

/** What a story pipeline gets from the session that runs it. */
export interface StoryEnv {
  readonly sessionId: string;
  readonly config: SessionConfig;
  readonly files: SessionFiles;
  readonly checkpointer: Checkpointer;
  readonly repo: StoryRunPort;
  readonly decisions: DecisionsPort;
  readonly executor: Executor;
  readonly preset: ResolvedPreset;
  readonly prds: PrdService;
  /** Extra environment for agents and commands (tests tag their processes with it). */
  readonly agentEnv: Record<string, string>;
  /** Overrides the story's per-phase timeout (tests). */
  readonly phaseTimeoutMs: number | null;
  readonly signals: StorySignals;
  readonly out: StoryOutbox;
}

/** A line of WAVE's own in a gate log; a log line is not worth failing a gate for. */
export function noteInLog(logPath: string, text: string): void {
  try {
    mkdirSync(dirname(logPath), { recursive: true });
    appendFileSync(logPath, `[wave] ${new Date().toISOString()} ${text}\n`);
  } catch {
    // Best effort.
  }
}

/** A StoryEnv over a session's parts: what each story pipeline gets instead of the session. */
export function storyEnvOf(
  p: Omit<StoryEnv, 'decisions' | 'signals'> & {
    store: Store;
    signals: {
      stopRequest: () => StopRequest | null;
      budget: { readonly exhausted: boolean; pause(): void; add(costUsd: number): void };
    };
  },
): StoryEnv {
  const { store, sessionId, signals, ...rest } = p;
  return {
    ...rest,
    sessionId,
    decisions: {
      latestDomainOverride: (storyId) => latestDomainOverride(store, sessionId, storyId),
      approvedMerge: async (storyId) => (await mergeApprovalState(store, sessionId, storyId)).approved,
      requestMergeApproval: (at) => requestMergeApproval(store, { sessionId, ...at }),
      pendingReview: (run) => pendingReviewFeedback(store, run, rest.files),
    },
    signals: {
      get stopping() {
        return signals.stopRequest() !== null;
      },
      get stopReason() {
        return signals.stopRequest()?.reason ?? '';
      },
      get budgetExhausted() {
        return signals.budget.exhausted;
      },
      pauseForBudget: () => signals.budget.pause(),
      addCost: (costUsd) => signals.budget.add(costUsd),
    },
  };
}
