import { fleetUnavailable } from '../../../shared/ipc/fleet';
import type { Store } from '../../store';
import { repositories } from '../../store/repos';
import { pipelineRepo } from '../../store/repos/pipeline-repo';
import { runsOnFleet } from '../checkpointer';
import type { EventBus } from '../events';
import type { Orchestrator, StartSessionRequest } from '../orchestrator';
import { OrchestratorError } from '../orchestrator/errors';
import type { SessionConfig } from '../orchestrator/session-config';
import type { SessionProjection } from '../orchestrator/session-ui';
import type { WaveSettings } from '../settings/wave-settings';
import type { FleetSessionEnd } from './fleet-coordinator';

/** A fleet session this process coordinates. */
export interface FleetSession {
  sessionId: string;
  config: SessionConfig;
  /** How the session ended; null when close() came first. Rejects only when the coordinator failed. */
  done: Promise<FleetSessionEnd | null>;
  /** Stops coordinating here (the session stays as it is in the store) and closes the queue; safe twice. */
  close(): Promise<void>;
}

/** Why this process cannot start a fleet session (the fleet rule, on its settings), or null. */
export function fleetUnavailableHere(settings: Pick<WaveSettings, 'databaseUrl' | 'redisUrl'>): string | null {
  return fleetUnavailable({ postgres: !!settings.databaseUrl, redis: !!settings.redisUrl });
}

/** Refuses (precondition_failed, saying what to set) where this process cannot reach a fleet. */
function requireFleet(settings: Pick<WaveSettings, 'databaseUrl' | 'redisUrl'>): void {
  const unavailable = fleetUnavailableHere(settings);
  if (unavailable) throw new OrchestratorError('precondition_failed', unavailable);
}

export type FleetDeps = {
  orchestrator: Orchestrator;
  store: Store;
  bus: EventBus;
  settings: Pick<WaveSettings, 'databaseUrl' | 'redisUrl' | 'redisPrefix'>;
  log(line: string): void;
};

/**
 * Starts a session on the fleet, for `wave run --fleet` and the window's `session.start` with
 * `fleet`: the orchestrator creates and plans it (refusing without project.remote), and a
 * FleetCoordinator runs in the background, handing its story runs to `wave worker` processes
 * through the queue and pushing what the workers report to the orchestrator's sink (the
 * windows, the CLI's renderer). Refuses without DATABASE_URL and REDIS_URL.
 */
export async function startFleetSession(deps: FleetDeps, req: StartSessionRequest): Promise<FleetSession> {
  requireFleet(deps.settings);
  return coordinate(deps, await deps.orchestrator.createFleetSession(req));
}

/**
 * Continues a fleet session (stopped, paused for its budget, or left by a coordinator that is
 * gone) with this process as its coordinator, for `wave resume` and the window's Resume. No
 * recovery reset: a worker resumes each story run from its last checkpoint when it takes it,
 * and a story run a worker still holds stays with it; stopped and blocked story runs wait for a
 * worker again, and `budgetUsd` (when given) is the session's new budget.
 */
export async function resumeFleetSession(
  deps: FleetDeps,
  sessionId: string,
  req: { budgetUsd?: number | null; actor?: string } = {},
): Promise<FleetSession> {
  requireFleet(deps.settings);
  const { row, config, ui } = await deps.orchestrator.continueOnFleet(sessionId);
  if (!runsOnFleet(row.config))
    throw new OrchestratorError('precondition_failed', `Session ${sessionId} does not run on the fleet.`);
  if (row.status === 'completed')
    throw new OrchestratorError('precondition_failed', `Session ${sessionId} completed; there is nothing to resume.`);
  const fresh = await pipelineRepo(deps.store).updateConfig(
    sessionId,
    config as unknown as Record<string, unknown>,
    req.budgetUsd,
  );
  if (!fresh) throw new OrchestratorError('not_found', `Session ${sessionId} disappeared from the store.`);
  const repos = repositories(deps.store);
  const requeued = await repos.storyRuns.requeueHalted(sessionId);
  await repos.audit.append({
    actor: req.actor ?? 'wave',
    action: 'session.resume',
    subjectType: 'session',
    subjectId: sessionId,
    detail: { fleet: true, requeued, budgetUsd: fresh.budgetUsd === null ? null : Number(fresh.budgetUsd) },
  });
  deps.log(
    `Session ${sessionId} continues on the fleet: ${requeued} stopped or blocked story run(s) wait for a worker again.`,
  );
  return coordinate(deps, { sessionId, config, ui });
}

/** Runs a FleetCoordinator for the session in the background. */
async function coordinate(
  deps: FleetDeps,
  { sessionId, config, ui }: { sessionId: string; config: SessionConfig; ui: SessionProjection },
): Promise<FleetSession> {
  // BullMQ loads when a fleet session starts, not with every process that may start one.
  const [{ FleetDispatcher }, { FleetCoordinator }] = await Promise.all([
    import('./dispatch'),
    import('./fleet-coordinator'),
  ]);
  const dispatcher = new FleetDispatcher(deps.settings.redisUrl!, deps.settings.redisPrefix);
  const coordinator = new FleetCoordinator({
    store: deps.store,
    bus: deps.bus,
    dispatcher,
    sessionId,
    config,
    ui,
    log: deps.log,
  });
  const done = coordinator
    .run()
    .finally(() =>
      dispatcher.close().catch((e: unknown) => deps.log(`closing the fleet queue failed: ${(e as Error).message}`)),
    );
  let closing: Promise<void> | null = null;
  return {
    sessionId,
    config,
    done,
    close() {
      closing ??= (async () => {
        coordinator.close();
        await done.catch(() => undefined);
      })();
      return closing;
    },
  };
}
