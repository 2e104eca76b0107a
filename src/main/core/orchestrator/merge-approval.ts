import type { Store } from '../../store';
import { repositories } from '../../store/repos';
import { decidableStoryRun, storySubject } from './domain-override';
import { OrchestratorError } from './errors';
import { COMMIT_ID } from '../../../shared/ipc/decision-rules';

/** Gate-7 asked for a person (merge.requireApproval) and the story waits; detail: headSha, branch. */
export const MERGE_APPROVAL_REQUESTED = 'merge.approval_requested';
/** A person approved merging the story branch at exactly detail.headSha. */
export const MERGE_APPROVED = 'merge.approved';
/** How the reason of a story waiting for its merge approval begins (the view keys on it). */
export const MERGE_APPROVAL_WAIT = 'Waiting for merge approval';

export interface MergeApprovalRequest {
  headSha: string;
  branch: string | null;
  at: string;
}

export interface MergeApproval {
  headSha: string;
  actor: string;
  comment: string | null;
  at: string;
}

/** Gate-7 records what it waits for: merging this branch at this commit. */
export async function requestMergeApproval(
  store: Store,
  at: { sessionId: string; storyId: string; storyRunId: string; headSha: string; branch: string | null },
): Promise<void> {
  await repositories(store).audit.append({
    actor: 'orchestrator',
    action: MERGE_APPROVAL_REQUESTED,
    subjectType: 'story',
    subjectId: storySubject(at.sessionId, at.storyId),
    detail: { headSha: at.headSha, branch: at.branch, storyRunId: at.storyRunId },
  });
}

/** The latest approval request and approval of a story of a session (either may be null). */
export async function mergeApprovalState(
  store: Store,
  sessionId: string,
  storyId: string,
): Promise<{ requested: MergeApprovalRequest | null; approved: MergeApproval | null }> {
  const rows = await repositories(store).audit.aboutSubject('story', storySubject(sessionId, storyId), [
    MERGE_APPROVAL_REQUESTED,
    MERGE_APPROVED,
  ]);
  const req = rows.find((r) => r.action === MERGE_APPROVAL_REQUESTED);
  const ok = rows.find((r) => r.action === MERGE_APPROVED);
  const d = (r: (typeof rows)[number] | undefined) =>
    (r?.detail ?? {}) as { headSha?: unknown; branch?: unknown; comment?: unknown };
  return {
    requested:
      req && typeof d(req).headSha === 'string'
        ? {
            headSha: d(req).headSha as string,
            branch: typeof d(req).branch === 'string' ? (d(req).branch as string) : null,
            at: req.at.toISOString(),
          }
        : null,
    approved:
      ok && typeof d(ok).headSha === 'string'
        ? {
            headSha: d(ok).headSha as string,
            actor: ok.actor,
            comment: typeof d(ok).comment === 'string' ? (d(ok).comment as string) : null,
            at: ok.at.toISOString(),
          }
        : null,
  };
}

/**
 * A person approves merging a story that waits at gate-7: the approval is bound to the commit
 * gate-7 asked about, so a branch that changes afterwards (gate-6 merging a moved target)
 * needs a new one. Refused while a process drives the session, or when the story does not wait.
 */
export async function approveMerge(
  store: Store,
  req: { sessionId: string; storyId: string; actor: string; comment?: string; headSha?: string },
): Promise<MergeApproval> {
  const actor = req.actor.trim();
  if (!actor)
    throw new OrchestratorError('invalid_request', 'An approval needs the name of who approves; nothing was approved.');
  const { repos, run } = await decidableStoryRun(
    store,
    req.sessionId,
    req.storyId,
    '; approve the merge once it has paused for the approval. Nothing was approved.',
  );
  const { requested } = await mergeApprovalState(store, req.sessionId, req.storyId);
  if (!isAwaitingMergeApproval(run) || !requested || !COMMIT_ID.test(requested.headSha)) {
    throw new OrchestratorError(
      'precondition_failed',
      `Story ${req.storyId} is not waiting for a merge approval (it is ${run.status}${run.currentGate ? ` at ${run.currentGate}` : ''}); nothing was approved.`,
    );
  }
  const seen = req.headSha?.trim().toLowerCase();
  if (seen !== undefined && (!COMMIT_ID.test(seen) || !requested.headSha.startsWith(seen))) {
    throw new OrchestratorError(
      'conflict',
      `Story ${req.storyId} now waits to merge ${requested.headSha.slice(0, 12)}, not the ${seen.slice(0, 12)} you reviewed; review the branch again. Nothing was approved.`,
    );
  }
  const comment = req.comment?.trim() || null;
  await repos.audit.append({
    actor,
    action: MERGE_APPROVED,
    subjectType: 'story',
    subjectId: storySubject(req.sessionId, req.storyId),
    detail: { headSha: requested.headSha, branch: requested.branch, comment, storyRunId: run.id },
  });
  return { headSha: requested.headSha, actor, comment, at: new Date().toISOString() };
}

/** A story run parked before gate-7 until a person approves its merge. */
export function isAwaitingMergeApproval(run: {
  status: string;
  currentGate: string | null;
  reason: string | null;
}): boolean {
  return run.status === 'blocked' && run.currentGate === 'gate-7' && (run.reason ?? '').startsWith(MERGE_APPROVAL_WAIT);
}
