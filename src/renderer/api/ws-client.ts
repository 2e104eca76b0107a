import { buildRequests, type EventMeta, type WaveApi } from '../../shared/ipc/api';
import type { EventName } from '../../shared/ipc/contract';
import { EVENT_NAMES, REQUEST_NAMES } from '../../shared/ipc/methods';
import { err, type Result } from '../../shared/ipc/result';

export type ConnectionState = 'connecting' | 'open' | 'closed';

export interface Connection {
  readonly state: ConnectionState;
  /** Called on every change; 'open' after a reconnect means "re-fetch the snapshot". */
  onChange(listener: (state: ConnectionState, detail: string) => void): () => void;
}

const REQUEST_TIMEOUT_MS = 30_000;
const TOKEN_KEY = 'wave.bridge.token';

/** Takes the bridge token from the URL once, keeps it for reloads, and removes it from the address bar. */
function takeToken(): string {
  const url = new URL(window.location.href);
  const fromUrl = url.searchParams.get('token');
  if (fromUrl) {
    sessionStorage.setItem(TOKEN_KEY, fromUrl);
    url.searchParams.delete('token');
    window.history.replaceState(null, '', url.toString());
    return fromUrl;
  }
  return sessionStorage.getItem(TOKEN_KEY) ?? '';
}

type Listener = (payload: unknown, meta: EventMeta) => void;

/** The headless-mode transport: the same WaveApi over the `wave serve` WebSocket bridge. */
export function createWebSocketApi(): { api: WaveApi; connection: Connection } {
  const token = takeToken();
  const pending = new Map<number, { resolve: (r: Result<unknown>) => void; timer: ReturnType<typeof setTimeout> }>();
  const listeners = new Map<EventName, Set<Listener>>();
  const connListeners = new Set<(s: ConnectionState, d: string) => void>();
  let state: ConnectionState = 'connecting';
  let ws: WebSocket | null = null;
  let nextId = 1;
  let retryMs = 250;

  const setState = (s: ConnectionState, detail: string) => {
    state = s;
    for (const l of connListeners) l(s, detail);
  };

  const connect = () => {
    setState('connecting', 'connecting to the core…');
    const socket = new WebSocket(`ws://${window.location.host}/bridge?token=${encodeURIComponent(token)}`);
    ws = socket;
    socket.onopen = () => {
      retryMs = 250;
    };
    socket.onmessage = (ev) => {
      let msg: {
        type?: string;
        id?: number;
        result?: Result<unknown>;
        name?: EventName;
        seq?: number;
        payload?: unknown;
      };
      try {
        msg = JSON.parse(String(ev.data));
      } catch {
        return;
      }
      if (msg.type === 'hello') {
        setState('open', 'connected');
      } else if (msg.type === 'result' && typeof msg.id === 'number') {
        const p = pending.get(msg.id);
        if (p && msg.result) {
          clearTimeout(p.timer);
          pending.delete(msg.id);
          p.resolve(msg.result);
        }
      } else if (msg.type === 'event' && msg.name && typeof msg.seq === 'number') {
        for (const l of listeners.get(msg.name) ?? []) l(msg.payload, { seq: msg.seq });
      }
    };
    socket.onclose = (ev) => {
      ws = null;
      for (const [id, p] of pending) {
        clearTimeout(p.timer);
        p.resolve(
          err(
            'unavailable',
            'The connection to the core closed before it answered. It reconnects by itself; retry then.',
          ),
        );
        pending.delete(id);
      }
      const why = ev.code === 1006 ? 'the core is not reachable' : ev.reason || `closed (${ev.code})`;
      setState('closed', `disconnected: ${why}; retrying in ${Math.round(retryMs / 100) / 10} s`);
      setTimeout(connect, retryMs);
      retryMs = Math.min(retryMs * 2, 5000);
    };
  };
  connect();

  const call = (name: string, payload: unknown): Promise<Result<unknown>> =>
    new Promise((resolve) => {
      if (!ws || ws.readyState !== WebSocket.OPEN) {
        resolve(
          err(
            'unavailable',
            'Not connected to the core. Check that "wave serve" is still running; the page reconnects by itself.',
          ),
        );
        return;
      }
      const id = nextId++;
      const timer = setTimeout(() => {
        pending.delete(id);
        resolve(err('unavailable', `${name} got no answer within ${REQUEST_TIMEOUT_MS / 1000} s.`));
      }, REQUEST_TIMEOUT_MS);
      pending.set(id, { resolve, timer });
      ws.send(JSON.stringify({ id, method: name, payload }));
    });

  const eventNames = new Set<string>(EVENT_NAMES);
  const api = {
    transport: 'websocket' as const,
    ...buildRequests(REQUEST_NAMES, call),
    on(name: EventName, listener: Listener) {
      if (!eventNames.has(name)) throw new Error(`Unknown event "${String(name)}"`);
      let set = listeners.get(name);
      if (!set) listeners.set(name, (set = new Set()));
      set.add(listener);
      return () => set.delete(listener);
    },
  } as unknown as WaveApi;

  const connection: Connection = {
    get state() {
      return state;
    },
    onChange(l) {
      connListeners.add(l);
      return () => connListeners.delete(l);
    },
  };
  return { api, connection };
}
