import fs from 'node:fs';
import path from 'node:path';

/*
 * The embedded store holds every approval, decision and agent log: only its owner may read or
 * change it. The data dir is 0700 and store files 0600. PGlite creates most of its files with
 * an explicit chmod to 0666 (the umask does not apply), so the modes are masked where PGlite
 * sets them (see DurableNodeFS) and an existing store is tightened once when opened.
 */

/** Bits for group and others. */
const GROUP_OTHER = 0o077;

/** Windows has no POSIX modes to tighten (its ACLs come from the parent folder). */
const POSIX = process.platform !== 'win32';

/** `mode` without any group or other permission. */
export function ownerOnly(mode: number): number {
  return mode & ~GROUP_OTHER;
}

/** Creates `dir` (and parents) if needed and makes it 0700. */
export function ensureOwnerOnlyDir(dir: string): void {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (POSIX && (fs.statSync(dir).mode & GROUP_OTHER) !== 0) fs.chmodSync(dir, 0o700);
}

/**
 * Removes group and other permissions from everything under `root` (not following links).
 * Returns how many entries were changed; a missing root changes nothing.
 */
export function tightenTree(root: string): number {
  if (!POSIX) return 0;
  let changed = 0;
  const visit = (p: string): void => {
    let st: fs.Stats;
    try {
      st = fs.lstatSync(p);
    } catch {
      return; // gone meanwhile
    }
    if (st.isSymbolicLink()) return;
    if ((st.mode & GROUP_OTHER) !== 0) {
      fs.chmodSync(p, ownerOnly(st.mode) & 0o7777);
      changed++;
    }
    if (st.isDirectory()) for (const name of fs.readdirSync(p)) visit(path.join(p, name));
  };
  visit(root);
  return changed;
}
