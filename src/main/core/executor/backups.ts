import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AuditSink } from './domain-boundaries';
import { ExecutorError } from './errors';
import { runGit, splitNul, type GitResult, type GitRunOptions } from './git';
import { assertStoryId } from './names';
import { safeRelativePath } from './paths';

/*
 * Work that is never lost. Before wave runs a destructive git operation on a story's
 * worktree or branch (reset, clean, worktree removal, branch deletion, a restart or a skip),
 * it records the whole state as a commit under refs/wave/backup/<story-id>/<UTC timestamp>:
 * the branch tip as parent, and a tree holding the tracked changes and untracked files
 * (ignored files excluded, files wave copied in such as .env excluded). The tree is built
 * with a temporary index (GIT_INDEX_FILE), so the worktree's index, the lead's index and
 * stash and every branch stay as they were. Each snapshot is written to the audit log.
 */

export const BACKUP_REF_PREFIX = 'refs/wave/backup/';

export interface BackupRetention {
  /** Snapshots older than this many days are pruned (default 30). */
  keepDays: number;
  /** At most this many snapshots are kept per story, the newest (default 20). */
  keepPerStory: number;
}

export const DEFAULT_BACKUP_RETENTION: Readonly<BackupRetention> = Object.freeze({ keepDays: 30, keepPerStory: 20 });

/** The git operations a snapshot is taken for. */
export type BackupOperation =
  | 'reset'
  | 'restart'
  | 'skip'
  | 'remove-worktree'
  | 'delete-branch'
  | 'qa-retry'
  | 'reconcile';

export interface SnapshotRequest {
  storyId: string;
  /** One line for people: why the state is about to be destroyed. */
  reason: string;
  operation: BackupOperation;
  /** Who or what caused it (a person, `orchestrator`, `reconcile`…); default `wave`. */
  actor?: string;
  gate?: string | null;
  sessionId?: string | null;
  /**
   * The commit the story branch will still contain afterwards (a reset's target, or the
   * tip itself when only files are removed); null when the branch is deleted or may be
   * rewritten. Commits of the branch that it contains are not "to lose".
   */
  keeps: string | null;
}

/** A snapshot as listed by `wave backups`. */
export interface Snapshot {
  /** `<story-id>/<timestamp>`: what `wave restore` takes. */
  id: string;
  ref: string;
  sha: string;
  storyId: string;
  /** ISO time it was taken (UTC). */
  at: string;
  reason: string;
  operation: string;
  actor: string;
  gate: string | null;
  sessionId: string | null;
  /** The story branch it was taken from. */
  branch: string | null;
  /** The branch tip at the time (the snapshot's parent). */
  head: string | null;
  /** Files that differ between the snapshot and the target branch as it is now; null when unknown. */
  filesChanged: number | null;
}

export interface BackupsOptions {
  repoRoot: string;
  targetBranch: string;
  /** Untracked files wave copies into worktrees (e.g. `.env`): the user's secrets, never snapshotted. */
  copyFiles?: string[];
  committer?: { name: string; email: string };
  audit?: AuditSink;
  retention?: Partial<BackupRetention>;
}

export interface PruneResult {
  deleted: Snapshot[];
  kept: number;
  retention: BackupRetention;
}

export interface BackupDiskUsage {
  count: number;
  /** Bytes of git objects only the snapshots hold (what pruning and `git gc` would free); null when git cannot say. */
  bytes: number | null;
}

const TRAILERS = [
  'Wave-Story',
  'Wave-Operation',
  'Wave-Reason',
  'Wave-Actor',
  'Wave-Gate',
  'Wave-Session',
  'Wave-Branch',
  'Wave-Head',
  'Wave-Time',
] as const;

function oneLine(text: string, max = 500): string {
  const line = String(text).replace(/\s+/g, ' ').trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

/** `2026-12-04T17:10:47.123Z` → `20261204T171047.123Z` (a valid ref component, sorts by time). */
export function refTimestamp(date: Date): string {
  return date.toISOString().replace(/[-:]/g, '');
}

function parseRefTimestamp(stamp: string): string | null {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})(?:\.(\d{3}))?Z(?:-\d+)?$/.exec(stamp);
  if (!m) return null;
  return `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}.${m[7] ?? '000'}Z`;
}

export class Backups {
  readonly retention: BackupRetention;

  constructor(private readonly options: BackupsOptions) {
    this.retention = { ...DEFAULT_BACKUP_RETENTION, ...(options.retention ?? {}) };
  }

  private git(args: string[], options: GitRunOptions & { cwd?: string } = {}): Promise<GitResult> {
    return runGit(options.cwd ?? this.options.repoRoot, args, options);
  }

  /** Identity of snapshot commits: wave's committer when configured, a fixed one otherwise (never fails for want of user.name). */
  private identityEnv(): Record<string, string> {
    const c = this.options.committer ?? { name: 'WAVE backup', email: 'wave-backup@localhost' };
    return {
      GIT_AUTHOR_NAME: c.name,
      GIT_AUTHOR_EMAIL: c.email,
      GIT_COMMITTER_NAME: c.name,
      GIT_COMMITTER_EMAIL: c.email,
    };
  }

  /**
   * Records the state of a story's worktree (or, without one, of its branch tip) before a
   * destructive operation. Returns null, and writes nothing, when nothing would be lost:
   * no uncommitted or untracked files, and the branch tip stays reachable (from `keeps`,
   * the target branch or an earlier snapshot of the story).
   */
  async snapshot(
    where: { worktreePath: string | null; branch: string | null },
    request: SnapshotRequest,
  ): Promise<Snapshot | null> {
    const storyId = assertStoryId(request.storyId);
    const cwd = where.worktreePath;
    let head: string | null;
    if (cwd) {
      head = await this.revParse('HEAD', cwd);
    } else if (where.branch) {
      head = await this.revParse(`refs/heads/${where.branch}`);
    } else {
      return null;
    }
    let tree: string | null = null;
    if (cwd) {
      const dirty = await this.changedPaths(cwd);
      if (dirty.length > 0) tree = await this.buildTree(cwd, head);
      if (tree !== null && head !== null && tree === (await this.revParse(`${head}^{tree}`, cwd))) tree = null;
    }
    if (tree === null) {
      if (head === null || (await this.tipIsSafe(storyId, head, request.keeps))) return null;
      tree = await this.revParse(`${head}^{tree}`);
      if (tree === null) return null;
    } else if (await this.alreadyKept(storyId, tree, head)) {
      return null;
    }
    const at = new Date();
    const fields: Record<(typeof TRAILERS)[number], string> = {
      'Wave-Story': storyId,
      'Wave-Operation': request.operation,
      'Wave-Reason': oneLine(request.reason),
      'Wave-Actor': oneLine(request.actor ?? 'wave', 200),
      'Wave-Gate': request.gate ?? '',
      'Wave-Session': request.sessionId ?? '',
      'Wave-Branch': where.branch ?? '',
      'Wave-Head': head ?? '',
      'Wave-Time': at.toISOString(),
    };
    const message = [
      `wave backup of ${storyId} before ${request.operation}`,
      '',
      oneLine(request.reason),
      '',
      ...TRAILERS.map((k) => `${k}: ${fields[k]}`),
      '',
    ].join('\n');
    const commit = (
      await this.git(['commit-tree', tree, ...(head ? ['-p', head] : []), '-m', message], {
        cwd: cwd ?? this.options.repoRoot,
        env: this.identityEnv(),
      })
    ).stdout.trim();
    const ref = await this.createRef(`${BACKUP_REF_PREFIX}${storyId}/${refTimestamp(at)}`, commit);
    const snapshot = await this.describe(ref, commit, message);
    await this.options.audit?.record({
      action: 'backup_created',
      actor: request.actor ?? 'wave',
      reason: oneLine(request.reason),
      ...(request.sessionId ? { sessionId: request.sessionId } : {}),
      storyId,
      detail: {
        ref,
        sha: commit,
        operation: request.operation,
        gate: request.gate ?? null,
        branch: where.branch,
        head,
        filesChanged: snapshot.filesChanged,
      },
      at: at.toISOString(),
    });
    return snapshot;
  }

  /** Paths with tracked changes or untracked (not ignored, not copied-in) files. */
  private async changedPaths(cwd: string): Promise<string[]> {
    // --no-optional-locks: not even the stat cache of the worktree's index is rewritten.
    const status = await this.git(
      ['--no-optional-locks', 'status', '--porcelain=v1', '-z', '--untracked-files=all', '--no-renames'],
      { cwd },
    );
    const copied = new Set(this.copiedPaths());
    return splitNul(status.stdout)
      .filter((l) => !(l.startsWith('??') && copied.has(l.slice(3))))
      .map((l) => l.slice(3));
  }

  private copiedPaths(): string[] {
    return (this.options.copyFiles ?? []).map((f) => safeRelativePath(f)).filter((p): p is string => p !== null);
  }

  /** The worktree's files as a tree, through a temporary index: the real index is never touched. */
  private async buildTree(cwd: string, head: string | null): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), 'wave-backup-'));
    const env = { GIT_INDEX_FILE: join(dir, 'index') };
    try {
      await this.git(head ? ['read-tree', head] : ['read-tree', '--empty'], { cwd, env });
      await this.git(['add', '--all', '--', '.'], { cwd, env });
      for (const rel of this.copiedPaths()) {
        const tracked = head
          ? await this.git(['cat-file', '-e', `${head}:${rel}`], { cwd, allowExitCodes: [1, 128] })
          : { exitCode: 1 };
        if (tracked.exitCode !== 0)
          await this.git(['rm', '-r', '--cached', '--quiet', '--ignore-unmatch', '--', rel], { cwd, env });
      }
      return (await this.git(['write-tree'], { cwd, env })).stdout.trim();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  /** True when `tip` stays reachable after the operation: from `keeps`, the target branch or a snapshot of the story. */
  private async tipIsSafe(storyId: string, tip: string, keeps: string | null): Promise<boolean> {
    if (keeps && (await this.isAncestor(tip, keeps))) return true;
    if (await this.isAncestor(tip, `refs/heads/${this.options.targetBranch}`)) return true;
    const holders = await this.git([
      'for-each-ref',
      '--count=1',
      '--format=%(refname)',
      '--contains',
      tip,
      `${BACKUP_REF_PREFIX}${storyId}/`,
    ]);
    return holders.stdout.trim() !== '';
  }

  /** True when the newest snapshot of the story already holds this tree on this tip. */
  private async alreadyKept(storyId: string, tree: string, head: string | null): Promise<boolean> {
    const r = await this.git([
      'for-each-ref',
      '--sort=-refname',
      '--count=1',
      '--format=%(tree) %(parent)',
      `${BACKUP_REF_PREFIX}${storyId}/`,
    ]);
    const line = r.stdout.trim();
    if (!line) return false;
    const [t, p] = line.split(' ');
    return t === tree && (p ?? '') === (head ?? '');
  }

  private async createRef(ref: string, sha: string): Promise<string> {
    const zero = '0'.repeat(sha.length);
    for (let n = 1; n < 100; n += 1) {
      const name = n === 1 ? ref : `${ref}-${n}`;
      // Create-only (old value zero): two snapshots in the same millisecond never overwrite each other.
      const r = await this.git(['update-ref', '-m', 'wave backup', name, sha, zero], { allowExitCodes: [128] });
      if (r.exitCode === 0) return name;
    }
    throw new ExecutorError('git_failed', `Could not create a backup ref under ${ref}: every name was taken.`, { ref });
  }

  /** Every snapshot, newest first; of one story when `storyId` is given. */
  async list(storyId?: string): Promise<Snapshot[]> {
    const prefix = storyId ? `${BACKUP_REF_PREFIX}${assertStoryId(storyId)}/` : BACKUP_REF_PREFIX;
    const r = await this.git([
      'for-each-ref',
      '--sort=-creatordate',
      '--format=%(refname)%00%(objectname)%00%(contents)%00%1e',
      prefix,
    ]);
    const out: Snapshot[] = [];
    for (const record of r.stdout.split('\u001e')) {
      const [ref, sha, contents] = record.replace(/^\n/, '').split('\0');
      if (!ref || !sha || contents === undefined) continue;
      out.push(await this.describe(ref, sha, contents));
    }
    return out.sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : 0));
  }

  private async describe(ref: string, sha: string, message: string): Promise<Snapshot> {
    const id = ref.slice(BACKUP_REF_PREFIX.length);
    const slash = id.lastIndexOf('/');
    const fields = new Map<string, string>();
    for (const line of message.split('\n')) {
      const m = /^(Wave-[A-Za-z]+): ?(.*)$/.exec(line);
      if (m) fields.set(m[1]!, m[2]!);
    }
    const get = (k: string) => fields.get(k) || null;
    return {
      id,
      ref,
      sha,
      storyId: get('Wave-Story') ?? id.slice(0, Math.max(0, slash)),
      at: get('Wave-Time') ?? parseRefTimestamp(id.slice(slash + 1)) ?? '',
      reason: get('Wave-Reason') ?? '',
      operation: get('Wave-Operation') ?? 'unknown',
      actor: get('Wave-Actor') ?? 'unknown',
      gate: get('Wave-Gate'),
      sessionId: get('Wave-Session'),
      branch: get('Wave-Branch'),
      head: get('Wave-Head'),
      filesChanged: await this.filesChanged(sha),
    };
  }

  private async filesChanged(sha: string): Promise<number | null> {
    // The snapshot's files against the target as it is now: what restoring it would bring back.
    const r = await this.git(['diff', '--name-only', '-z', `refs/heads/${this.options.targetBranch}`, sha, '--'], {
      allowExitCodes: [128],
    });
    return r.exitCode === 0 ? splitNul(r.stdout).length : null;
  }

  /** The snapshot `id` names (`<story>/<timestamp>` or its full ref), or a clear error. */
  async get(id: string): Promise<Snapshot> {
    const ref = id.startsWith(BACKUP_REF_PREFIX) ? id : `${BACKUP_REF_PREFIX}${id}`;
    const rest = ref.slice(BACKUP_REF_PREFIX.length);
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}\/[0-9T.Z-]{8,40}$/.test(rest) || rest.includes('..')) {
      throw new ExecutorError(
        'invalid_name',
        `"${id}" is not a snapshot id; ids look like S-1/20261204T171047.123Z (see wave backups).`,
        { id },
      );
    }
    const r = await this.git(['for-each-ref', '--format=%(objectname)%00%(contents)', ref]);
    const nul = r.stdout.indexOf('\0');
    if (nul < 0)
      throw new ExecutorError(
        'snapshot_missing',
        `There is no snapshot ${rest} in ${this.options.repoRoot}; list them with wave backups.`,
        { id },
      );
    return this.describe(ref, r.stdout.slice(0, nul), r.stdout.slice(nul + 1));
  }

  /**
   * Puts a snapshot on a new branch (default `restore/<story>/<timestamp>`). Never moves
   * an existing branch: the ref is created only if it does not exist yet.
   */
  async restore(
    id: string,
    options: { branch?: string; actor?: string } = {},
  ): Promise<{ snapshot: Snapshot; branch: string; sha: string }> {
    const snapshot = await this.get(id);
    const branch = options.branch ?? `restore/${snapshot.id.replace(/\.(\d{3})Z/, '$1Z')}`;
    if (branch.startsWith('wave/')) {
      throw new ExecutorError(
        'invalid_name',
        `"${branch}" is in wave's own story-branch namespace (wave/…); restore onto a branch outside it.`,
        { branch },
      );
    }
    const check = await this.git(['check-ref-format', `refs/heads/${branch}`], { allowExitCodes: [1] });
    if (check.exitCode !== 0 || branch.startsWith('-'))
      throw new ExecutorError('invalid_name', `"${branch}" is not a valid branch name; pick another with --branch.`, {
        branch,
      });
    const zero = '0'.repeat(snapshot.sha.length);
    const r = await this.git(
      ['update-ref', '-m', `wave restore ${snapshot.id}`, `refs/heads/${branch}`, snapshot.sha, zero],
      { allowExitCodes: [128] },
    );
    if (r.exitCode !== 0) {
      throw new ExecutorError(
        'branch_exists',
        `The branch ${branch} already exists; wave never restores over an existing branch. Pick a new name with --branch.`,
        { branch },
      );
    }
    await this.options.audit?.record({
      action: 'backup_restored',
      actor: options.actor ?? 'wave',
      reason: `snapshot ${snapshot.id} restored onto the new branch ${branch}`,
      storyId: snapshot.storyId,
      detail: { ref: snapshot.ref, sha: snapshot.sha, branch },
      at: new Date().toISOString(),
    });
    return { snapshot, branch, sha: snapshot.sha };
  }

  /**
   * Deletes snapshots beyond the retention (older than keepDays, or beyond the newest
   * keepPerStory of a story). A separate, logged step: never run as a side effect of a run.
   * The objects they held go with git's next `gc`.
   */
  async prune(options: { actor?: string; now?: Date; dryRun?: boolean } = {}): Promise<PruneResult> {
    const now = (options.now ?? new Date()).getTime();
    const all = await this.list();
    const byStory = new Map<string, Snapshot[]>();
    for (const s of all) byStory.set(s.storyId, [...(byStory.get(s.storyId) ?? []), s]);
    const deleted: Snapshot[] = [];
    for (const [storyId, list] of byStory) {
      const gone = list.filter(
        (s, i) => i >= this.retention.keepPerStory || now - Date.parse(s.at) > this.retention.keepDays * 86_400_000,
      );
      if (gone.length === 0) continue;
      if (!options.dryRun) {
        // The pruning step itself (retention), not a story's work: the snapshots are what it deletes.
        for (const s of gone) await this.git(['update-ref', '-d', s.ref, s.sha]); // destructive: pruning-step
        await this.options.audit?.record({
          action: 'backups_pruned',
          actor: options.actor ?? 'wave',
          reason: `retention: keep ${this.retention.keepPerStory} per story, ${this.retention.keepDays} days`,
          storyId,
          detail: { refs: gone.map((s) => s.ref) },
          at: new Date(now).toISOString(),
        });
      }
      deleted.push(...gone);
    }
    return { deleted, kept: all.length - deleted.length, retention: { ...this.retention } };
  }

  /** How many snapshots there are and the bytes only they hold. */
  async diskUsage(): Promise<BackupDiskUsage> {
    const refs = await this.git(['for-each-ref', '--format=%(objectname)', BACKUP_REF_PREFIX]);
    const shas = refs.stdout.split('\n').filter(Boolean);
    if (shas.length === 0) return { count: 0, bytes: 0 };
    // Objects reachable from the snapshots and from no branch or tag.
    const r = await this.git(['rev-list', '--objects', '--disk-usage', ...shas, '--not', '--branches', '--tags'], {
      allowExitCodes: [128, 129],
    });
    const bytes = r.exitCode === 0 ? Number(r.stdout.trim()) : NaN;
    return { count: shas.length, bytes: Number.isFinite(bytes) ? bytes : null };
  }

  private async revParse(rev: string, cwd?: string): Promise<string | null> {
    const r = await this.git(['rev-parse', '--verify', '--quiet', `${rev}^{object}`], {
      cwd,
      allowExitCodes: [1, 128],
    });
    return r.exitCode === 0 ? r.stdout.trim() : null;
  }

  private async isAncestor(ancestor: string, descendant: string): Promise<boolean> {
    const r = await this.git(['merge-base', '--is-ancestor', ancestor, descendant], { allowExitCodes: [1, 128] });
    return r.exitCode === 0;
  }
}
