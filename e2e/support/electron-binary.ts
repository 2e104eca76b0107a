import { existsSync } from 'node:fs';
import path from 'node:path';

/**
 * Where the Electron binary would be. Detected by its file, never by require('electron'),
 * which tries to download it.
 */
export function electronBinaryPath(root = process.cwd()): string {
  const dist = path.join(root, 'node_modules', 'electron', 'dist');
  if (process.platform === 'darwin') return path.join(dist, 'Electron.app', 'Contents', 'MacOS', 'Electron');
  if (process.platform === 'win32') return path.join(dist, 'electron.exe');
  return path.join(dist, 'electron');
}

export function electronAvailable(root = process.cwd()): boolean {
  return existsSync(electronBinaryPath(root));
}

export const ELECTRON_MISSING_REASON =
  'electron project skipped: no Electron binary at node_modules/electron/dist (it is downloaded on first install and this machine cannot reach its host); the same specs ran in the web project.';
