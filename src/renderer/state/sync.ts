import { EVENT_NAMES } from '../../shared/ipc/methods';
import type { EventName, EventOf } from '../../shared/ipc/contract';
import { api, connection } from '../api/client';
import { applyEvent, applySnapshot, useAppStore } from './app-store';

let fetching: Promise<void> | null = null;

/** Fetches the snapshot; events that arrive meanwhile are applied on top by seq. */
export function refetchSnapshot(): Promise<void> {
  fetching ??= (async () => {
    const res = await api.app.snapshot({});
    if (res.ok) applySnapshot(res.value);
    else useAppStore.setState({ loading: false, error: `Could not load the app state: ${res.error.message}` });
  })().finally(() => {
    fetching = null;
  });
  return fetching;
}

/** Wires pushed events and connection changes into the store. Push, never poll. */
export function startSync(): () => void {
  const offs = EVENT_NAMES.map((name) =>
    api.on(name, (payload, meta) => {
      if (fetching) {
        // The snapshot being fetched may or may not include this event; re-check after it lands.
        void fetching.then(() => applyOrResync(name, payload as EventOf<EventName>, meta.seq));
        return;
      }
      applyOrResync(name, payload as EventOf<EventName>, meta.seq);
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

function applyOrResync(name: EventName, payload: EventOf<EventName>, seq: number): void {
  if (!applyEvent(name, payload, { seq })) {
    useAppStore.setState((s) => ({ resyncs: s.resyncs + 1 }));
    void refetchSnapshot();
  }
}
