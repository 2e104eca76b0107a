import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';

/*
 * initdb in WebAssembly takes 15–60 s; copying the cluster it made takes well under a second.
 * The first embedded store created on a machine keeps a pristine copy of its fresh cluster
 * (before any migration, so it holds no data of anybody's) in the user's cache folder, keyed
 * by the PGlite version; every later store on the machine (another WAVE_HOME, `wave demo`,
 * a test) starts from a copy of it. Nothing depends on the cache: when it is missing, stale
 * or unreadable, the store runs initdb as before.
 */

/** The user's cache folder for WAVE: WAVE_CACHE_DIR, else the platform's cache location. */
export function waveCacheDir(env: NodeJS.ProcessEnv): string {
  if (env.WAVE_CACHE_DIR) return path.resolve(env.WAVE_CACHE_DIR);
  const home = os.homedir();
  if (process.platform === 'darwin') return path.join(home, 'Library', 'Caches', 'wave-control-center');
  if (process.platform === 'win32')
    return path.join(env.LOCALAPPDATA ?? path.join(home, 'AppData', 'Local'), 'wave-control-center', 'cache');
  return path.join(env.XDG_CACHE_HOME || path.join(home, '.cache'), 'wave-control-center');
}

let pgliteVersionMemo: string | null | undefined;

/** The installed PGlite's version (its package.json, read as a file: the package does not export it). */
function pgliteVersion(): string | null {
  if (pgliteVersionMemo !== undefined) return pgliteVersionMemo;
  try {
    let dir = path.dirname(createRequire(import.meta.url).resolve('@electric-sql/pglite'));
    while (!fs.existsSync(path.join(dir, 'package.json')) && path.dirname(dir) !== dir) dir = path.dirname(dir);
    const version = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')).version;
    pgliteVersionMemo = typeof version === 'string' && /^[\w.+-]+$/.test(version) ? version : null;
  } catch {
    pgliteVersionMemo = null;
  }
  return pgliteVersionMemo;
}

/** Where the fresh cluster of this PGlite version is kept under `cacheDir`, or null when the version is unknown. */
function clusterTemplateDir(cacheDir: string): string | null {
  const version = pgliteVersion();
  return version ? path.join(cacheDir, `pglite-cluster-${version}`) : null;
}

/**
 * Copies the cached fresh cluster into `staging` (an empty folder). False when there is no
 * usable copy; `staging` is then left empty for initdb.
 */
export function copyClusterTemplate(cacheDir: string, staging: string): boolean {
  const dir = clusterTemplateDir(cacheDir);
  if (!dir || !fs.existsSync(path.join(dir, 'PG_VERSION'))) return false;
  try {
    fs.cpSync(dir, staging, { recursive: true, errorOnExist: true, force: false });
    return true;
  } catch {
    for (const entry of fs.readdirSync(staging)) fs.rmSync(path.join(staging, entry), { recursive: true, force: true });
    return false;
  }
}

/**
 * Keeps a copy of a cluster initdb just made, for the next store on this machine. Best
 * effort and atomic: a copy appears complete or not at all; when two processes race, the
 * first one's stays.
 */
export function saveClusterTemplate(cacheDir: string, fresh: string): void {
  const dir = clusterTemplateDir(cacheDir);
  if (!dir || fs.existsSync(dir)) return;
  const partial = `${dir}.${process.pid}.partial`;
  try {
    fs.mkdirSync(path.dirname(dir), { recursive: true, mode: 0o700 });
    fs.cpSync(fresh, partial, { recursive: true });
    fs.renameSync(partial, dir);
  } catch {
    fs.rmSync(partial, { recursive: true, force: true });
  }
}
