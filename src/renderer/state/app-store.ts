import { create } from 'zustand';
import type { EventName, EventOf } from '../../shared/ipc/contract';
import type { FleetView } from '../../shared/ipc/fleet';
import type { AppHealth, AppInfo, AppSnapshot } from '../../shared/ipc/schemas';
import type {
  InterruptedSession,
  Notice,
  PrdSummary,
  ProjectSettings,
  SessionSummary,
  SessionView,
  StopProgress,
  StoryRunView,
} from '../../shared/ipc/views';
import type { ConnectionState } from '../api/ws-client';

export type MetricsTick = EventOf<'metrics.tick'>;
/** A pushed notice with a local id, so the toast list can dismiss it. */
export type NoticeItem = Notice & { id: number };
/** The followed part of a gate log: text covering bytes [start, end) of the file. */
export interface LogTail {
  text: string;
  start: number;
  end: number;
}

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
  notices: NoticeItem[];
  ticks: MetricsTick[];
  /** Tails of followed gate logs, by gate run id. */
  logs: Record<number, LogTail>;
  loading: boolean;
  error: string | null;
  /** How many times a sequence gap forced a snapshot re-fetch (shown in Settings). */
  resyncs: number;
  /** The fleet's workers: fetched when the Fleet view opens, then pushed (fleet.changed). */
  fleet: FleetView | null;
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
  fleet: null,
}));

function upsert<T extends { id: string }>(list: readonly T[], item: T, prepend = false): T[] {
  const idx = list.findIndex((x) => x.id === item.id);
  if (idx === -1) return prepend ? [item, ...list] : [...list, item];
  const next = list.slice();
  next[idx] = item;
  return next;
}

let nextNoticeId = 1;
const utf8 = new TextEncoder();
const byteLength = (text: string) => utf8.encode(text).length;

/** Keeps a log tail bounded: drops whole lines from the front, and accounts the dropped bytes. */
function trimLog(tail: LogTail): LogTail {
  if (tail.text.length <= MAX_LOG_CHARS) return tail;
  let cut = tail.text.length - MAX_LOG_CHARS;
  const nl = tail.text.indexOf('\n', cut);
  if (nl !== -1 && nl - cut < 4096) cut = nl + 1;
  return { text: tail.text.slice(cut), start: tail.start + byteLength(tail.text.slice(0, cut)), end: tail.end };
}

/** Appends a pushed piece of a log at its byte offset: overlaps are skipped, a hole is marked. */
export function appendLog(prev: LogTail | undefined, offset: number, text: string): LogTail {
  const len = byteLength(text);
  if (!prev) return trimLog({ text, start: offset, end: offset + len });
  if (offset + len <= prev.end) return prev;
  if (offset >= prev.end) {
    const hole = offset > prev.end ? `\n… ${offset - prev.end} bytes not received …\n` : '';
    return trimLog({ text: prev.text + hole + text, start: prev.start, end: offset + len });
  }
  // Partial overlap: keep only the bytes after what we have.
  const bytes = utf8.encode(text).slice(prev.end - offset);
  return trimLog({ text: prev.text + new TextDecoder().decode(bytes), start: prev.start, end: offset + len });
}

/** Seeds a log with what gate.log returned, keeping anything pushed after it already. */
export function seedLog(gateRunId: number, text: string, offset: number, nextOffset: number): void {
  useAppStore.setState((s) => {
    const pushed = s.logs[gateRunId];
    let tail: LogTail = { text, start: offset, end: nextOffset };
    if (pushed && pushed.end > nextOffset) tail = appendLog(tail, pushed.start, pushed.text);
    return { logs: { ...s.logs, [gateRunId]: trimLog(tail) } };
  });
}

export function forgetLog(gateRunId: number): void {
  useAppStore.setState((s) => {
    if (!(gateRunId in s.logs)) return {};
    const logs = { ...s.logs };
    delete logs[gateRunId];
    return { logs };
  });
}

function withStory(session: SessionView, story: StoryRunView): SessionView {
  return { ...session, stories: upsert(session.stories, story) };
}

type Reducer<E extends EventName> = (state: AppState, payload: EventOf<E>) => Partial<AppState>;
const reducers: { [E in EventName]: Reducer<E> } = {
  'app.health': (state, payload) => ({
    health: payload,
    info: state.info ? { ...state.info, health: payload } : state.info,
  }),
  'settings.changed': (_state, payload) => ({ settings: payload }),
  'session.changed': (state, payload) => {
    const sessions = upsert(state.sessions, payload, true);
    const current = state.session;
    if (current && current.id === payload.id) return { sessions, session: { ...current, ...payload } };
    // A newer session takes the board; its stories arrive as story.changed events.
    const replace = !current || payload.createdAt >= current.createdAt;
    return replace ? { sessions, session: { ...payload, stories: [] } } : { sessions };
  },
  'story.changed': (state, payload) =>
    state.session && state.session.id === payload.sessionId ? { session: withStory(state.session, payload) } : {},
  'story.progress': (state, payload) => {
    const session = state.session;
    if (!session || session.id !== payload.sessionId || !session.stories.some((s) => s.id === payload.id)) return {};
    const stories = session.stories.map((s) => (s.id === payload.id ? { ...s, progress: payload.progress } : s));
    return { session: { ...session, stories } };
  },
  'stop.progress': (_state, payload) => ({ stop: payload }),
  notice: (state, payload) => ({
    notices: [{ ...payload, id: nextNoticeId++ }, ...state.notices].slice(0, MAX_NOTICES),
  }),
  'metrics.tick': (state, payload) => ({ ticks: [...state.ticks, payload].slice(-MAX_TICKS) }),
  'gate.logAppended': (state, payload) => ({
    logs: {
      ...state.logs,
      [payload.gateRunId]: appendLog(state.logs[payload.gateRunId], payload.offset, payload.text),
    },
  }),
  'prd.changed': (state, payload) => ({ prds: upsert(state.prds, payload) }),
  'recovery.changed': (_state, payload) => ({ interrupted: payload.interrupted }),
  'fleet.changed': (_state, payload) => ({ fleet: payload }),
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

export interface PendingEvent {
  name: EventName;
  payload: EventOf<EventName>;
  seq: number;
}

/**
 * Applies a batch of pushed events in one store update (one render for a burst of
 * events). Returns false at the first sequence gap; what came before it is kept and
 * the caller re-fetches the snapshot, which covers the rest.
 */
export function applyEvents(batch: readonly PendingEvent[]): boolean {
  if (batch.length === 0) return true;
  let state = useAppStore.getState();
  const start = state;
  let ok = true;
  for (const e of batch) {
    if (e.seq <= state.seq) continue;
    if (e.seq !== state.seq + 1) {
      ok = false;
      break;
    }
    const reducer = reducers[e.name] as Reducer<EventName>;
    state = { ...state, ...reducer(state, e.payload), seq: e.seq };
  }
  if (state !== start) useAppStore.setState(state, true);
  return ok;
}
