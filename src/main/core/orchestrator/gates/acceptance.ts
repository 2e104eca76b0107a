import { validationArgvs } from '../../../../shared/stories';
import { outputTail, type GateActivity } from './types';

/** gate-5: the story's own validation commands. */
export const acceptance: GateActivity = async (ctx) => {
  // The same argv the PRD approval listed (one definition in src/shared/stories).
  const commands = validationArgvs(ctx.story).map((argv, i) => ({ name: `validation-${i + 1}`, argv }));
  if (commands.length === 0)
    return {
      verdict: { kind: 'passed' },
      headSha: ctx.headSha,
      detail: { note: 'the story has no validation commands' },
    };
  const r = await ctx.ports.commands.run('gate-5', commands, ctx.logPath);
  if (r.ok) return { verdict: { kind: 'passed' }, headSha: ctx.headSha, detail: { commands: commands.length } };
  return {
    verdict: { kind: 'failed' },
    reason: `Validation command ${JSON.stringify(r.argv)} ${r.why}: ${outputTail(r.output)}`,
  };
};
