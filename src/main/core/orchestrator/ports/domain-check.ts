import type { StoryDocument } from '../../../../shared/stories';
import type { StoryRun } from '../../../store';
import type { DomainCheck, DomainPort } from '../gates/types';
import type { StoryEnv } from '../story-env';

/**
 * The story's domain check. A path outside the domain fails it unless a lead overrode the
 * check for this very attempt of the story and for exactly those paths; then the executor
 * checks again with the override, which writes it to the audit log before passing.
 */
export function domainPort(
  env: StoryEnv,
  story: StoryDocument,
  run: () => StoryRun,
  worktreePath: () => string,
): DomainPort {
  return {
    async check(): Promise<DomainCheck> {
      if (Object.keys(env.config.domains).length === 0) return { violation: null, changed: null };
      const storyId = run().storyId;
      const request = {
        storyId,
        sessionId: env.sessionId,
        domain: story.domain,
        worktreePath: worktreePath(),
        base: env.config.targetBranch,
        ignoreUntracked: env.config.copyFiles,
      };
      const check = await env.executor.boundaries.check(request);
      if (check.ok) return { violation: null, changed: check.changed.length };
      const detail = {
        outside: check.outside,
        escaped: check.escaped,
        uncommitted: check.uncommitted,
        domain: check.domain,
      };
      let reason = check.message;
      if (check.outside.length > 0 && check.escaped.length === 0 && check.uncommitted.length === 0) {
        const found = await env.decisions.latestDomainOverride(storyId);
        // Only a decision about this very attempt counts: a restarted story is new work.
        const grant = found && found.storyRunId === run().id && found.epoch === run().epoch ? found : null;
        if (grant) {
          const allowed = new Set(grant.paths);
          const added = check.outside.filter((p) => !allowed.has(p));
          if (added.length === 0) {
            const overridden = await env.executor.boundaries.check({
              ...request,
              override: { actor: grant.actor, reason: grant.reason },
            });
            if (overridden.ok)
              return {
                violation: null,
                changed: overridden.changed.length,
                override: { by: grant.actor, reason: grant.reason, paths: check.outside },
              };
            reason = overridden.message;
          } else {
            reason = `${check.message} ${grant.actor}'s override covered ${grant.paths.join(', ')} only; ${added.join(', ')} ${added.length === 1 ? 'is' : 'are'} new and need${added.length === 1 ? 's' : ''} a decision of its own.`;
          }
        }
      }
      return { violation: { reason, detail }, changed: check.changed.length };
    },
  };
}
