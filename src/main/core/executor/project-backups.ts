import { existsSync } from 'node:fs';
import { loadWaveConfig, type WaveConfig } from '../config';
import { Backups } from './backups';
import type { AuditSink } from './domain-boundaries';
import { ExecutorError } from './errors';
import { runGit } from './git';

export interface ProjectBackups {
  backups: Backups;
  repoRoot: string;
  config: WaveConfig;
}

/**
 * The snapshots of a project repository, for `wave backups`, `wave restore` and the
 * window: its wave.config.json gives the target branch (files changed are counted against
 * it), the copied files and the retention (`backups.keepDays`, `backups.keepPerStory`).
 */
export async function openProjectBackups(
  repoPath: string,
  options: { audit?: AuditSink; targetBranch?: string } = {},
): Promise<ProjectBackups> {
  if (!existsSync(repoPath))
    throw new ExecutorError(
      'not_a_repository',
      `The repository folder ${repoPath} does not exist. Check the project path.`,
      { repoPath },
    );
  const top = await runGit(repoPath, ['rev-parse', '--show-toplevel'], { allowExitCodes: [128] });
  if (top.exitCode !== 0) {
    throw new ExecutorError(
      'not_a_repository',
      `${repoPath} is not a git repository (${top.stderr.trim()}); snapshots live in the project's repository.`,
      { repoPath },
    );
  }
  const repoRoot = top.stdout.trim();
  const { config } = await loadWaveConfig(repoRoot);
  const backups = new Backups({
    repoRoot,
    targetBranch: options.targetBranch ?? config.targetBranch,
    copyFiles: config.worktree.copy,
    audit: options.audit,
    retention: config.backups,
  });
  return { backups, repoRoot, config };
}
