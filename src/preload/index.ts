// Sandboxed preload: exposes `window.wave`, one function per contract request and a
// subscription to contract events. Nothing else of Electron reaches the page.
import { contextBridge, ipcRenderer } from 'electron';
import { buildRequests, type EventMeta, type WaveApi } from '../shared/ipc/api';
import { EVENT_CHANNEL, EVENT_NAMES, REQUEST_NAMES, requestChannel } from '../shared/ipc/methods';
import type { EventEnvelope, EventName } from '../shared/ipc/contract';
import type { Result } from '../shared/ipc/result';

type Listener = (payload: unknown, meta: EventMeta) => void;
const listeners = new Map<EventName, Set<Listener>>();
const eventNames = new Set<string>(EVENT_NAMES);

ipcRenderer.on(EVENT_CHANNEL, (_event, envelope: EventEnvelope) => {
  const set = listeners.get(envelope?.name);
  if (!set) return;
  for (const l of set) l(envelope.payload, { seq: envelope.seq });
});

const api = {
  transport: 'electron' as const,
  ...buildRequests(
    REQUEST_NAMES,
    (name, payload) => ipcRenderer.invoke(requestChannel(name), payload) as Promise<Result<unknown>>,
  ),
  on(name: EventName, listener: Listener): () => void {
    if (!eventNames.has(name)) throw new Error(`Unknown event "${String(name)}"`);
    let set = listeners.get(name);
    if (!set) listeners.set(name, (set = new Set()));
    set.add(listener);
    return () => set.delete(listener);
  },
};

contextBridge.exposeInMainWorld('wave', api as unknown as WaveApi);
