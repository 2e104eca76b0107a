import { lstatSync, readlinkSync, realpathSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import picomatch from 'picomatch';
import { ExecutorError } from './errors';
import { runGit, splitNul } from './git';
import { isInsideOrSame, safeRelativePath } from './paths';

/** The domain every story may touch besides its own. */
export const SHARED_DOMAIN = 'SHARED';

/** Whether a repository path matches a domain's globs (picomatch; "src/auth/" means everything under src/auth). */
export function domainMatcher(globs: readonly string[]): (path: string) => boolean {
  return picomatch(
    globs.map((g) => (g.endsWith('/') ? `${g}**` : g)),
    { dot: true },
  );
}

/**
 * Where audited decisions go. The store implements it; a failing `record` fails the
 * override (an override nobody can find later must not let a story through).
 */
export interface AuditSink {
  record(entry: AuditEntry): Promise<void>;
}

export type AuditEntry = BoundaryOverrideAudit | BackupAudit;

export interface BoundaryOverrideAudit {
  action: 'domain_boundary_override';
  actor: string;
  reason: string;
  sessionId?: string;
  storyId: string;
  detail: { domain: string; paths: string[]; base: string; head: string };
  at: string;
}

/** A snapshot taken before a destructive git operation, a restore of one, or a prune (see backups.ts). */
export interface BackupAudit {
  action: 'backup_created' | 'backup_restored' | 'backups_pruned';
  /** Who or what caused it: a person, `orchestrator`, `reconcile`, `cli`. */
  actor: string;
  reason: string;
  sessionId?: string;
  storyId: string;
  detail: Record<string, unknown>;
  at: string;
}

export interface ChangedPath {
  /** git's status letter: A, M, D, R, C, T. */
  status: string;
  path: string;
  /** The source path of a rename or copy. */
  from?: string;
}

export interface BoundaryOverride {
  /** Who decided (a person's name or login). */
  actor: string;
  /** Why the out-of-domain changes are acceptable; required, non-empty. */
  reason: string;
}

export interface BoundaryCheckRequest {
  storyId: string;
  sessionId?: string;
  /** The story's domain (a key of the configured domains). */
  domain: string;
  worktreePath: string;
  /** What the story branch is compared to: normally the target branch (`base...HEAD`). */
  base: string;
  override?: BoundaryOverride;
  /** Fail when the worktree has uncommitted changes (default true: gate-3 wants them committed). */
  requireCommitted?: boolean;
  /** Untracked files wave itself put there (copied `.env` and the like): not the story's changes. */
  ignoreUntracked?: string[];
}

export interface BoundaryCheckResult {
  ok: boolean;
  domain: string;
  changed: ChangedPath[];
  /** Changed paths matched by neither the story's domain nor SHARED. */
  outside: string[];
  /** Paths refused outright: they leave the worktree (`..`, absolute, symlink pointing out). */
  escaped: string[];
  uncommitted: string[];
  overridden: boolean;
  headSha: string;
  message: string;
}

/**
 * Gate-3's domain check: every path the story branch changed relative to its base must
 * match the story's domain globs or the SHARED globs. Renames count both paths. Paths
 * that escape the worktree are refused and cannot be overridden; other violations can,
 * with a reason that is written to the audit log.
 */
export class DomainBoundaries {
  private readonly matchers = new Map<string, (path: string) => boolean>();

  constructor(
    domains: Record<string, string[]>,
    private readonly audit: AuditSink,
  ) {
    for (const [name, globs] of Object.entries(domains)) {
      if (!Array.isArray(globs) || globs.some((g) => typeof g !== 'string' || g.trim() === '')) {
        throw new ExecutorError(
          'invalid_config',
          `Domain "${name}" in wave.config.json must be a list of path globs (e.g. ["src/auth/**"]).`,
          { domain: name },
        );
      }
      this.matchers.set(name, domainMatcher(globs));
    }
  }

  /** True when `path` belongs to `domain` or SHARED. */
  allows(domain: string, path: string): boolean {
    const own = this.matcherFor(domain);
    const shared = this.matchers.get(SHARED_DOMAIN);
    return own(path) || (shared ? shared(path) : false);
  }

  async check(request: BoundaryCheckRequest): Promise<BoundaryCheckResult> {
    this.matcherFor(request.domain);
    const cwd = request.worktreePath;
    const root = realpathSync(cwd);
    const headSha = (await runGit(cwd, ['rev-parse', 'HEAD'])).stdout.trim();
    const diff = await runGit(cwd, [
      'diff',
      '--name-status',
      '-z',
      '--find-renames',
      '--no-ext-diff',
      `${request.base}...HEAD`,
      '--',
    ]);
    const changed = parseNameStatus(diff.stdout);

    const status = await runGit(cwd, ['status', '--porcelain=v1', '-z', '--untracked-files=all']);
    const ignored = new Set(
      (request.ignoreUntracked ?? []).map((p) => safeRelativePath(p)).filter((p): p is string => p !== null),
    );
    const uncommitted = parsePorcelainPaths(status.stdout, true)
      .filter((e) => !(e.untracked && isIgnored(e.path, ignored)))
      .map((e) => e.path);

    const paths = new Set<string>();
    for (const c of changed) {
      paths.add(c.path);
      if (c.from) paths.add(c.from);
    }
    for (const p of uncommitted) paths.add(p);

    const escaped: string[] = [];
    const outside: string[] = [];
    for (const path of paths) {
      if (escapesWorktree(root, path)) escaped.push(path);
      else if (!this.allows(request.domain, path)) outside.push(path);
    }
    escaped.sort();
    outside.sort();

    const requireCommitted = request.requireCommitted ?? true;
    const base: Omit<BoundaryCheckResult, 'ok' | 'overridden' | 'message'> = {
      domain: request.domain,
      changed,
      outside,
      escaped,
      uncommitted,
      headSha,
    };
    if (escaped.length > 0) {
      return {
        ...base,
        ok: false,
        overridden: false,
        message: `Story ${request.storyId} changed paths that leave its worktree: ${escaped.join(', ')}. This cannot be overridden; remove those changes (or the symlinks) and retry gate-3.`,
      };
    }
    if (requireCommitted && uncommitted.length > 0) {
      return {
        ...base,
        ok: false,
        overridden: false,
        message: `Story ${request.storyId} has uncommitted changes: ${uncommitted.slice(0, 20).join(', ')}. Commit them on the story branch, then retry gate-3.`,
      };
    }
    if (outside.length === 0) {
      return {
        ...base,
        ok: true,
        overridden: false,
        message: `All ${paths.size} changed paths are inside domain ${request.domain} or ${SHARED_DOMAIN}.`,
      };
    }
    const reason = request.override?.reason?.trim() ?? '';
    const actor = request.override?.actor?.trim() ?? '';
    if (!request.override) {
      return {
        ...base,
        ok: false,
        overridden: false,
        message: `Story ${request.storyId} (domain ${request.domain}) changed ${outside.length} path(s) outside its domain: ${outside.join(', ')}. Move those changes to a story of the right domain, widen the domain in wave.config.json, or override with a reason.`,
      };
    }
    if (!reason || !actor) {
      return {
        ...base,
        ok: false,
        overridden: false,
        message: `An override of the domain check for story ${request.storyId} needs ${!actor ? 'the name of who decides' : 'a reason'}; nothing was overridden.`,
      };
    }
    await this.audit.record({
      action: 'domain_boundary_override',
      actor,
      reason,
      sessionId: request.sessionId,
      storyId: request.storyId,
      detail: { domain: request.domain, paths: outside, base: request.base, head: headSha },
      at: new Date().toISOString(),
    });
    return {
      ...base,
      ok: true,
      overridden: true,
      message: `${actor} allowed story ${request.storyId} to change ${outside.length} path(s) outside domain ${request.domain}: ${reason}`,
    };
  }

  private matcherFor(domain: string): (path: string) => boolean {
    const m = this.matchers.get(domain);
    if (!m) {
      const known = [...this.matchers.keys()].join(', ') || 'none';
      throw new ExecutorError(
        'invalid_config',
        `The domain "${domain}" is not defined in wave.config.json (known: ${known}). Add it under "domains" or fix the story's domain.`,
        { domain },
      );
    }
    return m;
  }
}

/** Parses `git diff --name-status -z`: renames and copies carry two paths. */
export function parseNameStatus(output: string): ChangedPath[] {
  const fields = splitNul(output);
  const out: ChangedPath[] = [];
  for (let i = 0; i < fields.length; ) {
    const code = fields[i++]!;
    const letter = code.charAt(0);
    if (letter === 'R' || letter === 'C') {
      const from = fields[i++]!;
      const path = fields[i++]!;
      out.push({ status: letter, path, from });
    } else {
      out.push({ status: letter, path: fields[i++]! });
    }
  }
  return out;
}

/** Paths from `git status --porcelain=v1 -z` (both sides of a rename). */
export function parsePorcelainPaths(output: string, withKind: true): Array<{ path: string; untracked: boolean }>;
export function parsePorcelainPaths(output: string): string[];
export function parsePorcelainPaths(
  output: string,
  withKind?: boolean,
): string[] | Array<{ path: string; untracked: boolean }> {
  const fields = splitNul(output);
  const out: Array<{ path: string; untracked: boolean }> = [];
  for (let i = 0; i < fields.length; i++) {
    const entry = fields[i]!;
    const xy = entry.slice(0, 2);
    out.push({ path: entry.slice(3), untracked: xy === '??' });
    if (xy.includes('R') || xy.includes('C')) out.push({ path: fields[++i]!, untracked: false });
  }
  return withKind ? out : out.map((e) => e.path);
}

function isIgnored(path: string, ignored: Set<string>): boolean {
  for (const p of ignored) if (path === p || path.startsWith(`${p}/`)) return true;
  return false;
}

/**
 * True when `rel` leaves the worktree: `..`, an absolute path, a parent folder that is
 * a symlink to elsewhere, or a symlink whose target (followed or read) lies outside.
 */
export function escapesWorktree(root: string, rel: string): boolean {
  const safe = safeRelativePath(rel);
  if (safe === null) return true;
  const full = join(root, safe);
  if (!isInsideOrSame(full, root)) return true;
  // Parent folders: a symlinked folder would put the file somewhere else on disk.
  try {
    const parent = realpathSync(dirname(full));
    if (!isInsideOrSame(parent, root)) return true;
  } catch {
    // Parent gone (a deleted path): nothing on disk to escape through.
  }
  let stat;
  try {
    stat = lstatSync(full);
  } catch {
    return false;
  }
  if (!stat.isSymbolicLink()) return false;
  const target = resolve(dirname(full), readlinkSync(full));
  if (!isInsideOrSame(target, root)) return true;
  try {
    return !isInsideOrSame(realpathSync(full), root);
  } catch {
    return false;
  }
}
