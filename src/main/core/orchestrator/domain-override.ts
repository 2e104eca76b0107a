import type { Store, StoryRun } from '../../store';
import { repositories } from '../../store/repos';
import { OrchestratorError } from './errors';
import {
  DRIVEN_SESSION_STATUSES,
  MAX_OVERRIDE_PATHS,
  MIN_OVERRIDE_REASON_CHARS,
} from '../../../shared/ipc/decision-rules';

/** The audit action of a lead's decision; gate-3 looks for the latest one of its story run. */
export const DOMAIN_OVERRIDE_GRANTED = 'domain_boundary_override.granted';

/** A lead's permission for one story to keep changes outside its domain: these paths, for this reason. */
export interface DomainOverrideGrant {
  sessionId: string;
  storyId: string;
  storyRunId: string;
  /** The attempt of the story run it was granted for (a restart is a new attempt and needs a new decision). */
  epoch: number | null;
  domain: string;
  /** The out-of-domain paths gate-3 listed when the lead decided; a later check may not add to them. */
  paths: string[];
  actor: string;
  reason: string;
  at: string;
}

export interface DomainOverrideRequest {
  sessionId: string;
  storyId: string;
  reason: string;
  actor: string;
}

/** The audit subject of a story of a session (the same the executor's override record uses). */
export function storySubject(sessionId: string, storyId: string): string {
  return `${sessionId}/${storyId}`;
}

/**
 * The run of a story a lead decides about, with the repositories it was read through:
 * not_found when the session or the story is missing, conflict while a process drives the
 * session (`whileDriven` ends that sentence: what the decision waits for).
 */
export async function decidableStoryRun(
  store: Store,
  sessionId: string,
  storyId: string,
  whileDriven: string,
): Promise<{ repos: ReturnType<typeof repositories>; run: StoryRun }> {
  const repos = repositories(store);
  const session = await repos.sessions.byId(sessionId);
  if (!session)
    throw new OrchestratorError('not_found', `Session ${sessionId} does not exist. List sessions with: wave status`);
  if (DRIVEN_SESSION_STATUSES.has(session.status))
    throw new OrchestratorError('conflict', `Session ${sessionId} is ${session.status}${whileDriven}`);
  const run = await repos.storyRuns.ofStory(sessionId, storyId);
  if (!run) throw new OrchestratorError('not_found', `Story ${storyId} is not part of session ${sessionId}.`);
  return { repos, run };
}

/**
 * Records a lead's override of a story's failed domain check, after checking that the story
 * did fail gate-3 on paths outside its domain (only that: paths that leave the worktree or
 * uncommitted changes cannot be overridden) and that no process drives the session now.
 * The grant names the paths; gate-3 honours it on the next run only for those paths.
 */
export async function grantDomainOverride(store: Store, req: DomainOverrideRequest): Promise<DomainOverrideGrant> {
  const reason = req.reason.trim();
  const actor = req.actor.trim();
  if (reason.length < MIN_OVERRIDE_REASON_CHARS) {
    throw new OrchestratorError(
      'invalid_request',
      `An override needs a reason of at least ${MIN_OVERRIDE_REASON_CHARS} characters that says why the out-of-domain changes are acceptable; nothing was overridden.`,
    );
  }
  if (!actor)
    throw new OrchestratorError(
      'invalid_request',
      'An override needs the name of who decides; nothing was overridden.',
    );
  const { repos, run } = await decidableStoryRun(
    store,
    req.sessionId,
    req.storyId,
    ": a story's domain check can be overridden once the session has ended or been stopped. Nothing was overridden.",
  );
  const gate3 = await repos.gateRuns.latest(run.id, 'gate-3', run.epoch);
  const detail = (gate3?.detail ?? {}) as {
    outside?: unknown;
    escaped?: unknown;
    uncommitted?: unknown;
    domain?: unknown;
  };
  const outside = stringList(detail.outside);
  if (run.status !== 'failed' || run.currentGate !== 'gate-3' || gate3?.status !== 'failed' || outside.length === 0) {
    throw new OrchestratorError(
      'precondition_failed',
      `Story ${req.storyId} did not fail its domain check (it is ${run.status}${gate3 ? `; its last gate-3 ${gate3.status}` : '; it never reached gate-3'}), so there is nothing to override.`,
    );
  }
  if (outside.length > MAX_OVERRIDE_PATHS) {
    throw new OrchestratorError(
      'precondition_failed',
      `Story ${req.storyId} changed ${outside.length} paths outside its domain, more than ${MAX_OVERRIDE_PATHS} to review one by one. Widen the domain in wave.config.json (or split the story) and resume instead.`,
    );
  }
  if (stringList(detail.escaped).length > 0 || stringList(detail.uncommitted).length > 0) {
    throw new OrchestratorError(
      'precondition_failed',
      `Story ${req.storyId} failed gate-3 on paths that leave its worktree or on uncommitted changes; that cannot be overridden. Fix the story branch and resume.`,
    );
  }
  const grant: DomainOverrideGrant = {
    sessionId: req.sessionId,
    storyId: req.storyId,
    storyRunId: run.id,
    epoch: run.epoch,
    domain: typeof detail.domain === 'string' ? detail.domain : '',
    paths: outside,
    actor,
    reason,
    at: new Date().toISOString(),
  };
  await repos.audit.append({
    actor,
    action: DOMAIN_OVERRIDE_GRANTED,
    subjectType: 'story',
    subjectId: storySubject(req.sessionId, req.storyId),
    detail: { reason, domain: grant.domain, paths: outside, storyRunId: run.id, epoch: run.epoch },
  });
  return grant;
}

/** The latest override a lead granted for this story of this session, or null. */
export async function latestDomainOverride(
  store: Store,
  sessionId: string,
  storyId: string,
): Promise<DomainOverrideGrant | null> {
  const row = await repositories(store).audit.latestAbout(
    'story',
    storySubject(sessionId, storyId),
    DOMAIN_OVERRIDE_GRANTED,
  );
  if (!row) return null;
  const d = (row.detail ?? {}) as {
    reason?: unknown;
    domain?: unknown;
    paths?: unknown;
    storyRunId?: unknown;
    epoch?: unknown;
  };
  return {
    sessionId,
    storyId,
    storyRunId: typeof d.storyRunId === 'string' ? d.storyRunId : '',
    epoch: typeof d.epoch === 'number' ? d.epoch : null,
    domain: typeof d.domain === 'string' ? d.domain : '',
    paths: stringList(d.paths),
    actor: row.actor,
    reason: typeof d.reason === 'string' ? d.reason : '',
    at: row.at.toISOString(),
  };
}

function stringList(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}
