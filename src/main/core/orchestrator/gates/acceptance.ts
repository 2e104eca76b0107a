import { outputTail, type GateActivity } from './types';

/** gate-5: the story's own validation commands. */
export const acceptance: GateActivity = async (ctx) => {
  const raw = ctx.story.validation?.commands ?? [];
  const commands = raw
    .map((c, i) => ({ name: `validation-${i + 1}`, argv: Array.isArray(c) ? c.map(String) : String(c).trim().split(/\s+/) }))
    .filter((c) => c.argv.length > 0 && c.argv[0] !== '');
  if (commands.length === 0) return { verdict: { kind: 'passed' }, headSha: ctx.headSha, detail: { note: 'the story has no validation commands' } };
  const r = await ctx.ports.commands.run('gate-5', commands, ctx.logPath);
  if (r.ok) return { verdict: { kind: 'passed' }, headSha: ctx.headSha, detail: { commands: commands.length } };
  return { verdict: { kind: 'failed' }, reason: `Validation command ${JSON.stringify(r.argv)} ${r.why}: ${outputTail(r.output)}` };
};
