import type { DiffFile, DiffFileStatus } from '../../../shared/ipc/review';

/**
 * Parsers for the three machine-readable outputs of `git diff` that a story's changes are
 * read from. Every parser takes git's `-z` form, so paths with spaces, tabs, newlines or
 * non-ASCII characters come through as they are (git's quoting never gets in the way).
 */

const STATUS: Record<string, DiffFileStatus> = {
  A: 'added',
  M: 'modified',
  D: 'deleted',
  R: 'renamed',
  C: 'copied',
  T: 'type-changed',
};

export interface NameStatus {
  status: DiffFileStatus;
  path: string;
  oldPath: string | null;
}

/** `git diff --name-status -z`: `S\0path\0` or, for renames and copies, `R100\0old\0new\0`. */
export function parseNameStatus(out: string): NameStatus[] {
  const parts = out.split('\0');
  const files: NameStatus[] = [];
  for (let i = 0; i < parts.length; ) {
    const code = parts[i++];
    if (!code) continue;
    const status = STATUS[code[0] ?? ''] ?? 'modified';
    if (status === 'renamed' || status === 'copied') {
      const oldPath = parts[i++] ?? '';
      const path = parts[i++] ?? '';
      files.push({ status, path, oldPath });
    } else {
      files.push({ status, path: parts[i++] ?? '', oldPath: null });
    }
  }
  return files;
}

export interface NumStat {
  path: string;
  /** null for a binary file (git prints "-"). */
  additions: number | null;
  deletions: number | null;
}

/** `git diff --numstat -z`: `add\tdel\tpath\0` or, for renames, `add\tdel\t\0old\0new\0`. */
export function parseNumStat(out: string): NumStat[] {
  const parts = out.split('\0');
  const stats: NumStat[] = [];
  for (let i = 0; i < parts.length; ) {
    const head = parts[i++];
    if (!head) continue;
    const [add, del, inline] = head.split('\t');
    let path = inline ?? '';
    if (path === '') {
      i += 1; // the old path of a rename
      path = parts[i++] ?? '';
    }
    stats.push({ path, additions: add === '-' ? null : Number(add), deletions: del === '-' ? null : Number(del) });
  }
  return stats;
}

/**
 * Splits a whole `git diff` patch into one piece per file, in git's order (the same order
 * as --name-status and --numstat for the same revisions and options).
 */
export function splitPatch(patch: string): string[] {
  if (patch.trim() === '') return [];
  const pieces: string[] = [];
  let start = patch.startsWith('diff --git ') ? 0 : patch.indexOf('\ndiff --git ') + 1;
  if (start < 0) return [];
  while (start < patch.length) {
    const next = patch.indexOf('\ndiff --git ', start);
    const end = next < 0 ? patch.length : next + 1;
    pieces.push(patch.slice(start, end));
    start = end;
  }
  return pieces;
}

/**
 * Joins the three outputs into the files of a diff, each with its patch cut to `maxPatchChars`.
 * The files follow --numstat, whose entries match the patch's pieces one for one; with
 * whitespace ignored both leave out a file whose only changes are whitespace, which
 * --name-status still lists (it only gives the status of the files that remain).
 */
export function assembleFiles(
  nameStatus: NameStatus[],
  numStat: NumStat[],
  patches: string[],
  maxPatchChars: number,
): DiffFile[] {
  const byPath = new Map(nameStatus.map((f) => [f.path, f]));
  return numStat.map((stat, i) => {
    const named = byPath.get(stat.path);
    const raw = patches[i] ?? '';
    const binary = stat.additions === null;
    const truncated = !binary && raw.length > maxPatchChars;
    return {
      path: stat.path,
      oldPath: named?.oldPath ?? null,
      status: named?.status ?? 'modified',
      binary,
      additions: stat.additions,
      deletions: stat.deletions,
      patch: binary || truncated ? null : raw,
      patchChars: raw.length,
      truncated,
    };
  });
}
