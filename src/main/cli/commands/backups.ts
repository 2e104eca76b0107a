import { backupsView, storeAuditSink, toSnapshotView } from '../../core/api/backup-handlers';
import { ExecutorError, openProjectBackups, type ProjectBackups } from '../../core/executor';
import type { BackupsView } from '../../../shared/ipc';
import { CliError, EXIT_USAGE, usageError, type CliCommand, type CliContext } from '../cli-types';
import { resolveProjectRepo, withCliStore } from './import';

function toCli(e: unknown): never {
  if (e instanceof ExecutorError) {
    const exit = e.code === 'invalid_name' ? EXIT_USAGE : 1;
    throw new CliError(e.message, exit, e.code);
  }
  throw e;
}

function bytes(n: number | null): string {
  if (n === null) return 'unknown size';
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

function renderList(view: BackupsView, storyId: string | undefined): string {
  const head = `${view.disk.count} snapshot${view.disk.count === 1 ? '' : 's'} in ${view.repoPath}, holding ${bytes(view.disk.bytes)} (kept ${view.retention.keepDays} days, ${view.retention.keepPerStory} per story; wave backups --prune applies that).`;
  if (view.snapshots.length === 0)
    return `${head}\nNo snapshots${storyId ? ` of ${storyId}` : ''}: nothing was ever about to be lost.`;
  const rows = view.snapshots.map(
    (s) =>
      `${s.id.padEnd(34)} ${s.at.slice(0, 19).replace('T', ' ')}  ${String(s.filesChanged ?? '?').padStart(4)} file(s)  ${s.operation}${s.gate ? ` at ${s.gate}` : ''} by ${s.actor}: ${s.reason}`,
  );
  return [head, '', ...rows, '', 'Put one on a new branch with: wave restore <id> [--branch <name>]'].join('\n');
}

async function open(
  ctx: CliContext,
  project: string | undefined,
  store?: Parameters<typeof storeAuditSink>[0],
): Promise<ProjectBackups> {
  const repo = resolveProjectRepo(ctx.cwd, project);
  return openProjectBackups(repo, store ? { audit: storeAuditSink(store) } : {}).catch(toCli);
}

/** `wave backups`: the snapshots taken before destructive operations, and their pruning. */
export const backupsCommand: CliCommand = {
  name: 'backups',
  summary: 'List the snapshots of earlier work (taken before any destructive git operation), or prune them',
  usage: 'wave backups [<story>] [--project <repo>] [--prune] [--json]',
  options: { project: { type: 'string' }, prune: { type: 'boolean' } },
  help: [
    'Lists refs/wave/backup/<story>/<time> of the project repository, newest first: story, time, what was about to happen',
    '(reset, restart, skip, reconcile, QA retry, removal), who caused it, and the files changed against the target branch.',
    '--json: {"repoPath","snapshots":[{"id","storyId","at","reason","operation","actor","gate","sessionId","branch","sha","filesChanged"}],',
    '"disk":{"count","bytes"},"retention":{"keepDays","keepPerStory"}}.',
    '--prune deletes the snapshots beyond backups.keepDays / backups.keepPerStory of wave.config.json (written to the audit',
    'log); it never happens by itself. git frees their disk at its next gc.',
  ].join('\n'),
  async run(ctx, args) {
    const [storyId, ...extra] = args.positionals;
    if (extra.length) throw usageError('wave backups takes at most one story id.', backupsCommand.usage);
    const project = args.values.project as string | undefined;
    if (args.values.prune) {
      if (storyId) throw usageError('--prune applies the retention to every story; leave out the story id.');
      return withCliStore(ctx, async (core) => {
        const p = await open(ctx, project, core.store);
        const result = await p.backups.prune({ actor: ctx.settings.actor }).catch(toCli);
        const disk = await p.backups.diskUsage();
        const doc = {
          repoPath: p.repoRoot,
          deleted: result.deleted.map(toSnapshotView),
          kept: result.kept,
          retention: result.retention,
          disk,
        };
        ctx.output(doc, () =>
          [
            `Pruned ${result.deleted.length} snapshot${result.deleted.length === 1 ? '' : 's'} beyond ${result.retention.keepDays} days / ${result.retention.keepPerStory} per story; ${result.kept} kept (${bytes(disk.bytes)}).`,
            ...result.deleted.map((s) => `  deleted ${s.id}: ${s.reason}`),
          ].join('\n'),
        );
        return 0;
      });
    }
    const p = await open(ctx, project);
    const view = await backupsView(p, storyId).catch(toCli);
    ctx.output(view, () => renderList(view, storyId));
    return 0;
  },
};

/** `wave restore`: a snapshot onto a new branch. */
export const restoreCommand: CliCommand = {
  name: 'restore',
  summary: 'Put a snapshot of earlier work on a new branch (never over an existing one)',
  usage: 'wave restore <snapshot> [--branch <name>] [--project <repo>] [--json]',
  options: { project: { type: 'string' }, branch: { type: 'string' } },
  help: [
    '<snapshot> is an id from wave backups (e.g. S-1/20261204T171047.123Z). The new branch (default restore/<story>/<time>)',
    'points at the snapshot: its tree is exactly the worktree as it was, its parent the branch tip of the time.',
    'Nothing else changes: no checkout, no existing branch moved. Written to the audit log.',
    '--json: {"snapshotId","branch","sha","storyId","reason"}.',
  ].join('\n'),
  async run(ctx, args) {
    const [id, ...extra] = args.positionals;
    if (!id || extra.length) throw usageError('wave restore takes one snapshot id.', restoreCommand.usage);
    return withCliStore(ctx, async (core) => {
      const p = await open(ctx, args.values.project as string | undefined, core.store);
      const r = await p.backups
        .restore(id, { branch: args.values.branch as string | undefined, actor: ctx.settings.actor })
        .catch(toCli);
      const doc = {
        snapshotId: r.snapshot.id,
        branch: r.branch,
        sha: r.sha,
        storyId: r.snapshot.storyId,
        reason: r.snapshot.reason,
      };
      ctx.output(
        doc,
        () =>
          `Restored ${r.snapshot.id} (${r.snapshot.reason}) onto the new branch ${r.branch} at ${r.sha.slice(0, 12)}.\nLook at it with: git -C ${p.repoRoot} switch ${r.branch}`,
      );
      return 0;
    });
  },
};
