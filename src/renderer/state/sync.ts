import { EVENT_NAMES } from '../../shared/ipc/methods';
import type { EventName, EventOf } from '../../shared/ipc/contract';
import { api, connection } from '../api/client';
import { applyEvents, applySnapshot, useAppStore, type PendingEvent } from './app-store';

let fetching: Promise<void> | null = null;

/** Fetches the snapshot; events that arrive meanwhile are applied on top by seq. */
export function refetchSnapshot(): Promise<void> {
  fetching ??= (async () => {
    const res = await api.app.snapshot({});
    if (res.ok) applySnapshot(res.value);
    else
      useAppStore.setState({
        loading: false,
        error: `Could not load the app state: ${res.error.message} Reload the page to retry.`,
      });
  })().finally(() => {
    fetching = null;
  });
  return fetching;
}

// Pushed events are queued and folded into the store once per animation frame, so a
// burst of hundreds of events per second costs one render per frame, not one per event.
// A timer backs the frame up because hidden windows get no animation frames.
const queue: PendingEvent[] = [];
let flushScheduled = false;
const FLUSH_FALLBACK_MS = 100;

function scheduleFlush(): void {
  if (flushScheduled) return;
  flushScheduled = true;
  let done = false;
  const run = () => {
    if (done) return;
    done = true;
    flushScheduled = false;
    flush();
  };
  if (typeof requestAnimationFrame === 'function') requestAnimationFrame(run);
  setTimeout(run, FLUSH_FALLBACK_MS);
}

function flush(): void {
  if (fetching) {
    // The snapshot being fetched may or may not include these events; re-check after it lands.
    void fetching.then(scheduleFlush);
    return;
  }
  const batch = queue.splice(0, queue.length);
  if (!applyEvents(batch)) {
    useAppStore.setState((s) => ({ resyncs: s.resyncs + 1 }));
    void refetchSnapshot();
  }
}

/** Wires pushed events and connection changes into the store. Push, never poll. */
export function startSync(): () => void {
  const offs = EVENT_NAMES.map((name) =>
    api.on(name, (payload, meta) => {
      queue.push({ name, payload: payload as EventOf<EventName>, seq: meta.seq });
      scheduleFlush();
    }),
  );
  const offConn = connection.onChange((state, detail) => {
    useAppStore.setState({ connection: state, connectionDetail: detail });
    if (state === 'open') void refetchSnapshot();
  });
  useAppStore.setState({ connection: connection.state });
  if (connection.state === 'open') void refetchSnapshot();
  return () => {
    offs.forEach((off) => off());
    offConn();
  };
}
