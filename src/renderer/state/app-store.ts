import { create } from 'zustand';
import type { EventMeta } from '../../shared/ipc/api';
import type { EventName, EventOf } from '../../shared/ipc/contract';
import type { AppHealth, AppInfo, AppSnapshot } from '../../shared/ipc/schemas';
import type { ConnectionState } from '../api/ws-client';

export interface AppState {
  connection: ConnectionState;
  connectionDetail: string;
  /** Sequence number of the last event applied (or of the snapshot). */
  seq: number;
  info: AppInfo | null;
  health: AppHealth | null;
  loading: boolean;
  error: string | null;
  /** How many times a sequence gap forced a snapshot re-fetch (shown in Settings). */
  resyncs: number;
}

export const useAppStore = create<AppState>(() => ({
  connection: 'connecting',
  connectionDetail: 'connecting to the core…',
  seq: 0,
  info: null,
  health: null,
  loading: true,
  error: null,
  resyncs: 0,
}));

type Reducer<E extends EventName> = (state: AppState, payload: EventOf<E>) => Partial<AppState>;
const reducers: { [E in EventName]: Reducer<E> } = {
  'app.health': (state, payload) => ({ health: payload, info: state.info ? { ...state.info, health: payload } : state.info }),
};

export function applySnapshot(snap: AppSnapshot): void {
  useAppStore.setState({ seq: snap.seq, info: snap.info, health: snap.info.health, loading: false, error: null });
}

/**
 * Applies one pushed event. Returns false when its sequence number shows a gap: the
 * caller must re-fetch the snapshot (events already folded into it are skipped).
 */
export function applyEvent<E extends EventName>(name: E, payload: EventOf<E>, meta: EventMeta): boolean {
  const state = useAppStore.getState();
  if (meta.seq <= state.seq) return true;
  if (meta.seq !== state.seq + 1) return false;
  const reducer = reducers[name] as Reducer<E>;
  useAppStore.setState({ ...reducer(state, payload), seq: meta.seq });
  return true;
}
