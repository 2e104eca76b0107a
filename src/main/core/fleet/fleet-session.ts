import { fleetUnavailable } from '../../../shared/ipc/fleet';
import type { Store } from '../../store';
import type { EventBus } from '../events';
import type { Orchestrator, StartSessionRequest } from '../orchestrator';
import { OrchestratorError } from '../orchestrator/errors';
import type { SessionConfig } from '../orchestrator/session-config';
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

/**
 * Starts a session on the fleet, for `wave run --fleet` and the window's `session.start` with
 * `fleet`: the orchestrator creates and plans it (refusing without project.remote), and a
 * FleetCoordinator runs in the background, handing its story runs to `wave worker` processes
 * through the queue and pushing what the workers report to the orchestrator's sink (the
 * windows, the CLI's renderer). Refuses without DATABASE_URL and REDIS_URL.
 */
export async function startFleetSession(
  deps: {
    orchestrator: Orchestrator;
    store: Store;
    bus: EventBus;
    settings: Pick<WaveSettings, 'databaseUrl' | 'redisUrl' | 'redisPrefix'>;
    log(line: string): void;
  },
  req: StartSessionRequest,
): Promise<FleetSession> {
  const unavailable = fleetUnavailableHere(deps.settings);
  if (unavailable) throw new OrchestratorError('precondition_failed', unavailable);
  // BullMQ loads when a fleet session starts, not with every process that may start one.
  const [{ FleetDispatcher }, { FleetCoordinator }] = await Promise.all([
    import('./dispatch'),
    import('./fleet-coordinator'),
  ]);
  const { sessionId, config, ui } = await deps.orchestrator.createFleetSession(req);
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
