import { create } from 'zustand';
import type { EventMeta } from '../../shared/ipc/api';
import type { EventName, EventOf } from '../../shared/ipc/contract';
import type { AppHealth, AppInfo, AppSnapshot } from '../../shared/ipc/schemas';
import type { InterruptedSession, Notice, PrdSummary, ProjectSettings, SessionSummary, SessionView, StopProgress, StoryRunView } from '../../shared/ipc/views';
import type { ConnectionState } from '../api/ws-client';

export type MetricsTick = EventOf<'metrics.tick'>;

export interface AppState {
  connection: ConnectionState;
  connectionDetail: string;
  /** Sequence number of the last event applied (or of the snapshot). */
  seq: number;
  info: AppInfo | null;
  health: AppHealth | null;
  settings: ProjectSettings | null;
  /** The running session, else the latest; its stories are kept current by story.changed. */
  session: SessionView | null;
  sessions: SessionSummary[];
  prds: PrdSummary[];
  interrupted: InterruptedSession[];
  stop: StopProgress | null;
  notices: Notice[];
  ticks: MetricsTick[];
  /** Tails of followed gate logs, by gate run id. */
  logs: Record<number, string>;
  loading: boolean;
  error: string | null;
  /** How many times a sequence gap forced a snapshot re-fetch (shown in Settings). */
  resyncs: number;
}

const MAX_NOTICES = 50;
const MAX_TICKS = 900;
const MAX_LOG_CHARS = 200_000;

export const useAppStore = create<AppState>(() => ({
  connection: 'connecting',
  connectionDetail: 'connecting to the core…',
  seq: 0,
  info: null,
  health: null,
  settings: null,
  session: null,
  sessions: [],
  prds: [],
  interrupted: [],
  stop: null,
  notices: [],
  ticks: [],
  logs: {},
  loading: true,
  error: null,
  resyncs: 0,
}));

function upsert<T extends { id: string }>(list: readonly T[], item: T, prepend = false): T[] {
  const idx = list.findIndex((x) => x.id === item.id);
  if (idx === -1) return prepend ? [item, ...list] : [...list, item];
  const next = list.slice();
  next[idx] = item;
  return next;
}

function withStory(session: SessionView, story: StoryRunView): SessionView {
  return { ...session, stories: upsert(session.stories, story) };
}

type Reducer<E extends EventName> = (state: AppState, payload: EventOf<E>) => Partial<AppState>;
const reducers: { [E in EventName]: Reducer<E> } = {
  'app.health': (state, payload) => ({ health: payload, info: state.info ? { ...state.info, health: payload } : state.info }),
  'settings.changed': (_state, payload) => ({ settings: payload }),
  'session.changed': (state, payload) => {
    const sessions = upsert(state.sessions, payload, true);
    const current = state.session;
    if (current && current.id === payload.id) return { sessions, session: { ...current, ...payload } };
    // A newer session takes the board; its stories arrive as story.changed events.
    const replace = !current || payload.createdAt >= current.createdAt;
    return replace ? { sessions, session: { ...payload, stories: [] } } : { sessions };
  },
  'story.changed': (state, payload) => (state.session && state.session.id === payload.sessionId ? { session: withStory(state.session, payload) } : {}),
  'stop.progress': (_state, payload) => ({ stop: payload }),
  notice: (state, payload) => ({ notices: [payload, ...state.notices].slice(0, MAX_NOTICES) }),
  'metrics.tick': (state, payload) => ({ ticks: [...state.ticks, payload].slice(-MAX_TICKS) }),
  'gate.logAppended': (state, payload) => {
    const prev = state.logs[payload.gateRunId] ?? '';
    return { logs: { ...state.logs, [payload.gateRunId]: (prev + payload.text).slice(-MAX_LOG_CHARS) } };
  },
  'prd.changed': (state, payload) => ({ prds: upsert(state.prds, payload) }),
  'recovery.changed': (_state, payload) => ({ interrupted: payload.interrupted }),
};

export function applySnapshot(snap: AppSnapshot): void {
  useAppStore.setState({
    seq: snap.seq,
    info: snap.info,
    health: snap.info.health,
    settings: snap.settings,
    session: snap.session,
    sessions: snap.sessions,
    prds: snap.prds,
    interrupted: snap.interrupted,
    loading: false,
    error: null,
  });
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
