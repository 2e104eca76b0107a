import { fleetWorkerState, type FleetView } from '../../../shared/ipc/fleet';
import type { Store } from '../../store';
import { repositories } from '../../store/repos';
import type { ControlChannel } from '../control';
import { OrchestratorError } from '../orchestrator/errors';

/** A worker's heartbeat interval when its row does not say (a third of the default 15 s lease). */
export const DEFAULT_HEARTBEAT_MS = 5_000;

/** The running `wave worker` processes of the store, as `wave workers` and the fleet view show them. */
export async function fleetView(store: Store): Promise<FleetView> {
  const rows = await repositories(store).fleetWorkers.running();
  return {
    workers: rows.map((r) => {
      const heartbeatMs = r.stats.heartbeatMs ?? DEFAULT_HEARTBEAT_MS;
      return {
        id: r.id,
        name: r.name,
        host: r.host,
        pid: r.pid,
        version: r.version,
        concurrency: r.concurrency,
        storyRuns: r.stats.storyRuns,
        heartbeatAgeMs: Math.max(0, Math.round(r.heartbeatAgeMs)),
        heartbeatMs,
        cpu: r.stats.cpu,
        memoryBytes: r.stats.memoryBytes,
        agentsAlive: r.stats.agentsAlive,
        draining: r.draining,
        state: fleetWorkerState({
          draining: r.draining,
          drainingSeen: r.stats.draining ?? false,
          storyRuns: r.stats.storyRuns.length,
          heartbeatAgeMs: r.heartbeatAgeMs,
          heartbeatMs,
        }),
        startedAt: r.startedAt.toISOString(),
      };
    }),
  };
}

/** How long `drainWorker` waits for the worker to confirm before answering with the request alone. */
export const DRAIN_CONFIRM_MS = 5_000;

/**
 * Asks a worker (by name or id) to drain (finish its story runs, take none) or to take story
 * runs again: its row says so (the worker obeys at its heartbeat) and the control channel tells
 * it at once; waits up to `confirmMs` for the worker's heartbeat that confirms it. Answers the
 * fleet as it is then; refuses a name no running worker has.
 */
export async function drainWorker(
  store: Store,
  channel: ControlChannel | null,
  worker: string,
  draining: boolean,
  confirmMs = DRAIN_CONFIRM_MS,
): Promise<FleetView> {
  let confirmed!: () => void;
  const confirmation = new Promise<void>((r) => (confirmed = r));
  const sub = await channel
    ?.subscribe((env) => {
      const m = env.message;
      if (m.kind === 'fleet-worker' && (m.workerId === worker || m.name === worker) && m.draining === draining)
        confirmed();
    })
    .catch(() => null);
  try {
    const changed = await repositories(store).fleetWorkers.setDraining(worker, draining);
    if (changed === 0)
      throw new OrchestratorError(
        'not_found',
        `No running worker is named ${JSON.stringify(worker)}. List the workers with: wave workers`,
      );
    if (sub) {
      await channel?.publish({ kind: 'fleet-drain', worker, draining }).catch(() => undefined);
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([confirmation, new Promise<void>((r) => (timer = setTimeout(r, confirmMs)))]);
      clearTimeout(timer);
    }
    return await fleetView(store);
  } finally {
    sub?.dispose();
  }
}
