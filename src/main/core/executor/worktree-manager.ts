import { existsSync, mkdirSync, realpathSync } from 'node:fs';
import { cp, lstat, mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { sha256Hex } from '../hash';
import { Backups, type BackupOperation, type BackupRetention, type Snapshot } from './backups';
import type { AuditSink } from './domain-boundaries';
import { basePolicy, buildChildEnv, type ChildEnvPolicy } from './agent-env';
import { ExecutorError } from './errors';
import { runGit, type GitRunOptions } from './git';
import { assertAgentName, assertStoryId, storyBranchName } from './names';
import { isInsideOrSame, resolveInside, safeRelativePath } from './paths';
import { isProcessAlive, readProcStat } from './proc';
import type { ProcessGroups } from './process-groups';
import { RepoLock } from './repo-lock';
import { runCommand } from './run-command';

export interface WorktreeManagerOptions {
  /** The user's repository (its main checkout, or any worktree of it). */
  repoPath: string;
  /** The app's data folder; worktrees go to `<dataDir>/worktrees/<repo-hash>/<story-id>`. */
  dataDir: string;
  /** Replaces `<dataDir>/worktrees`; must lie outside the repository. */
  worktreesDir?: string;
  /** The branch stories start from (and later merge into). */
  targetBranch: string;
  /** Untracked files (e.g. `.env`) copied from the main checkout into each new worktree. */
  copyFiles?: string[];
  /** argv run in each new worktree after it is created (e.g. `["npm","ci"]`). */
  setupCommand?: string[];
  /** What the setup command may see of the app's environment (default: base names only). */
  env?: ChildEnvPolicy;
  setupTimeoutMs?: number;
  /** Identity for commits and merges wave makes itself; the repository's own config otherwise. */
  committer?: { name: string; email: string };
  lockTimeoutMs?: number;
  /** Setup commands register here so a session stop reaches them. */
  processGroups?: ProcessGroups;
  /** Where snapshots taken before destructive operations are recorded. */
  audit?: AuditSink;
  /** Retention of snapshots (wave.config.json `backups`). */
  backups?: Partial<BackupRetention>;
}

/** Why wave is about to destroy a story's state: goes into the snapshot and the audit log. */
export interface DestroyReason {
  reason: string;
  /** Who or what caused it (a person, `orchestrator`…); default `wave`. */
  actor?: string;
  gate?: string | null;
  sessionId?: string | null;
}

export interface RemoveOptions extends Partial<DestroyReason> {
  /** Also delete the branch, only once its work is verified on the target branch. */
  deleteBranch?: boolean;
  /** The commit that landed the story (gate-7): must be on the target and contain the branch tip. */
  mergedAs?: string;
}

export interface RemoveResult {
  worktreeRemoved: boolean;
  branchDeleted: boolean;
  /** Set when deleteBranch was asked but the branch's work is not on the target: the branch was kept. */
  branchKept?: string;
  /** The snapshot taken before removal, or null when there was nothing to lose. */
  snapshots: Snapshot[];
}

/** What wave knows about a story's worktree; also its proof of ownership of the branch. */
export interface StoryWorktree {
  storyId: string;
  agent: string;
  branch: string;
  path: string;
  baseBranch: string;
  baseSha: string;
  createdAt: string;
  /** The process using the worktree: reconciliation in another process leaves it alone while it lives. */
  owner?: WorktreeOwner;
}

export interface WorktreeOwner {
  pid: number;
  startTime: number;
  host: string;
  sessionId?: string;
}

export interface CreateWorktreeRequest {
  storyId: string;
  agent: string;
  /** Defaults to the manager's target branch. */
  baseBranch?: string;
  sessionId?: string;
}

export interface CreatedWorktree extends StoryWorktree {
  /** True when an existing worktree or branch of this story was picked up again. */
  reused: boolean;
  copied: string[];
  missing: string[];
  setupOutput?: string;
}

export interface WorktreeStatus extends StoryWorktree {
  worktreeExists: boolean;
  branchExists: boolean;
}

export interface ReconcileOptions {
  /** Stories that continue: their worktrees and branches are kept for reuse. */
  keep?: string[];
  /** Only report; change nothing. */
  dryRun?: boolean;
  /** Also delete owned branches whose work never reached the target branch (a snapshot of each is kept). */
  deleteUnmerged?: boolean;
  /** Recorded with the snapshots of what is cleaned. */
  reason?: string;
  actor?: string;
}

export interface ReconcileReport {
  kept: string[];
  /** Stories whose worktree another live wave process is using: left alone. */
  inUse: string[];
  removedWorktrees: string[];
  deletedBranches: string[];
  /** Owned branches left in place because their commits are not in the target branch. */
  keptUnmerged: string[];
  /** Snapshots taken of what was cleaned (refs/wave/backup/…). */
  snapshots: string[];
  /** Folders under the worktree root that git did not know about (deleted). */
  strayFolders: string[];
  /** `wave/` branches with no ownership record: listed, never touched. */
  foreignBranches: string[];
}

export interface DiskUsage {
  bytes: number;
  worktrees: Array<{ storyId: string; bytes: number }>;
}

interface GitWorktreeEntry {
  path: string;
  head?: string;
  branch?: string;
  bare: boolean;
  prunable: boolean;
}

const OWNED_DIR = '.owned';

/**
 * One git worktree per story run, on branch `wave/<agent>/<story-id>`, kept outside the
 * repository so `git clean` or deleting the repository never eats running work.
 *
 * Ownership: for every branch it creates, the manager writes a record under
 * `<root>/.owned/`. Only branches and folders with a record are ever removed; the main
 * checkout and branches it did not create are never touched. State-changing git runs
 * under the repository lock (`shared` for per-story changes git already makes safe side
 * by side, `exclusive` for removals, prune and reconciliation).
 */
export class WorktreeManager {
  // Two creations of the same story must not interleave (the repository lock is shared).
  private readonly perStory = new KeyedMutex();
  /** The ref read that creations asking now will share (see readBranchesTogether). */
  private branchReads: { wanted: Set<string>; read: Promise<Map<string, string>> } | null = null;
  /** The branch creation that creations asking now will share (see createBranchTogether). */
  private branchCreates: { wanted: Map<string, string>; done: Promise<boolean> } | null = null;

  private constructor(
    private readonly options: WorktreeManagerOptions,
    /** Top level of the repository's main checkout. */
    readonly repoRoot: string,
    /** The repository's common git dir (shared by all its worktrees). */
    readonly gitDir: string,
    /** Folder holding this repository's story worktrees. */
    readonly root: string,
    readonly lock: RepoLock,
    /** Snapshots of story state taken before destructive operations. */
    readonly backups: Backups,
  ) {}

  /** Opens the manager for a repository, checking the configuration up front. */
  static async open(options: WorktreeManagerOptions): Promise<WorktreeManager> {
    if (!existsSync(options.repoPath)) {
      throw new ExecutorError(
        'not_a_repository',
        `The repository folder ${options.repoPath} does not exist. Check the project path.`,
      );
    }
    const probe = await runGit(
      realpathSync(options.repoPath),
      ['rev-parse', '--path-format=absolute', '--git-common-dir', '--is-bare-repository'],
      {
        allowExitCodes: [128],
      },
    );
    if (probe.exitCode !== 0) {
      throw new ExecutorError(
        'not_a_repository',
        `${options.repoPath} is not a git repository (${probe.stderr.trim()}). Run "git init" there or pick the right folder.`,
      );
    }
    const [commonDirRaw, bare] = probe.stdout.trim().split('\n');
    if (bare === 'true') {
      throw new ExecutorError(
        'not_a_repository',
        `${options.repoPath} is a bare repository; wave needs a repository with a working tree.`,
      );
    }
    const gitDir = realpathSync(commonDirRaw!);
    // The main checkout is the first entry of `git worktree list`, whichever worktree we were given.
    const main = (await listGitWorktrees(gitDir))[0];
    const repoRoot = realpathSync(main?.path ?? dirname(gitDir));
    if (safeRefName(options.targetBranch) === null) {
      throw new ExecutorError(
        'invalid_config',
        `The target branch name ${JSON.stringify(options.targetBranch)} is not a valid branch name.`,
      );
    }
    const hash = sha256Hex(gitDir).slice(0, 16);
    const parent = resolve(options.worktreesDir ?? join(options.dataDir, 'worktrees'));
    mkdirSync(parent, { recursive: true });
    const root = join(realpathSync(parent), hash);
    if (isInsideOrSame(root, repoRoot) || isInsideOrSame(repoRoot, root)) {
      throw new ExecutorError(
        'invalid_config',
        `The worktree folder ${root} overlaps the repository ${repoRoot}: "git clean" or deleting the repository would delete running stories' work. Choose a worktree folder outside the repository.`,
        { root, repoRoot },
      );
    }
    mkdirSync(join(root, OWNED_DIR), { recursive: true });
    const lock = RepoLock.forGitDir(gitDir, { timeoutMs: options.lockTimeoutMs });
    const backups = new Backups({
      repoRoot,
      targetBranch: options.targetBranch,
      copyFiles: options.copyFiles,
      committer: options.committer,
      audit: options.audit,
      retention: options.backups,
    });
    return new WorktreeManager(options, repoRoot, gitDir, root, lock, backups);
  }

  get targetBranch(): string {
    return this.options.targetBranch;
  }

  /** Untracked files copied into every worktree (to leave out of commits and domain checks). */
  get copiedFiles(): string[] {
    return [...(this.options.copyFiles ?? [])];
  }

  /** `-c` settings for commits and merges made by wave itself. */
  get gitConfig(): string[] {
    const c = this.options.committer;
    return c ? [`user.name=${c.name}`, `user.email=${c.email}`] : [];
  }

  /** Runs git in `cwd` (default: the main checkout) with wave's committer identity. */
  git(args: string[], options: GitRunOptions & { cwd?: string } = {}) {
    return runGit(options.cwd ?? this.repoRoot, args, {
      ...options,
      config: [...this.gitConfig, ...(options.config ?? [])],
    });
  }

  /** Where a story's worktree lives (whether or not it exists). */
  pathFor(storyId: string): string {
    return join(this.root, assertStoryId(storyId));
  }

  /**
   * Creates the story's worktree on `wave/<agent>/<story-id>` from the base branch, or
   * picks up the one left by an earlier run (same story, same agent) with its commits.
   */
  async create(request: CreateWorktreeRequest): Promise<CreatedWorktree> {
    const storyId = assertStoryId(request.storyId);
    const agent = assertAgentName(request.agent);
    const branch = storyBranchName(agent, storyId);
    const baseBranch = request.baseBranch ?? this.options.targetBranch;
    if (safeRefName(baseBranch) === null) {
      throw new ExecutorError(
        'invalid_config',
        `The base branch name ${JSON.stringify(baseBranch)} is not a valid branch name.`,
      );
    }
    const path = this.pathFor(storyId);
    return this.perStory.run(storyId, () => this.createLocked(request, storyId, agent, branch, baseBranch, path));
  }

  private async createLocked(
    request: CreateWorktreeRequest,
    storyId: string,
    agent: string,
    branch: string,
    baseBranch: string,
    path: string,
  ): Promise<CreatedWorktree> {
    // Phase 1 (shared lock): decide, write the ownership record, create the branch.
    // Distinct branches can be created side by side; this is most of the work.
    type Plan = { record: StoryWorktree; reused: boolean; add: 'none' | 'add' | 'add-force' };
    const plan: Plan = await this.lock.shared(async () => {
      const owned = await this.readOwned(storyId);
      if (owned && owned.branch !== branch) {
        throw new ExecutorError(
          'branch_not_owned',
          `Story ${storyId} already has a worktree on ${owned.branch}; it cannot also run on ${branch}. Finish or remove the earlier run (reconcile) before switching agents.`,
          { storyId, branch, existing: owned.branch },
        );
      }
      // Listing worktrees costs a git run: only needed when something may be left over.
      const registered =
        owned || existsSync(path) ? (await listGitWorktrees(this.gitDir)).find((w) => w.path === path) : undefined;
      const refs = await this.readBranchesTogether([branch, baseBranch]);
      const branchSha = refs.get(branch) ?? null;
      if (registered) {
        if (!owned || registered.branch !== `refs/heads/${branch}`) {
          throw new ExecutorError(
            'unsafe_path',
            `${path} is a worktree wave did not create for ${branch}; it was left untouched. Remove it yourself if it is not needed.`,
            { path },
          );
        }
        if (existsSync(join(path, '.git')))
          return { record: await this.claim(owned, request.sessionId), reused: true, add: 'none' };
        // The folder was deleted behind git's back: re-create it on the same branch.
        return { record: await this.claim(owned, request.sessionId), reused: true, add: 'add-force' };
      }
      if (branchSha) {
        if (!owned) {
          throw new ExecutorError(
            'branch_not_owned',
            `The branch ${branch} already exists and was not created by wave for this repository, so wave will not use or delete it. Rename or delete it, or run the story with another agent name.`,
            { branch },
          );
        }
        return { record: await this.claim(owned, request.sessionId), reused: true, add: 'add' };
      }
      if (owned) {
        // Ownership record of a branch that is gone: start over.
        await this.dropOwned(storyId);
      }
      const baseSha = refs.get(baseBranch);
      if (!baseSha) {
        throw new ExecutorError(
          'branch_missing',
          `The base branch ${baseBranch} does not exist in ${this.repoRoot}. Create it or set the right target branch in wave.config.json.`,
          {
            baseBranch,
          },
        );
      }
      const created: StoryWorktree = {
        storyId,
        agent,
        branch,
        path,
        baseBranch,
        baseSha,
        createdAt: new Date().toISOString(),
        owner: this.ownerFor(request.sessionId),
      };
      // Record first: a crash between the two leaves a record without a branch (harmless),
      // never a branch without a record (which wave would then refuse to touch).
      await this.writeOwned(created);
      try {
        // Empty old value: create only, never move an existing ref.
        await this.createBranchTogether(branch, baseSha);
      } catch (error) {
        await this.dropOwned(storyId);
        throw error;
      }
      return { record: created, reused: false, add: 'add' };
    });

    const result: CreatedWorktree = { ...plan.record, reused: plan.reused, copied: [], missing: [] };
    if (plan.add === 'none') return result;
    try {
      // Phase 2 (exclusive): register the worktree. `git worktree add` reads every other
      // worktree's admin folder, so two adds side by side can read a half-written one.
      // --no-checkout keeps this short; the files are written in phase 3.
      await this.lock.exclusive(async () => {
        // (Should another process have deleted the branch meanwhile, git refuses the add.)
        await rm(path, { recursive: true, force: true });
        await this.git([
          'worktree',
          'add',
          '--no-checkout',
          ...(plan.add === 'add-force' ? ['--force'] : []),
          path,
          branch,
        ]);
      });
      // Phase 3 (no lock): check out the files. Touches only this worktree's own index and folder.
      // destructive: fresh-worktree (just added with --no-checkout: this fills it, nothing is in it yet)
      await this.git(['reset', '--hard', '--quiet'], { cwd: path });
      await this.setUp(result, request.sessionId);
    } catch (error) {
      await this.remove(storyId, { deleteBranch: !plan.reused }).catch(() => undefined);
      throw error;
    }
    return result;
  }

  private ownerFor(sessionId: string | undefined): WorktreeOwner {
    return { pid: process.pid, startTime: readProcStat(process.pid)?.startTime ?? 0, host: hostname(), sessionId };
  }

  /** Marks an existing record as used by this process (a resumed run takes it over). */
  private async claim(record: StoryWorktree, sessionId: string | undefined): Promise<StoryWorktree> {
    const claimed = { ...record, owner: this.ownerFor(sessionId) };
    await this.writeOwned(claimed);
    return claimed;
  }

  /** True when another process that is still alive (or on another host) uses the record. */
  private usedElsewhere(record: StoryWorktree): boolean {
    const o = record.owner;
    if (!o || o.pid === process.pid) return false;
    if (o.host !== hostname()) return true;
    return isProcessAlive(o.pid, o.startTime || undefined);
  }

  /** Copies configured untracked files and runs the setup command in a new worktree. */
  private async setUp(worktree: CreatedWorktree, sessionId: string | undefined): Promise<void> {
    for (const file of this.options.copyFiles ?? []) {
      const rel = safeRelativePath(file);
      const from = rel === null ? null : resolveInside(this.repoRoot, rel);
      const to = rel === null ? null : resolveInside(worktree.path, rel);
      if (!from || !to) {
        throw new ExecutorError(
          'unsafe_path',
          `The file to copy into worktrees ${JSON.stringify(file)} is outside the repository. List paths relative to the repository root.`,
          { file },
        );
      }
      if (!existsSync(from)) {
        worktree.missing.push(rel!);
        continue;
      }
      // A symlink in the main checkout must not smuggle a file from elsewhere on disk.
      if (!isInsideOrSame(realpathSync(from), this.repoRoot)) {
        throw new ExecutorError(
          'unsafe_path',
          `${from} points outside the repository; it was not copied into the worktree.`,
          { file },
        );
      }
      if (existsSync(to)) continue;
      await mkdir(dirname(to), { recursive: true });
      await cp(from, to, { recursive: true, dereference: true });
      worktree.copied.push(rel!);
    }
    const argv = this.options.setupCommand;
    if (argv && argv.length > 0) {
      const run = await runCommand(argv, {
        cwd: worktree.path,
        env: buildChildEnv(this.options.env ?? basePolicy(), {
          WAVE_STORY_ID: worktree.storyId,
          WAVE_SESSION_ID: sessionId ?? '',
        }).env,
        timeoutMs: this.options.setupTimeoutMs ?? 10 * 60_000,
        groups: this.options.processGroups,
        sessionId,
        storyId: worktree.storyId,
        label: 'worktree setup',
      });
      worktree.setupOutput = run.output;
      if (run.exitCode !== 0) {
        const why =
          run.spawnError ??
          (run.timedOut ? 'timed out' : run.signal ? `killed by ${run.signal}` : `exit code ${run.exitCode}`);
        throw new ExecutorError(
          'worktree_setup_failed',
          `The setup command "${argv.join(' ')}" failed in the worktree of ${worktree.storyId} (${why}). Output:\n${run.output.slice(-4000)}\nFix the command in wave.config.json (execution.setup) and retry.`,
          { storyId: worktree.storyId, output: run.output },
        );
      }
    }
  }

  /**
   * Removes a story's worktree (after success or skip); with `deleteBranch`, also the
   * branch. Only what the ownership record names is removed.
   */
  async remove(storyId: string, options: RemoveOptions = {}): Promise<RemoveResult> {
    assertStoryId(storyId);
    return this.lock.exclusive(() => this.removeLocked(storyId, options));
  }

  private async removeLocked(storyId: string, options: RemoveOptions): Promise<RemoveResult> {
    const owned = await this.readOwned(storyId);
    const result: RemoveResult = { worktreeRemoved: false, branchDeleted: false, snapshots: [] };
    if (!owned) return result;
    const why: DestroyReason = {
      reason:
        options.reason ??
        (options.deleteBranch
          ? 'the story is done: its worktree and branch are removed'
          : 'the story worktree is removed'),
      actor: options.actor,
      gate: options.gate,
      sessionId: options.sessionId ?? owned.owner?.sessionId,
    };
    result.worktreeRemoved = await this.removeWorktreeFolder(owned, why, 'remove-worktree', result.snapshots);
    if (options.deleteBranch) {
      const unmerged = await this.unmergedReason(owned, options.mergedAs);
      if (unmerged) {
        // Deleted only once its work is verified on the target: kept (with its record) otherwise.
        result.branchKept = unmerged;
      } else {
        result.branchDeleted = await this.deleteOwnedBranch(owned, why, result.snapshots);
        await this.dropOwned(storyId);
      }
    }
    return result;
  }

  /** Null when the story branch's work is on the target branch (through `mergedAs` when given); why not otherwise. */
  private async unmergedReason(owned: StoryWorktree, mergedAs?: string): Promise<string | null> {
    const tip = await this.resolveRef(`refs/heads/${owned.branch}`);
    if (!tip) return null;
    const target = `refs/heads/${this.options.targetBranch}`;
    if (mergedAs !== undefined) {
      if (!(await this.isAncestor(mergedAs, target).catch(() => false)))
        return `the merge commit ${mergedAs} is not on ${this.options.targetBranch}`;
      if (!(await this.isAncestor(tip, mergedAs)))
        return `${owned.branch} has commits (${tip.slice(0, 12)}) that the merge commit ${mergedAs.slice(0, 12)} does not contain`;
      return null;
    }
    if (!(await this.isAncestor(tip, target)))
      return `${owned.branch} has commits (${tip.slice(0, 12)}) that are not on ${this.options.targetBranch}`;
    return null;
  }

  /**
   * Takes a snapshot of a story's worktree and branch (see Backups.snapshot); null when
   * nothing would be lost. `keeps`: the commit the branch still contains afterwards.
   */
  async snapshot(
    storyId: string,
    why: DestroyReason & { operation: BackupOperation; keeps: string | null },
  ): Promise<Snapshot | null> {
    const owned = await this.requireOwned(storyId);
    return this.lock.shared(() => this.snapshotOwned(owned, why, why.operation, why.keeps));
  }

  private async snapshotOwned(
    owned: StoryWorktree,
    why: DestroyReason,
    operation: BackupOperation,
    keeps: string | null,
  ): Promise<Snapshot | null> {
    const path = this.pathFor(owned.storyId);
    const hasWorktree = existsSync(join(path, '.git'));
    return this.backups.snapshot(
      { worktreePath: hasWorktree ? path : null, branch: owned.branch },
      {
        storyId: owned.storyId,
        operation,
        keeps,
        reason: why.reason,
        actor: why.actor,
        gate: why.gate ?? null,
        sessionId: why.sessionId ?? owned.owner?.sessionId ?? null,
      },
    );
  }

  /**
   * Brings a story's worktree to `sha` (a resume to its checkpoint, a restart from the
   * target): snapshots what the worktree and branch hold first, then resets and cleans.
   * Untracked files wave copied in (`.env`) are left in place. Returns the snapshot, or
   * null when nothing would have been lost.
   */
  async resetTo(
    storyId: string,
    sha: string,
    why: DestroyReason & { operation?: BackupOperation },
  ): Promise<Snapshot | null> {
    const owned = await this.requireOwned(storyId);
    const path = this.pathFor(owned.storyId);
    return this.perStory.run(owned.storyId, () =>
      this.lock.shared(async () => {
        const target = (
          await this.git(['rev-parse', '--verify', '--quiet', `${sha}^{commit}`], {
            cwd: path,
            allowExitCodes: [1, 128],
          })
        ).stdout.trim();
        if (!target)
          throw new ExecutorError(
            'branch_missing',
            `Cannot reset the worktree of ${owned.storyId} to ${sha}: no such commit.`,
            { storyId, sha },
          );
        const snapshot = await this.snapshotOwned(owned, why, why.operation ?? 'reset', target);
        const keep = this.copiedFiles.map((f) => safeRelativePath(f)).filter((p): p is string => p !== null);
        // destructive: after-snapshot
        await this.git(['reset', '--hard', '--quiet', target], { cwd: path });
        // destructive: after-snapshot
        await this.git(['clean', '-fd', '--quiet', ...keep.flatMap((p) => ['-e', `/${p}`])], { cwd: path });
        return snapshot;
      }),
    );
  }

  private async removeWorktreeFolder(
    owned: StoryWorktree,
    why: DestroyReason,
    operation: BackupOperation,
    snapshots: Snapshot[],
  ): Promise<boolean> {
    const path = this.pathFor(owned.storyId);
    const registered = (await listGitWorktrees(this.gitDir)).find((w) => w.path === path);
    let removed = false;
    if (registered) {
      if (registered.branch && registered.branch !== `refs/heads/${owned.branch}`) {
        throw new ExecutorError(
          'unsafe_path',
          `${path} holds ${registered.branch}, not ${owned.branch}; wave left it untouched.`,
          { path },
        );
      }
      // The branch stays as it is: what is at risk is the worktree's uncommitted and untracked files.
      if (!registered.prunable) {
        const snapshot = await this.snapshotOwned(owned, why, operation, registered.head ?? null);
        if (snapshot) snapshots.push(snapshot);
      }
      // --force twice: copied untracked files (.env), build output or a lock left by a
      // crashed run must not block the removal of a worktree that is ours.
      // destructive: after-snapshot
      const r = await this.git(['worktree', 'remove', '--force', '--force', path], { allowExitCodes: [128] });
      removed = true;
      if (r.exitCode !== 0) {
        await rm(path, { recursive: true, force: true });
        await this.git(['worktree', 'prune']);
      }
    }
    if (existsSync(path)) {
      await rm(path, { recursive: true, force: true });
      removed = true;
    }
    return removed;
  }

  private async deleteOwnedBranch(owned: StoryWorktree, why: DestroyReason, snapshots: Snapshot[]): Promise<boolean> {
    if (!(await this.resolveRef(`refs/heads/${owned.branch}`))) return false;
    // Nothing is written when the tip is on the target branch (its work is merged).
    const snapshot = await this.snapshotOwned(owned, why, 'delete-branch', null);
    if (snapshot) snapshots.push(snapshot);
    // destructive: after-snapshot
    await this.git(['branch', '-D', '--', owned.branch]);
    return true;
  }

  /** Drops git's records of worktrees whose folders are gone (git's own housekeeping). */
  async prune(): Promise<void> {
    await this.lock.exclusive(async () => {
      await this.git(['worktree', 'prune']);
    });
  }

  /** Every story worktree wave has a record of, with what still exists. */
  async list(): Promise<WorktreeStatus[]> {
    const owned = await this.allOwned();
    const registered = new Set((await listGitWorktrees(this.gitDir)).map((w) => w.path));
    const out: WorktreeStatus[] = [];
    for (const o of owned) {
      out.push({
        ...o,
        worktreeExists: registered.has(o.path) && existsSync(o.path),
        branchExists: (await this.resolveRef(`refs/heads/${o.branch}`)) !== null,
      });
    }
    return out;
  }

  /** The record of one story's worktree, or null when wave has none. */
  async get(storyId: string): Promise<StoryWorktree | null> {
    return this.readOwned(assertStoryId(storyId));
  }

  /**
   * After a crash: lists what earlier runs left (worktrees, `wave/` branches, stray
   * folders), keeps what `keep` names for reuse and cleans the rest. Branches whose
   * commits are not in the target branch are kept unless `deleteUnmerged`; branches
   * without an ownership record are only listed.
   */
  async reconcile(options: ReconcileOptions = {}): Promise<ReconcileReport> {
    const keep = new Set(options.keep ?? []);
    return this.lock.exclusive(async () => {
      if (!options.dryRun) await this.git(['worktree', 'prune']);
      const report: ReconcileReport = {
        kept: [],
        inUse: [],
        removedWorktrees: [],
        deletedBranches: [],
        keptUnmerged: [],
        snapshots: [],
        strayFolders: [],
        foreignBranches: [],
      };
      const taken: Snapshot[] = [];
      const why: DestroyReason = {
        reason: options.reason ?? 'reconcile: clean-up of a story that does not continue',
        actor: options.actor ?? 'reconcile',
      };
      const owned = await this.allOwned();
      const ownedBranches = new Set(owned.map((o) => o.branch));
      for (const o of owned) {
        if (keep.has(o.storyId)) {
          report.kept.push(o.storyId);
          continue;
        }
        if (this.usedElsewhere(o)) {
          // Another live wave process (another session on this repository) is using it.
          report.inUse.push(o.storyId);
          continue;
        }
        const registered = (await listGitWorktrees(this.gitDir)).some((w) => w.path === o.path);
        if (registered || existsSync(o.path)) {
          report.removedWorktrees.push(o.storyId);
          if (!options.dryRun) await this.removeWorktreeFolder(o, why, 'reconcile', taken);
        }
        const tip = await this.resolveRef(`refs/heads/${o.branch}`);
        if (!tip) {
          if (!options.dryRun) await this.dropOwned(o.storyId);
          continue;
        }
        const merged = await this.isAncestor(tip, `refs/heads/${this.options.targetBranch}`);
        if (merged || options.deleteUnmerged) {
          report.deletedBranches.push(o.branch);
          if (!options.dryRun) {
            await this.deleteOwnedBranch(o, why, taken);
            await this.dropOwned(o.storyId);
          }
        } else {
          report.keptUnmerged.push(o.branch);
        }
      }
      const known = new Set(owned.map((o) => o.storyId));
      const registeredPaths = new Set((await listGitWorktrees(this.gitDir)).map((w) => w.path));
      for (const name of await readdir(this.root)) {
        if (name === OWNED_DIR || known.has(name)) continue;
        const path = join(this.root, name);
        if (registeredPaths.has(path)) continue;
        report.strayFolders.push(name);
        if (!options.dryRun) await rm(path, { recursive: true, force: true });
      }
      const refs = await this.git(['for-each-ref', '--format=%(refname:short)', 'refs/heads/wave/']);
      for (const ref of refs.stdout.split('\n').filter(Boolean)) {
        if (!ownedBranches.has(ref)) report.foreignBranches.push(ref);
      }
      report.snapshots = taken.map((t) => t.id);
      return report;
    });
  }

  /** Bytes used by the story worktrees (files as stored, symlinks not followed). */
  async diskUsage(): Promise<DiskUsage> {
    const worktrees: DiskUsage['worktrees'] = [];
    let bytes = 0;
    for (const name of await readdir(this.root)) {
      if (name === OWNED_DIR) continue;
      const size = await folderSize(join(this.root, name));
      worktrees.push({ storyId: name, bytes: size });
      bytes += size;
    }
    return { bytes, worktrees };
  }

  /**
   * Commits everything in the story's worktree (what the agent left uncommitted) on its
   * branch. Returns the new commit, or null when there was nothing to commit.
   */
  async commitAll(storyId: string, message: string): Promise<string | null> {
    const owned = await this.requireOwned(storyId);
    return this.lock.shared(async () => {
      await this.git(['add', '--all'], { cwd: owned.path });
      // Files wave copied in (e.g. .env) are the user's local secrets, never story changes:
      // unstage them unless the branch already tracks them. (An exclude pathspec would
      // make `git add` fail when the file is also gitignored.)
      for (const file of this.options.copyFiles ?? []) {
        const rel = safeRelativePath(file);
        if (rel === null) continue;
        const tracked = await this.git(['cat-file', '-e', `HEAD:${rel}`], {
          cwd: owned.path,
          allowExitCodes: [1, 128],
        });
        if (tracked.exitCode !== 0)
          await this.git(['rm', '-r', '--cached', '--quiet', '--ignore-unmatch', '--', rel], { cwd: owned.path });
      }
      const staged = await this.git(['diff', '--cached', '--quiet'], { cwd: owned.path, allowExitCodes: [1] });
      if (staged.exitCode === 0) return null;
      await this.git(['commit', '--no-verify', '--quiet', '-m', message], { cwd: owned.path });
      return (await this.git(['rev-parse', 'HEAD'], { cwd: owned.path })).stdout.trim();
    });
  }

  /** The record of a story, or a clear error when wave has no worktree for it. */
  async requireOwned(storyId: string): Promise<StoryWorktree> {
    const owned = await this.readOwned(assertStoryId(storyId));
    if (!owned) {
      throw new ExecutorError(
        'worktree_missing',
        `Story ${storyId} has no worktree in ${this.root}. Run gate-0 (preflight) to create it.`,
        { storyId },
      );
    }
    return owned;
  }

  /**
   * The tips of `names` read in one `git for-each-ref` with those of every creation that asks
   * in the same turn of the event loop: 8 stories starting together cost one ref read, not 8.
   * Each caller asks while holding the shared lock and the read runs after its request, so it
   * sees at least what the caller would have seen alone.
   */
  private readBranchesTogether(names: string[]): Promise<Map<string, string>> {
    let batch = this.branchReads;
    if (!batch) {
      const wanted = new Set<string>();
      const read = new Promise<void>((r) => setImmediate(r)).then(() => {
        // Closed from here on: a later request starts the next read.
        this.branchReads = null;
        return this.resolveBranches([...wanted]);
      });
      batch = this.branchReads = { wanted, read };
    }
    for (const n of names) batch.wanted.add(n);
    return batch.read;
  }

  /**
   * Creates `refs/heads/<branch>` at `sha` (never moving an existing ref), in one
   * `git update-ref --stdin` with the branches of every creation that asks in the same turn of
   * the event loop. git applies such a batch all or nothing; when it refuses, each branch is
   * created on its own, so every caller gets its own answer.
   */
  private createBranchTogether(branch: string, sha: string): Promise<void> {
    let batch = this.branchCreates;
    if (!batch) {
      const wanted = new Map<string, string>();
      const done = new Promise<void>((r) => setImmediate(r)).then(async () => {
        this.branchCreates = null;
        const lines = [...wanted].map(([b, s]) => `create refs/heads/${b} ${s}\n`).join('');
        const r = await this.git(['update-ref', '-m', 'wave: story branch', '--stdin'], {
          input: lines,
          allowExitCodes: [128],
        });
        return r.exitCode === 0;
      });
      batch = this.branchCreates = { wanted, done };
    }
    batch.wanted.set(branch, sha);
    return batch.done.then(async (created) => {
      if (created) return;
      // Empty old value: create only, never move an existing ref.
      await this.git(['update-ref', '-m', 'wave: story branch', `refs/heads/${branch}`, sha, '']);
    });
  }

  /** Tips of local branches in one git run (missing branches are absent from the map). */
  private async resolveBranches(names: string[]): Promise<Map<string, string>> {
    const r = await this.git([
      'for-each-ref',
      '--format=%(objectname) %(refname)',
      ...names.map((n) => `refs/heads/${n}`),
    ]);
    const found = new Map<string, string>();
    for (const line of r.stdout.split('\n')) {
      const space = line.indexOf(' ');
      if (space < 0) continue;
      const ref = line.slice(space + 1);
      // for-each-ref also matches refs below a name (refs/heads/main/x): keep exact names only.
      for (const n of names) if (ref === `refs/heads/${n}`) found.set(n, line.slice(0, space));
    }
    return found;
  }

  /** Full SHA of a ref, or null when it does not exist. */
  async resolveRef(ref: string): Promise<string | null> {
    const r = await this.git(['rev-parse', '--verify', '--quiet', `${ref}^{commit}`], { allowExitCodes: [1, 128] });
    return r.exitCode === 0 ? r.stdout.trim() : null;
  }

  /** True when `ancestor` is reachable from `descendant`. */
  async isAncestor(ancestor: string, descendant: string): Promise<boolean> {
    const r = await this.git(['merge-base', '--is-ancestor', ancestor, descendant], { allowExitCodes: [1] });
    return r.exitCode === 0;
  }

  /** Worktrees git knows of in this repository (main checkout first). */
  listGitWorktrees(): Promise<GitWorktreeEntry[]> {
    return listGitWorktrees(this.gitDir);
  }

  // ---- ownership records ----

  private ownedPath(storyId: string): string {
    return join(this.root, OWNED_DIR, `${storyId}.json`);
  }

  private async readOwned(storyId: string): Promise<StoryWorktree | null> {
    try {
      const record = JSON.parse(await readFile(this.ownedPath(storyId), 'utf8')) as StoryWorktree;
      // The record names its own path; never trust it to point outside our root.
      return record.storyId === storyId && record.path === this.pathFor(storyId) ? record : null;
    } catch {
      return null;
    }
  }

  private async writeOwned(record: StoryWorktree): Promise<void> {
    const file = this.ownedPath(record.storyId);
    const tmp = `${file}.${process.pid}.tmp`;
    await writeFile(tmp, JSON.stringify(record, null, 2));
    await rename(tmp, file);
  }

  private async dropOwned(storyId: string): Promise<void> {
    await rm(this.ownedPath(storyId), { force: true });
  }

  private async allOwned(): Promise<StoryWorktree[]> {
    const out: StoryWorktree[] = [];
    for (const name of await readdir(join(this.root, OWNED_DIR))) {
      if (!name.endsWith('.json')) continue;
      const record = await this.readOwned(name.slice(0, -'.json'.length));
      if (record) out.push(record);
    }
    return out;
  }
}

/** Parses `git worktree list --porcelain -z`. */
export async function listGitWorktrees(gitDir: string): Promise<GitWorktreeEntry[]> {
  const r = await runGit(gitDir, ['worktree', 'list', '--porcelain', '-z']);
  const entries: GitWorktreeEntry[] = [];
  let current: GitWorktreeEntry | null = null;
  for (const field of r.stdout.split('\0')) {
    if (field === '') {
      if (current) entries.push(current);
      current = null;
      continue;
    }
    const space = field.indexOf(' ');
    const key = space < 0 ? field : field.slice(0, space);
    const value = space < 0 ? '' : field.slice(space + 1);
    if (key === 'worktree') current = { path: value, bare: false, prunable: false };
    else if (!current) continue;
    else if (key === 'HEAD') current.head = value;
    else if (key === 'branch') current.branch = value;
    else if (key === 'bare') current.bare = true;
    else if (key === 'prunable') current.prunable = true;
  }
  if (current) entries.push(current);
  return entries;
}

/** A branch name git accepts (checked locally, without running git), or null. */
export function safeRefName(name: string): string | null {
  if (
    typeof name !== 'string' ||
    name.length === 0 ||
    name.length > 200 ||
    name.startsWith('-') ||
    name.startsWith('/') ||
    name.endsWith('/') ||
    name.endsWith('.') ||
    name.endsWith('.lock') ||
    name.includes('..') ||
    name.includes('//') ||
    name.includes('@{') ||
    name === '@' ||
    [...name].some((ch) => ch.charCodeAt(0) <= 0x20 || ch.charCodeAt(0) === 0x7f || '~^:?*[\\'.includes(ch)) ||
    name.split('/').some((part) => part.startsWith('.'))
  ) {
    return null;
  }
  return name;
}

async function folderSize(path: string): Promise<number> {
  let total = 0;
  let stat;
  try {
    stat = await lstat(path);
  } catch {
    return 0;
  }
  if (!stat.isDirectory()) return stat.size;
  total += stat.size;
  let names: string[];
  try {
    names = await readdir(path);
  } catch {
    return total;
  }
  for (const name of names) total += await folderSize(join(path, name));
  return total;
}

/** Serialises async work per key within this process. */
class KeyedMutex {
  private readonly tails = new Map<string, Promise<unknown>>();

  async run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const current = previous.then(fn, fn);
    const tail = current.catch(() => undefined);
    this.tails.set(key, tail);
    try {
      return await current;
    } finally {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }
}
