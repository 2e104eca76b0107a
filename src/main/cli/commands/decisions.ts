import os from 'node:os';
import { RecoveryError, resumeSession, type StrategyChoice } from '../../core/checkpointer';
import { approveMerge, grantDomainOverride } from '../../core/orchestrator';
import type { Store } from '../../store';
import { CliError, usageError, type CliCommand, type CliContext } from '../cli-types';
import { openRecoveryStore } from './recover';
import { renderPlan, toResumeJson } from './resume';
import { continueFromRecovery, orchestratorToCli } from './run';
import { COMMIT_ID } from '../../../shared/ipc/decision-rules';

/**
 * A lead's decision about a story of a session that has ended, paused or been stopped:
 * recorded (with the CLI user as the actor), then the session continues in this process as
 * with `wave resume`. The JSON output is the decision (under `key`) plus the resume document.
 */
export async function decideThenContinue<T>(
  ctx: CliContext,
  sessionId: string,
  opts: {
    key: string;
    force: boolean;
    perStory?: Record<string, StrategyChoice>;
    record(store: Store, actor: string): Promise<T>;
    said(decision: T, actor: string): string;
  },
): Promise<number> {
  const actor = ctx.settings.actor;
  const core = await openRecoveryStore(ctx);
  try {
    const decision = await opts.record(core.store, actor).catch(orchestratorToCli);
    ctx.info(opts.said(decision, actor));
    let result;
    try {
      result = await resumeSession(core.store, sessionId, {
        strategy: 'resume_from_last',
        ...(opts.perStory ? { perStory: opts.perStory } : {}),
        force: opts.force,
        actor,
        claimAs: { pid: process.pid, host: os.hostname() },
      });
    } catch (e) {
      if (e instanceof RecoveryError)
        throw new CliError(`The decision is recorded, but the session could not be resumed: ${e.message}`, 1, e.code);
      throw e;
    }
    const doc = { [opts.key]: decision, ...toResumeJson(result) };
    doc.continued = await continueFromRecovery(core, result, ctx);
    ctx.output(doc, () => renderPlan(doc));
    return result.stories.some((s) => s.action === 'error') ? 1 : 0;
  } finally {
    await core.close();
  }
}

export function sessionAndStory(args: { positionals: string[] }, usage: string, name: string): [string, string] {
  const [sessionId, storyId, ...extra] = args.positionals;
  if (!sessionId || !storyId || extra.length)
    throw usageError(`wave ${name} takes a session id and a story id.`, usage);
  return [sessionId, storyId];
}

/** --sha: the commit the lead reviewed, lower-cased; undefined when not given. */
export function reviewedSha(args: { values: Record<string, unknown> }): string | undefined {
  const headSha = args.values.sha === undefined ? undefined : String(args.values.sha).trim().toLowerCase();
  if (headSha !== undefined && !COMMIT_ID.test(headSha))
    throw usageError(`--sha ${headSha}: give a commit id (7 to 64 hex characters).`);
  return headSha;
}

/** Approves merging a story that waits at gate-7 (bound to `headSha` when given), then continues the session. */
export function approveMergeThenContinue(
  ctx: CliContext,
  o: { sessionId: string; storyId: string; comment: string | null; headSha: string | undefined; force: boolean },
): Promise<number> {
  const { sessionId, storyId, comment, headSha } = o;
  return decideThenContinue(ctx, sessionId, {
    key: 'approval',
    force: o.force,
    record: (store, actor) =>
      approveMerge(store, {
        sessionId,
        storyId,
        actor,
        ...(comment ? { comment } : {}),
        ...(headSha ? { headSha } : {}),
      }),
    said: (a, actor) =>
      `${actor} approved merging story ${storyId} at ${a.headSha.slice(0, 12)}${a.comment ? `: ${a.comment}` : ''}`,
  });
}

/** `wave override-domain`: allow the out-of-domain paths a story's gate-3 listed, with a reason. */
export const overrideDomainCommand: CliCommand = {
  name: 'override-domain',
  summary: "Allow the paths outside its domain a story's gate-3 listed, with a reason, and continue the session",
  usage: 'wave override-domain <session> <story> --reason "<why>" [--force] [--json]',
  help: [
    'Only for a story that failed gate-3 because it changed paths outside its domain, in a session that has',
    'ended or been stopped. The decision (who, why, which paths) goes to the audit log; the story runs gate-3',
    'again and passes for exactly those paths: a path added later needs a decision of its own. Paths that leave',
    'the worktree and uncommitted changes can never be overridden. The rest of the session resumes from its last',
    'checkpoints, in this process, as with wave resume. --force resumes even if the owner process looks alive.',
  ].join('\n'),
  options: {
    reason: { type: 'string', short: 'r' },
    force: { type: 'boolean' },
  },
  async run(ctx, args) {
    const [sessionId, storyId] = sessionAndStory(args, overrideDomainCommand.usage, 'override-domain');
    const reason = String(args.values.reason ?? '').trim();
    if (!reason)
      throw usageError(
        '--reason is required: say why the out-of-domain changes are acceptable.',
        overrideDomainCommand.usage,
      );
    return decideThenContinue(ctx, sessionId, {
      key: 'override',
      force: args.values.force === true,
      perStory: { [storyId]: { strategy: 'resume_from_gate', gate: 'gate-3' } },
      record: (store, actor) => grantDomainOverride(store, { sessionId, storyId, reason, actor }),
      said: (g, actor) =>
        `${actor} allowed story ${storyId} to change ${g.paths.join(', ')} outside domain ${g.domain}: ${reason}`,
    });
  },
};

/** `wave approve-merge`: approve merging a story that waits at gate-7 (merge.requireApproval). */
export const approveMergeCommand: CliCommand = {
  name: 'approve-merge',
  summary: 'Approve merging a story that waits at gate-7 (merge.requireApproval) and continue the session',
  usage: 'wave approve-merge <session> <story> [--sha <commit>] [--comment "<text>"] [--force] [--json]',
  help: [
    'The approval is bound to the commit the story waits with (its reason names it); --sha, the commit you',
    'reviewed, makes the approval refused if the story now waits with another. If the branch changes before gate-7',
    'runs, gate-7 asks again. Who approved, which commit and the comment go to the audit log; the session then',
    'continues in this process, as with wave resume. Review first, e.g. git diff main...wave/<agent>/<story>.',
  ].join('\n'),
  options: {
    comment: { type: 'string', short: 'c' },
    sha: { type: 'string' },
    force: { type: 'boolean' },
  },
  async run(ctx, args) {
    const [sessionId, storyId] = sessionAndStory(args, approveMergeCommand.usage, 'approve-merge');
    const comment = String(args.values.comment ?? '').trim();
    return approveMergeThenContinue(ctx, {
      sessionId,
      storyId,
      comment,
      headSha: reviewedSha(args),
      force: args.values.force === true,
    });
  },
};
