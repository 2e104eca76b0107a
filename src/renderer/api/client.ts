import type { WaveApi } from '../../shared/ipc/api';
import { createWebSocketApi, type Connection } from './ws-client';

declare global {
  interface Window {
    /** Present in the desktop app (preload); absent in the browser (headless mode). */
    wave?: WaveApi;
  }
}

const alwaysOpen: Connection = { state: 'open', onChange: () => () => {} };

/**
 * The renderer's only door to the core: the preload's `window.wave` in Electron, or the
 * WebSocket bridge in a browser. Nothing else in the renderer touches a transport.
 */
function pickTransport(): { api: WaveApi; connection: Connection } {
  if (window.wave) return { api: window.wave, connection: alwaysOpen };
  return createWebSocketApi();
}

export const { api, connection } = pickTransport();
