import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { runGit, type GitResult } from '../executor/git';
import { assertSafeSessionId, RepoLock } from '../executor';

/** What a worker's own git runs (clone, fetch, push) may need to reach a remote: never an agent's. */
const REMOTE_ACCESS = ['SSH_AUTH_SOCK', 'GIT_SSH_COMMAND', 'GIT_ASKPASS', 'SSH_ASKPASS'] as const;

function remoteEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of REMOTE_ACCESS) if (env[k]) out[k] = env[k]!;
  return out;
}

/**
 * A worker's clone of a project's remote (`project.remote` in wave.config.json), made once
 * under its work dir and fetched before each story. Its main checkout stays detached, so the
 * target branch is checked out nowhere and gate-7 may move the local ref; the local target
 * branch is only ever a copy of the remote's (`sync`), and the remote is where stories land.
 *
 * The stories a worker runs side by side share the clone: every fetch and push (each writes
 * remote-tracking refs) runs under the clone's repository lock, the one its worktrees use, so
 * two never race on a ref ("cannot lock ref … is at X but expected Y"). Callers must not hold
 * that lock when they call them (it is not re-entrant).
 */
export class FleetClone {
  /** Clones being made in this process, by folder: two stories starting at once make one. */
  private static readonly opening = new Map<string, Promise<FleetClone>>();

  private constructor(
    readonly path: string,
    readonly remote: string,
    private readonly env: Record<string, string>,
    private readonly lock: RepoLock,
  ) {}

  /** Clones `remote` into `<workDir>/repos/<projectId>` unless it is there already. */
  static open(remote: string, workDir: string, projectId: string, env: NodeJS.ProcessEnv): Promise<FleetClone> {
    const dir = join(workDir, 'repos', assertSafeSessionId(projectId));
    let opening = FleetClone.opening.get(dir);
    if (!opening) {
      opening = FleetClone.make(dir, remote, remoteEnv(env));
      FleetClone.opening.set(dir, opening);
      // A failed clone is tried again by the next story; a made one is kept.
      opening.catch(() => FleetClone.opening.delete(dir));
    }
    return opening;
  }

  private static async make(dir: string, remote: string, env: Record<string, string>): Promise<FleetClone> {
    if (!existsSync(join(dir, '.git'))) {
      mkdirSync(join(dir, '..'), { recursive: true });
      await runGit(join(dir, '..'), ['clone', '--quiet', '--no-checkout', '--', remote, dir], { env });
      await runGit(dir, ['checkout', '--quiet', '--detach', 'HEAD'], { env, allowExitCodes: [128] });
    }
    return new FleetClone(dir, remote, env, RepoLock.forGitDir(join(dir, '.git')));
  }

  git(args: string[], allowExitCodes: number[] = []): Promise<GitResult> {
    return runGit(this.path, args, { env: this.env, allowExitCodes });
  }

  /** Fetches every branch of the remote (story branches included, so a resumed story finds its commits). */
  private async fetch(): Promise<void> {
    await this.git(['fetch', '--quiet', '--prune', 'origin', '+refs/heads/*:refs/remotes/origin/*']);
  }

  /** The remote's commit of a branch as last fetched; null when it has none. */
  private async remoteTip(branch: string): Promise<string | null> {
    const r = await this.git(['rev-parse', '--verify', '--quiet', `refs/remotes/origin/${branch}^{commit}`], [1, 128]);
    return r.exitCode === 0 ? r.stdout.trim() : null;
  }

  /** Fetches, then sets the local target branch to the remote's. */
  syncTarget(target: string): Promise<string> {
    return this.lock.exclusive(async () => {
      await this.fetch();
      const tip = await this.remoteTip(target);
      if (!tip) throw new Error(`The remote ${this.remote} has no branch ${target}.`);
      await this.git(['update-ref', '-m', 'wave worker: target as on the remote', `refs/heads/${target}`, tip]);
      return tip;
    });
  }

  /** Pushes a story branch (forced: a resumed story may have been reset to its checkpoint). */
  pushBranch(branch: string): Promise<void> {
    return this.lock.exclusive(async () => {
      await this.git(['push', '--quiet', '--force', 'origin', `refs/heads/${branch}:refs/heads/${branch}`]);
    });
  }

  /**
   * Lands `sha` on the remote's target branch by a push WITHOUT force: git refuses it unless
   * the remote's target is an ancestor of `sha`. False when it was refused (the target moved).
   */
  pushTarget(sha: string, target: string): Promise<boolean> {
    return this.lock.exclusive(async () => {
      const r = await this.git(['push', '--quiet', '--porcelain', 'origin', `${sha}:refs/heads/${target}`], [1]);
      return r.exitCode === 0;
    });
  }
}
