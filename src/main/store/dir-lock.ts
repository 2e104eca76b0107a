import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { StoreLockedError, type LockHolder } from './errors';
import { ensureOwnerOnlyDir } from './owner-only';

/** Lock paths held by this process, so a second open in the same process is refused too. */
const heldInThisProcess = new Set<string>();

const TAKEOVER_STALE_MS = 10_000;

export interface DirLockOptions {
  log?: (line: string) => void;
  /** For tests: decides whether a pid on this host is alive. */
  isAlive?: (pid: number) => boolean;
  /** What this process is, for the message another process gets (e.g. "wave serve", "the WAVE window"). */
  role?: string;
}

/**
 * An exclusive, crash-tolerant lock on a directory. PGlite has none of its own and two
 * processes writing one data directory corrupt it. The lock file holds pid, host and start
 * time; it is published atomically (write a temp file, then link(2), which fails if the
 * name exists), and a lock whose holder died on this host is taken over.
 */
export class DirLock {
  private released = false;

  private constructor(
    readonly lockPath: string,
    readonly holder: LockHolder,
  ) {}

  static acquire(dir: string, opts: DirLockOptions = {}): DirLock {
    ensureOwnerOnlyDir(dir);
    const lockPath = path.resolve(dir, 'store.lock');
    if (heldInThisProcess.has(lockPath)) {
      throw new StoreLockedError(lockPath, readHolder(lockPath) ?? selfHolder('?'));
    }
    const me = selfHolder(randomBytes(8).toString('hex'), opts.role);
    const isAlive = opts.isAlive ?? pidAlive;
    for (let tries = 0; tries < 5; tries++) {
      if (tryPublish(lockPath, me)) {
        heldInThisProcess.add(lockPath);
        return new DirLock(lockPath, me);
      }
      const current = readHolder(lockPath);
      if (current === undefined) continue; // vanished between link and read: try again
      if (current !== null && !isStale(current, isAlive)) throw new StoreLockedError(lockPath, current);
      // Stale (or unreadable: a lock is written whole by link(2), so garbage means tampering
      // or a foreign file). Take it over under a short-lived takeover mutex so two processes
      // that both saw the stale lock cannot both win.
      if (takeOver(lockPath, current, me, opts.log)) {
        heldInThisProcess.add(lockPath);
        return new DirLock(lockPath, me);
      }
    }
    const current = readHolder(lockPath);
    throw new StoreLockedError(lockPath, current ?? selfHolder('?'));
  }

  /**
   * Who holds the lock of `dir` now, when that is a live process (or one on another host);
   * null when nobody does. Reads only: nothing is taken or changed.
   */
  static liveHolder(dir: string): LockHolder | null {
    const current = readHolder(path.resolve(dir, 'store.lock'));
    return current && !isStale(current, pidAlive) ? current : null;
  }

  /** Removes the lock file if it is still ours. Safe to call twice. */
  release(): void {
    if (this.released) return;
    this.released = true;
    heldInThisProcess.delete(this.lockPath);
    const current = readHolder(this.lockPath);
    if (current && current.token === this.holder.token) {
      try {
        fs.unlinkSync(this.lockPath);
      } catch {
        // already gone: nothing to release
      }
    }
  }
}

function selfHolder(token: string, role?: string): LockHolder {
  const me: LockHolder = {
    pid: process.pid,
    host: os.hostname(),
    startedAt: new Date().toISOString(),
    procStart: procStartOf(process.pid),
    token,
  };
  return role ? { ...me, role } : me;
}

/** Writes the holder to a temp file and links it into place; false if the lock exists. */
function tryPublish(lockPath: string, me: LockHolder): boolean {
  const tmp = `${lockPath}.${process.pid}.${me.token}.tmp`;
  fs.writeFileSync(tmp, `${JSON.stringify(me)}\n`, { mode: 0o600 });
  try {
    fs.linkSync(tmp, lockPath);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  } finally {
    fs.rmSync(tmp, { force: true });
  }
}

/** The holder recorded in the lock; null if unreadable; undefined if there is no lock. */
function readHolder(lockPath: string): LockHolder | null | undefined {
  let text: string;
  try {
    text = fs.readFileSync(lockPath, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  try {
    const v = JSON.parse(text) as Partial<LockHolder>;
    if (typeof v.pid !== 'number' || typeof v.host !== 'string' || typeof v.token !== 'string') return null;
    const holder: LockHolder = {
      pid: v.pid,
      host: v.host,
      startedAt: String(v.startedAt ?? '?'),
      procStart: v.procStart ?? null,
      token: v.token,
    };
    // The role is shown to people: keep it a short line of plain text.
    if (typeof v.role === 'string' && v.role)
      holder.role = [...v.role]
        .filter((c) => c >= ' ' && (c < '\u007f' || c > '\u009f'))
        .join('')
        .slice(0, 80);
    return holder;
  } catch {
    return null;
  }
}

function isStale(h: LockHolder, isAlive: (pid: number) => boolean): boolean {
  // A lock from another host cannot be checked from here: treat it as live.
  if (h.host !== os.hostname()) return false;
  // Same pid as ours but not held by this process: we are a new process that reuses the
  // pid of the crashed holder (common in containers, where the app is always pid 1).
  if (h.pid === process.pid) return true;
  if (!isAlive(h.pid)) return true;
  // The pid is alive; if it started at another moment than the holder did, it was reused.
  const now = procStartOf(h.pid);
  return Boolean(h.procStart && now && h.procStart !== now);
}

function takeOver(lockPath: string, seen: LockHolder | null, me: LockHolder, log?: (line: string) => void): boolean {
  const mutex = `${lockPath}.takeover`;
  let fd: number;
  try {
    fd = fs.openSync(mutex, 'wx');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    // A takeover left behind by a process that died mid-takeover is cleared after a while.
    try {
      if (Date.now() - fs.statSync(mutex).mtimeMs > TAKEOVER_STALE_MS) fs.rmSync(mutex, { force: true });
    } catch {
      // raced with its owner removing it
    }
    return false;
  }
  try {
    const current = readHolder(lockPath);
    // Only remove the exact lock we judged stale; anything else is someone's fresh lock.
    if (current !== undefined && !sameHolder(current, seen)) return false;
    if (current !== undefined) fs.rmSync(lockPath, { force: true });
    const ok = tryPublish(lockPath, me);
    if (ok) {
      log?.(
        seen
          ? `store: took over the lock of process ${seen.pid} on ${seen.host} (started ${seen.startedAt}), which is no longer running`
          : `store: replaced an unreadable lock file ${lockPath}`,
      );
    }
    return ok;
  } finally {
    fs.closeSync(fd);
    fs.rmSync(mutex, { force: true });
  }
}

function sameHolder(a: LockHolder | null, b: LockHolder | null): boolean {
  if (a === null || b === null) return a === b;
  return a.token === b.token && a.pid === b.pid;
}

/**
 * True when `pid` runs on this host. A zombie (exited, not yet reaped by its parent) or a
 * process being torn down (Linux state Z or X) still answers kill(pid, 0) but will never
 * touch the data again: it counts as dead, so recovery right after a kill -9 can proceed.
 */
function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
  const state = procStateOf(pid);
  return state !== 'Z' && state !== 'X' && state !== 'x';
}

/** Linux: the one-letter state of a process (field 3 of /proc/<pid>/stat); null elsewhere. */
function procStateOf(pid: number): string | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0] ?? null;
  } catch {
    return null;
  }
}

/** Linux: the process start time in clock ticks since boot (field 22 of /proc/<pid>/stat). */
function procStartOf(pid: number): string | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may contain spaces and parentheses: split after the last ')'.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return rest[19] ?? null;
  } catch {
    return null;
  }
}

export { pidAlive };
