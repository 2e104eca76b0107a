import { BrowserWindow, ipcMain, type IpcMainInvokeEvent } from 'electron';
import { EVENT_CHANNEL, REQUEST_NAMES, err, requestChannel } from '../../shared/ipc';
import type { AppCore } from '../core/app-core';

/**
 * One ipcMain handler per contract request (never a generic channel). Each checks that the
 * sender is the top frame of one of our windows before the shared router validates,
 * size-checks and rate-limits it.
 */
export function registerIpc(core: AppCore, isAppUrl: (url: string) => boolean): () => void {
  const senderOk = (event: IpcMainInvokeEvent): boolean => {
    const win = BrowserWindow.fromWebContents(event.sender);
    const frame = event.senderFrame;
    return !!win && !!frame && frame === event.sender.mainFrame && isAppUrl(frame.url);
  };
  // What a window's requests acquired (followed logs) is released when the window goes away.
  const known = new Set<number>();
  const clientOf = (event: IpcMainInvokeEvent): string => {
    const clientId = `win-${event.sender.id}`;
    if (!known.has(event.sender.id)) {
      const id = event.sender.id;
      known.add(id);
      event.sender.once('destroyed', () => {
        known.delete(id);
        core.router.release(clientId);
      });
    }
    return clientId;
  };
  for (const name of REQUEST_NAMES) {
    ipcMain.handle(requestChannel(name), (event, payload: unknown) => {
      if (!senderOk(event)) {
        return err('forbidden_sender', `Request ${name} refused: it did not come from the app's own top frame.`);
      }
      return core.router.handle(name, payload, { clientId: clientOf(event), transport: 'electron' });
    });
  }
  const unsubscribe = core.hub.subscribe((envelope) => {
    for (const win of BrowserWindow.getAllWindows()) {
      if (!win.isDestroyed()) win.webContents.send(EVENT_CHANNEL, envelope);
    }
  });
  return () => {
    unsubscribe();
    for (const name of REQUEST_NAMES) ipcMain.removeHandler(requestChannel(name));
  };
}
