import { appendFile, mkdir, readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { runGit } from './git';

/**
 * Paths WAVE writes into a story's worktree for the agent that must never become part of the
 * story: its context pack (`.wave/`) and Claude Code's local permission settings. They go
 * into the repository's own exclude file, never into the project's .gitignore.
 */
export const WAVE_WORKTREE_EXCLUDES = ['/.wave/', '/.claude/settings.local.json'] as const;

/**
 * Adds `patterns` (gitignore syntax) to the exclude file git reads for `worktreePath`
 * (`git rev-parse --git-path info/exclude`: linked worktrees share their repository's), each
 * once. Ignored paths are neither committed by `git add --all`, nor counted as changes by the
 * domain check, nor kept in snapshots, and `git clean -fd` leaves them.
 */
export async function excludeFromGit(
  worktreePath: string,
  patterns: readonly string[] = WAVE_WORKTREE_EXCLUDES,
): Promise<string> {
  const rel = (await runGit(worktreePath, ['rev-parse', '--git-path', 'info/exclude'])).stdout.trim();
  const file = resolve(worktreePath, rel);
  let text = '';
  try {
    text = await readFile(file, 'utf8');
  } catch {
    await mkdir(dirname(file), { recursive: true });
  }
  const have = new Set(text.split(/\r?\n/).map((l) => l.trim()));
  const missing = patterns.filter((p) => !have.has(p));
  if (missing.length === 0) return file;
  const prefix = text === '' || text.endsWith('\n') ? '' : '\n';
  await appendFile(file, `${prefix}# WAVE: files it writes for agents, never committed\n${missing.join('\n')}\n`);
  return file;
}
