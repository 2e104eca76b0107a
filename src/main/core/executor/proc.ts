import { closeSync, openSync, readdirSync, readSync } from 'node:fs';

/** One process as seen in /proc/<pid>/stat. */
export interface ProcStat {
  pid: number;
  state: string;
  ppid: number;
  pgid: number;
  /** Clock ticks since boot: with the pid, identifies a process across pid reuse. */
  startTime: number;
}

/**
 * Parses /proc/<pid>/stat. The command name (field 2) is in parentheses and may itself
 * contain spaces and parentheses, so the fields are read after the LAST ')'.
 */
export function parseProcStat(text: string): ProcStat | null {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) return null;
  const pid = Number(text.slice(0, open).trim());
  const rest = text.slice(close + 2).split(' ');
  // rest[0]=state(3) rest[1]=ppid(4) rest[2]=pgrp(5) … rest[19]=starttime(22)
  const state = rest[0];
  const ppid = Number(rest[1]);
  const pgid = Number(rest[2]);
  const startTime = Number(rest[19]);
  if (!state || !Number.isInteger(pid) || !Number.isInteger(pgid)) return null;
  return { pid, state, ppid, pgid, startTime };
}

// One buffer for all reads: a stat line is well under 1 KB, and open+read+close is
// measurably cheaper than readFileSync (no fstat) when scanning every process.
const statBuffer = Buffer.alloc(4096);

/** Reads one process; null when it is gone (or /proc is unavailable). */
export function readProcStat(pid: number, procRoot = '/proc'): ProcStat | null {
  let fd: number | undefined;
  try {
    fd = openSync(`${procRoot}/${pid}/stat`, 'r');
    const n = readSync(fd, statBuffer, 0, statBuffer.length, 0);
    return parseProcStat(statBuffer.toString('utf8', 0, n));
  } catch {
    return null;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** A zombie has exited and only waits to be reaped: it holds no resources and runs no code. */
export function isAlive(stat: ProcStat): boolean {
  return stat.state !== 'Z' && stat.state !== 'X';
}

/**
 * Every live (non-zombie) process whose process group is in `pgids`, grouped by pgid.
 * One pass over /proc, so the cost does not grow with the number of groups asked about.
 */
export function scanGroups(pgids: Iterable<number>, procRoot = '/proc'): Map<number, ProcStat[]> {
  const wanted = new Set(pgids);
  const found = new Map<number, ProcStat[]>();
  for (const pgid of wanted) found.set(pgid, []);
  if (wanted.size === 0) return found;
  let entries: string[];
  try {
    entries = readdirSync(procRoot);
  } catch {
    return found;
  }
  for (const entry of entries) {
    const c = entry.charCodeAt(0);
    if (c < 48 || c > 57) continue;
    const stat = readProcStat(Number(entry), procRoot);
    if (!stat || !wanted.has(stat.pgid) || !isAlive(stat)) continue;
    found.get(stat.pgid)!.push(stat);
  }
  return found;
}

/** True when a pid exists and is not a zombie; `startTime` guards against pid reuse. */
export function isProcessAlive(pid: number, startTime?: number, procRoot = '/proc'): boolean {
  const stat = readProcStat(pid, procRoot);
  if (!stat || !isAlive(stat)) return false;
  return startTime === undefined || stat.startTime === startTime;
}
