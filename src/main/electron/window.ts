import path from 'node:path';
import { BrowserWindow, shell, type WebContents } from 'electron';
import { appUrlMatcher } from './app-url';

export interface WindowPaths {
  preload: string;
  rendererHtml: string;
  /** Set by electron-vite dev; production loads the built file. */
  devUrl?: string;
  icon?: string;
}

/** Opens external http(s) links in the browser; everything else is dropped. */
function openExternalSafely(url: string): void {
  try {
    const u = new URL(url);
    if (u.protocol === 'https:' || u.protocol === 'http:') void shell.openExternal(u.toString());
  } catch {
    // Not a URL: ignore.
  }
}

/** Denies window.open, navigation away from the app, and webview attachment. */
export function lockDownContents(contents: WebContents, isAppUrl: (url: string) => boolean): void {
  contents.setWindowOpenHandler(({ url }) => {
    openExternalSafely(url);
    return { action: 'deny' };
  });
  contents.on('will-navigate', (event, url) => {
    if (!isAppUrl(url)) {
      event.preventDefault();
      openExternalSafely(url);
    }
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
}

export function createMainWindow(paths: WindowPaths): BrowserWindow {
  const win = new BrowserWindow({
    width: 1400,
    height: 900,
    minWidth: 960,
    minHeight: 600,
    show: false,
    title: 'WAVE Control Center',
    backgroundColor: '#0f1115',
    icon: paths.icon,
    webPreferences: {
      preload: paths.preload,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      spellcheck: false,
      navigateOnDragDrop: false,
    },
  });
  lockDownContents(
    win.webContents,
    appUrlMatcher({ devUrl: paths.devUrl, rendererDir: path.dirname(paths.rendererHtml) }),
  );
  win.once('ready-to-show', () => win.show());
  if (paths.devUrl) void win.loadURL(paths.devUrl);
  else void win.loadFile(paths.rendererHtml);
  return win;
}
