// Electron shell: the only main-process file (with ./electron/*) allowed to import
// `electron`. Everything it runs lives in the core, which also runs under plain Node.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { app, BrowserWindow, session } from 'electron';
import { openAppCore } from './core/open-app-core';
import { resolveSettings } from './core/settings/wave-settings';
import { LOCK_ROLES } from './store/errors';
import { appUrlMatcher } from './electron/app-url';
import { registerIpc } from './electron/ipc';
import { showNoticesAsNotifications } from './electron/notifications';
import { createMainWindow } from './electron/window';

const here = path.dirname(fileURLToPath(import.meta.url));
const preload = path.join(here, '../preload/index.cjs');
const rendererHtml = path.join(here, '../renderer/index.html');
const devUrl = process.env.ELECTRON_RENDERER_URL;

if (!app.requestSingleInstanceLock()) {
  // Another instance owns the data dir (and PGlite allows one process): hand over to it.
  app.quit();
} else {
  app.on('second-instance', () => {
    const win = BrowserWindow.getAllWindows()[0];
    if (win) {
      if (win.isMinimized()) win.restore();
      win.focus();
    }
  });
  app.enableSandbox();
  void start();
}

async function start(): Promise<void> {
  await app.whenReady();
  session.defaultSession.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));
  session.defaultSession.setPermissionCheckHandler(() => false);

  const core = await openAppCore({
    version: app.getVersion(),
    settings: resolveSettings(process.env, {
      dataDir: app.getPath('userData'),
      resourcesDir: app.isPackaged ? process.resourcesPath : undefined,
    }),
    role: LOCK_ROLES.window,
  });
  const unregister = registerIpc(core, appUrlMatcher({ devUrl, rendererDir: path.dirname(rendererHtml) }));
  const stopNotifications = showNoticesAsNotifications(core);
  createMainWindow({ preload, rendererHtml, devUrl });

  app.on('window-all-closed', () => app.quit());
  let quitting = false;
  app.on('before-quit', (event) => {
    if (quitting) return;
    event.preventDefault();
    quitting = true;
    stopNotifications();
    unregister();
    void core.dispose().finally(() => app.exit(0));
  });
}
