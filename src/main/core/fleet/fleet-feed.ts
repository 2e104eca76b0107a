import { SILENT_AFTER_HEARTBEATS, type FleetView } from '../../../shared/ipc/fleet';
import { toDisposable, type Disposable } from '../../../shared/lifecycle';
import type { Store } from '../../store';
import type { ControlChannel } from '../control';
import { fleetView } from './fleet-view';

/**
 * Pushes the fleet to the windows of this process (`fleet.changed`): the workers are re-read
 * from the store whenever one of them says something on the control channel (a heartbeat, a
 * drain, a STOP answer), at most one read at a time (news during a read makes one more), and
 * once more when the next worker that stopped heartbeating turns silent (a timer set for that
 * moment, not a poll).
 */
export async function pushFleetChanges(deps: {
  store: Store;
  channel: ControlChannel;
  publish: (view: FleetView) => void;
  log: (line: string) => void;
}): Promise<Disposable> {
  let reading = false;
  let again = false;
  let silentTimer: NodeJS.Timeout | null = null;
  let closed = false;
  const read = async (): Promise<void> => {
    if (reading) {
      again = true;
      return;
    }
    reading = true;
    try {
      do {
        again = false;
        const view = await fleetView(deps.store);
        if (closed) return;
        deps.publish(view);
        armSilentTimer(view);
      } while (again && !closed);
    } catch (e) {
      deps.log(`could not read the fleet's workers: ${(e as Error).message}`);
    } finally {
      reading = false;
    }
  };
  const armSilentTimer = (view: FleetView) => {
    if (silentTimer) clearTimeout(silentTimer);
    silentTimer = null;
    const waits = view.workers
      .filter((w) => w.state !== 'silent')
      .map((w) => SILENT_AFTER_HEARTBEATS * w.heartbeatMs - w.heartbeatAgeMs);
    if (waits.length === 0) return;
    silentTimer = setTimeout(() => void read(), Math.max(0, Math.min(...waits)) + 50);
    silentTimer.unref();
  };
  const sub = await deps.channel.subscribe((env) => {
    const kind = env.message.kind;
    if (kind === 'fleet-worker' || kind === 'fleet-drain' || kind === 'fleet-stopped') void read();
  });
  return toDisposable(() => {
    closed = true;
    sub.dispose();
    if (silentTimer) clearTimeout(silentTimer);
  });
}
