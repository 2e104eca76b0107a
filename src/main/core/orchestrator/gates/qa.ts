import type { UsageSummary } from '../../executor';
import { SessionFiles } from '../session-files';
import type { WorkflowData } from '../workflow/story-workflow';
import { agentFailure } from './agent-phase';
import { outputTail, type GateActivity, type GateResult } from './types';

const FEEDBACK_TAIL_CHARS = 16_000;

/**
 * gate-4: the project's QA commands. When an earlier attempt failed, this attempt first runs
 * a fix phase with that output as feedback; the workflow decides between another attempt and
 * escalation (execution.max_retries).
 */
export const qa: GateActivity = async (ctx) => {
  const storyId = ctx.run.storyId;
  const usage: UsageSummary[] = [];
  let fixes = ctx.data.qaFixes;
  let fixSucceeded = false;
  const feedback = ctx.data.feedbackFile;
  if (feedback) {
    ctx.note(`fix phase ${fixes + 1} of ${ctx.maxRetries} with feedback ${feedback}`);
    // The failed attempt is kept before the fix works over it.
    await ctx.ports.worktree.snapshot({
      reason: `QA attempt ${fixes + 1} failed; kept before fix ${fixes + 1}`,
      operation: 'qa-retry',
      gate: 'gate-4',
    });
    const fix = await ctx.ports.agent.run('gate-4', 'fix', ctx.logPath, feedback, ctx.data.plan, ctx.gateRunId);
    usage.push(fix.usage);
    if (ctx.stopping()) return { verdict: { kind: 'failed' }, reason: 'stopped', usage };
    fixes += 1;
    if (fix.status !== 'succeeded') {
      const failed = agentFailure(storyId, fix, 'fix');
      if (failed.verdict.kind === 'failed' && failed.verdict.blocked) return failed;
      return { ...failed, verdict: { kind: 'qa-failed', feedbackFile: null }, usage };
    }
    fixSucceeded = true;
    await ctx.ports.worktree.commitAll(`${storyId}: QA fix ${fixes} (wave gate-4)`);
    ctx.markClean(await ctx.ports.worktree.head());
    const { violation } = await ctx.ports.domain.check();
    if (violation)
      return {
        verdict: { kind: 'failed' },
        fixSucceeded,
        reason: `After the QA fix: ${violation.reason}`,
        detail: violation.detail,
        usage,
      };
  }
  const commands = ctx.config.qa;
  const head = usage.length ? undefined : ctx.headSha;
  if (commands.length === 0)
    return {
      verdict: { kind: 'passed' },
      fixSucceeded,
      usage,
      headSha: head,
      detail: { note: 'no QA commands configured (wave.config.json "qa")' },
    };
  const result = await ctx.ports.commands.run('gate-4', commands, ctx.logPath);
  if (result.ok)
    return {
      verdict: { kind: 'passed' },
      fixSucceeded,
      usage,
      headSha: head,
      detail: { commands: commands.map((c) => c.name), fixes },
    };
  if (ctx.stopping()) return { verdict: { kind: 'failed' }, fixSucceeded, reason: 'stopped', usage };
  const feedbackFile = ctx.files.feedbackFile(storyId, ctx.attempt);
  const tail =
    result.output.length > FEEDBACK_TAIL_CHARS ? `…${result.output.slice(-FEEDBACK_TAIL_CHARS)}` : result.output;
  SessionFiles.write(
    feedbackFile,
    [
      `QA command "${result.name}" (${JSON.stringify(result.argv)}) ${result.why} in ${ctx.run.worktreePath}.`,
      '',
      'Its output:',
      '',
      tail,
      '',
    ].join('\n'),
  );
  const reason = `QA command "${result.name}" ${result.why}: ${outputTail(result.output)}`;
  return {
    verdict: { kind: 'qa-failed', feedbackFile },
    fixSucceeded,
    reason,
    usage,
    detail: { command: result.name, feedbackFile },
  };
};

/** The reason of a story escalated because QA kept failing (data: after the last attempt). */
export function escalationReason(
  result: GateResult,
  data: WorkflowData,
  maxRetries: number,
  branch: string | null,
): string {
  const n = data.qaFixes;
  return `QA still fails after ${n} fix attempt${n === 1 ? '' : 's'} (execution.max_retries = ${maxRetries}): ${result.reason ?? 'the fix phase failed'}. A person must look at the story branch ${branch ?? ''}.`;
}
