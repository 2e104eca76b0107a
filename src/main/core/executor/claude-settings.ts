import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { EditRules } from './agent-preset';
import { excludeFromGit } from './git-exclude';
import { runGit } from './git';

/** Where Claude Code reads a project's local (never shared) settings. */
export const CLAUDE_LOCAL_SETTINGS = '.claude/settings.local.json';

export type ClaudeSettingsWrite =
  | { written: true; file: string; allow: number; deny: number; truncated: boolean }
  | { written: false; file: string; reason: string };

/**
 * Writes the rules into the worktree's `.claude/settings.local.json`, kept out of git through
 * the repository's exclude file. Rules already there (a lead's own, an earlier phase's) stay;
 * other settings in the file are kept. A file the branch tracks is left alone: changing it
 * would become part of the story.
 */
export async function writeClaudeSettings(worktreePath: string, rules: EditRules): Promise<ClaudeSettingsWrite> {
  const file = path.join(worktreePath, CLAUDE_LOCAL_SETTINGS);
  const tracked = await runGit(worktreePath, ['ls-files', '--error-unmatch', '--', CLAUDE_LOCAL_SETTINGS], {
    allowExitCodes: [1],
  });
  if (tracked.exitCode === 0)
    return { written: false, file, reason: `${CLAUDE_LOCAL_SETTINGS} is tracked by the branch; it was left as it is` };
  await excludeFromGit(worktreePath);
  let current: Record<string, unknown> = {};
  if (existsSync(file)) {
    try {
      const parsed = JSON.parse(readFileSync(file, 'utf8')) as unknown;
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) current = parsed as Record<string, unknown>;
    } catch {
      return { written: false, file, reason: `${CLAUDE_LOCAL_SETTINGS} exists but is not JSON; it was left as it is` };
    }
  }
  const perms =
    current.permissions && typeof current.permissions === 'object' && !Array.isArray(current.permissions)
      ? (current.permissions as Record<string, unknown>)
      : {};
  const list = (v: unknown) => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
  const settings = {
    ...current,
    permissions: {
      ...perms,
      allow: [...new Set([...list(perms.allow), ...rules.allow])],
      deny: [...new Set([...list(perms.deny), ...rules.deny])],
    },
  };
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(settings, null, 2)}\n`);
  return { written: true, file, allow: rules.allow.length, deny: rules.deny.length, truncated: rules.truncated };
}
