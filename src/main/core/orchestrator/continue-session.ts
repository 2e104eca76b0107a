import type { Store } from '../../store';
import type { StrategyChoice } from '../checkpointer';
import type { EventBus } from '../events';
import { Orchestrator, type OrchestratorOptions } from './orchestrator';
import type { SessionOutcome } from './session-outcome';
import type { EventSink } from './session-run';

/** Built by hand over an opened store and bus (tests of the orchestrator). */
export interface ContinueSessionParts {
  store: Store;
  bus: EventBus;
  dataDir: string;
  env?: NodeJS.ProcessEnv;
  options?: OrchestratorOptions;
}

/** What continueSession needs from the core services of createCoreServices: a new orchestrator. */
export interface OrchestratorSource {
  orchestrator(hub: EventSink | null, opts?: { log?: (line: string) => void }): Promise<Orchestrator>;
}

/**
 * From the composition root: `core` is the CLI's CoreServices. The parts are the
 * alternative for tests that open a store and bus themselves.
 */
export type ContinueSessionOptions = ContinueSessionRequest & ({ core: OrchestratorSource } | ContinueSessionParts);

export interface ContinueSessionRequest {
  sessionId: string;
  /** Default resume_from_last. */
  strategy?: StrategyChoice['strategy'];
  /** With resume_from_gate: the gate to run again first ("gate-N"). */
  gate?: string;
  perStory?: Record<string, StrategyChoice>;
  /** Apply the strategy to these stories only. */
  onlyStories?: string[];
  /** Also retry failed and escalated stories. */
  includeFailed?: boolean;
  /** Resume even if its recorded owner looks alive (the lead knows that process is gone). */
  force?: boolean;
  /** A new budget (e.g. after a budget pause); null = no limit. */
  budgetUsd?: number | null;
  actor?: string;
  log?: (line: string) => void;
  /** Receives session.changed, story.changed, notice, stop.progress, metrics.tick. */
  hub?: EventSink | null;
  /** Called once the session is claimed and running: e.g. to wire SIGINT to an emergency stop. */
  onStarted?: (control: { sessionId: string; stop(reason?: string): Promise<unknown> }) => void;
}

/**
 * Continues a stopped, paused or interrupted session in this process and resolves when it
 * ends (completed, failed, paused or stopped again): applies the strategy, stops agents a
 * dead owner left, reconciles worktrees and branches, re-runs a gate that was in flight
 * from a clean worktree, and never merges a story twice. For `wave resume`.
 */
export async function continueSession(opts: ContinueSessionOptions): Promise<SessionOutcome> {
  const orchestrator =
    'core' in opts
      ? await opts.core.orchestrator(opts.hub ?? null, { log: opts.log })
      : new Orchestrator({
          store: opts.store,
          bus: opts.bus,
          hub: opts.hub ?? null,
          dataDir: opts.dataDir,
          env: opts.env,
          log: opts.log,
          options: opts.options,
        });
  try {
    const handle = await orchestrator.resume(opts.sessionId, {
      strategy: opts.strategy ?? 'resume_from_last',
      gate: opts.gate,
      perStory: opts.perStory,
      onlyStories: opts.onlyStories,
      includeFailed: opts.includeFailed,
      force: opts.force,
      actor: opts.actor,
      budgetUsd: opts.budgetUsd,
    });
    opts.onStarted?.({
      sessionId: handle.sessionId,
      stop: (reason) => orchestrator.stop(handle.sessionId, { reason, by: opts.actor ?? 'wave' }),
    });
    return await handle.done;
  } finally {
    await orchestrator.dispose();
  }
}
