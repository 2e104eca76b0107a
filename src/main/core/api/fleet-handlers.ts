import type { Store } from '../../store';
import type { ControlChannel } from '../control';
import { drainWorker, fleetView } from '../fleet/fleet-view';
import { OrchestratorError } from '../orchestrator/errors';
import { AppError } from '../rpc';
import type { DomainHandlers } from './types';

/** fleet.workers and fleet.drain: the fleet's read model and a worker's drain, as `wave workers` has them. */
export function fleetHandlers(deps: { store: Store; control: ControlChannel }): DomainHandlers<'fleet'> {
  return {
    'fleet.workers': () => fleetView(deps.store),
    'fleet.drain': (req) =>
      drainWorker(deps.store, deps.control, req.worker, req.draining).catch((e: unknown) => {
        if (e instanceof OrchestratorError) throw new AppError(e.code, e.message);
        throw e;
      }),
  };
}
