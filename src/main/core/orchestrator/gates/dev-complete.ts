import type { GateActivity } from './types';

/** gate-3: changes committed on the story branch, every changed path inside the story's domain. */
export const devComplete: GateActivity = async (ctx) => {
  const storyId = ctx.run.storyId;
  const commit = await ctx.ports.worktree.commitAll(`${storyId}: changes left uncommitted by the agent (wave gate-3)`);
  const { violation, changed, override } = await ctx.ports.domain.check();
  if (violation) return { verdict: { kind: 'failed' }, reason: violation.reason, detail: violation.detail };
  return {
    verdict: { kind: 'passed' },
    detail: {
      committedLeftovers: commit !== null,
      changedFiles: changed,
      domainCheck: changed !== null,
      ...(override ? { override } : {}),
    },
  };
};
