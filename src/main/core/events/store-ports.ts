import type { Store } from '../../store';
import { DeadLettersRepo, DedupRepo, EventOutboxRepo, LatencyRepo } from '../../store/repos';
import type { EventBusLog, EventStorePorts } from './ports';
import { silentLog } from './ports';

/** The store's tables as the bus's outbox, dedup, dead letters and latency history (see store/repos/events-repo). */
export function storeEventPorts(store: Store, log: EventBusLog = silentLog): EventStorePorts {
  return {
    outbox: new EventOutboxRepo(store, log),
    dedup: new DedupRepo(store),
    deadLetters: new DeadLettersRepo(store),
    latency: new LatencyRepo(store),
  };
}
