import { outputTail, type GateActivity } from './types';

/** gate-6: the target branch merged into the story branch; QA again if the target moved. */
export const mergePrep: GateActivity = async (ctx) => {
  const prep = await ctx.ports.merger.prepare();
  if (!prep.ok) return { verdict: { kind: 'failed' }, reason: prep.message, detail: { conflicts: prep.conflicts } };
  if (prep.targetMoved && ctx.config.qa.length > 0) {
    const r = await ctx.ports.commands.run('gate-6', ctx.config.qa, ctx.logPath);
    if (!r.ok)
      return {
        verdict: { kind: 'failed' },
        reason: `QA command "${r.name}" ${r.why} after ${ctx.config.targetBranch} was merged into the story: ${outputTail(r.output)}`,
      };
  }
  return {
    verdict: { kind: 'passed' },
    headSha: prep.headSha,
    detail: { targetMoved: prep.targetMoved, targetSha: prep.targetSha },
  };
};
