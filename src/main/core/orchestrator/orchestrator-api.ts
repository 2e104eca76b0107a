import type { Store } from '../../store';
import { RecoveryError, type StrategyChoice } from '../checkpointer';
import type { ControlChannel } from '../control';
import type { EventBus } from '../events';
import { OrchestratorError, type OrchestratorErrorCode } from './errors';
import type { SessionOutcome } from './session-outcome';
import type { EventSink } from './session-ui';

/* What the Orchestrator facade (orchestrator.ts) is given and answers, and how its errors read. */

export interface OrchestratorOptions {
  /** Extra environment for agent processes and QA commands (tests tag their processes with it). */
  agentEnv?: Record<string, string>;
  /** Replaces execution.timeout_minutes for every agent phase and command (tests). */
  phaseTimeoutMs?: number;
  /** SIGTERM → SIGKILL grace when stopping agents (default 2 s). */
  graceMs?: number;
  /** How often the kill switch and stop requests from other processes are checked (default 250 ms). */
  controlIntervalMs?: number;
  heartbeatMs?: number;
  leaseMs?: number;
  /** story.changed is pushed at most once per this interval per story (default 100 ms); the last state is never dropped. */
  storyChangeIntervalMs?: number;
  /** metrics.tick period while a session runs (default 1 s). */
  metricsIntervalMs?: number;
  /** A user price table layered over the bundled one. */
  priceFile?: string;
  /** Identity of the merge commits WAVE makes. */
  committer?: { name: string; email: string };
}

export interface OrchestratorDeps {
  store: Store;
  bus: EventBus;
  /** Pushed UI events (session.changed, story.changed, stop.progress, notice, metrics.tick). */
  hub?: EventSink | null;
  dataDir: string;
  /** The control channel between processes: stop requests arrive on it, the session's UI events go out on it. */
  control?: ControlChannel | null;
  env?: NodeJS.ProcessEnv;
  log?: (line: string) => void;
  options?: OrchestratorOptions;
}

export interface ResumeRequest extends StrategyChoice {
  perStory?: Record<string, StrategyChoice>;
  /** Apply the strategy to these stories only (by story id). */
  onlyStories?: string[];
  includeFailed?: boolean;
  force?: boolean;
  actor?: string;
  /** A new budget (e.g. to continue a session paused by its budget); null = no limit. */
  budgetUsd?: number | null;
}

/** A session this process drives; `done` settles when it completes, fails, pauses or stops. */
export interface SessionHandle {
  sessionId: string;
  done: Promise<SessionOutcome>;
}

export function recoveryToOrchestrator(e: unknown): never {
  if (e instanceof RecoveryError) {
    const code: OrchestratorErrorCode =
      e.code === 'not_found'
        ? 'not_found'
        : e.code === 'busy' || e.code === 'stale'
          ? 'conflict'
          : e.code === 'bad_request'
            ? 'invalid_request'
            : 'precondition_failed';
    throw new OrchestratorError(code, e.message);
  }
  throw e;
}

/** A decision is kept when the resume after it fails; the error must say so (it applies on the next resume). */
export function recordedButNotResumed(what: string): (e: unknown) => never {
  return (e) => {
    const message = `The ${what} is recorded and applies when the session resumes, but it could not be resumed now: ${(e as Error).message}`;
    if (e instanceof OrchestratorError) throw new OrchestratorError(e.code, message);
    throw new Error(message, { cause: e });
  };
}
