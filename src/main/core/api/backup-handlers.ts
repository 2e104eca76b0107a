import type { BackupsView } from '../../../shared/ipc';
import type { Store } from '../../store';
import { repositories } from '../../store/repos';
import { ExecutorError, openProjectBackups, type AuditSink, type ProjectBackups, type Snapshot } from '../executor';
import { parseSessionConfig } from '../orchestrator/session-config';
import { AppError } from '../rpc';
import type { SettingsStore } from '../settings/settings-store';
import type { DomainHandlers } from './types';

/** Audit entries of snapshots, restores and prunes made outside a session (the window, the CLI). */
export function storeAuditSink(store: Store): AuditSink {
  return {
    record: async (e) => {
      await repositories(store).audit.append({
        actor: e.actor,
        action: e.action,
        subjectType: 'story',
        subjectId: e.sessionId ? `${e.sessionId}/${e.storyId}` : e.storyId,
        detail: { reason: e.reason, ...e.detail },
      });
    },
  };
}

/** The snapshot as the window and `wave backups --json` show it. */
export function toSnapshotView(s: Snapshot): BackupsView['snapshots'][number] {
  return {
    id: s.id,
    storyId: s.storyId,
    at: s.at,
    reason: s.reason,
    operation: s.operation,
    actor: s.actor,
    gate: s.gate,
    sessionId: s.sessionId,
    branch: s.branch,
    sha: s.sha,
    filesChanged: s.filesChanged,
  };
}

/** Everything `backups.list` and `wave backups --json` answer. */
export async function backupsView(project: ProjectBackups, storyId?: string): Promise<BackupsView> {
  const [snapshots, disk] = await Promise.all([project.backups.list(storyId), project.backups.diskUsage()]);
  return {
    repoPath: project.repoRoot,
    snapshots: snapshots.map(toSnapshotView),
    disk,
    retention: { ...project.backups.retention },
  };
}

function toAppError(e: unknown): never {
  if (e instanceof ExecutorError) {
    const code =
      e.code === 'branch_exists'
        ? 'conflict'
        : e.code === 'snapshot_missing'
          ? 'not_found'
          : e.code === 'invalid_name'
            ? 'invalid_request'
            : 'precondition_failed';
    throw new AppError(code, e.message);
  }
  throw e;
}

/** backups.list and backups.restore over the session's repository (or the project's). */
export function backupHandlers(deps: {
  store: Store;
  settings: SettingsStore;
  actor: string;
}): DomainHandlers<'backups'> {
  const open = async (sessionId: string | undefined): Promise<ProjectBackups> => {
    const audit = storeAuditSink(deps.store);
    if (sessionId) {
      const row = await repositories(deps.store).sessions.byId(sessionId);
      if (!row) throw new AppError('not_found', `There is no session ${sessionId}.`);
      const config = parseSessionConfig(sessionId, row.config);
      return openProjectBackups(config.repoPath, { audit, targetBranch: config.targetBranch }).catch(toAppError);
    }
    const { projectPath } = await deps.settings.read();
    if (!projectPath)
      throw new AppError('precondition_failed', 'No project is chosen: set the project folder in Settings first.');
    return openProjectBackups(projectPath, { audit }).catch(toAppError);
  };
  return {
    'backups.list': async (req) => backupsView(await open(req.sessionId), req.storyId).catch(toAppError),
    'backups.restore': async (req) => {
      const project = await open(req.sessionId);
      const r = await project.backups
        .restore(req.snapshotId, { branch: req.branch, actor: deps.actor })
        .catch(toAppError);
      return { snapshotId: r.snapshot.id, branch: r.branch, sha: r.sha };
    },
  };
}
