import { oneLine, type AgentPhaseResult, type GateActivity, type GateResult } from './types';

/** Why an agent phase failed, for people; an agent that says it is blocked blocks the story. */
export function agentFailure(storyId: string, result: AgentPhaseResult, phase: string): GateResult {
  const blocked = result.signals.find((s) => s.signal === 'blocked');
  if (blocked) {
    return {
      verdict: { kind: 'failed', blocked: true },
      reason: `The agent reported it is blocked in the ${phase} phase: ${blocked.message ?? 'no reason given'}`,
      usage: [result.usage],
    };
  }
  const said = result.signals.filter((s) => s.signal === 'error' && s.message).at(-1)?.message;
  const why = `${result.failure?.message ?? `the agent ended with status ${result.status}.`}${said ? ` It said: ${oneLine(said, 300)}.` : ''}`;
  return {
    verdict: { kind: 'failed' },
    reason: `The ${phase} phase of story ${storyId} failed: ${why} See the gate log ${result.logFile}.`,
    detail: {
      agentStatus: result.status,
      exitCode: result.exitCode,
      signal: result.signal,
      ending: result.ending ?? null,
      ...(result.subagents ? { subagents: result.subagents } : {}),
    },
    usage: [result.usage],
  };
}

/** gate-1 (plan) and gate-2 (develop): an agent phase that must exit 0 without reporting an error. */
function agentPhase(phase: 'plan' | 'develop'): GateActivity {
  return async (ctx) => {
    const storyId = ctx.run.storyId;
    // A lead asked for changes: the develop phase starts from the commit they reviewed (what
    // the branch holds now is snapshotted first) and gets their comments as its feedback.
    const review = phase === 'develop' ? await ctx.ports.review.pending() : null;
    if (review?.headSha)
      await ctx.ports.worktree.restore(review.headSha, {
        reason: `changes requested: back to the reviewed commit ${review.headSha.slice(0, 12)}`,
        gate: ctx.gate,
      });
    const result = await ctx.ports.agent.run(
      ctx.gate,
      phase,
      ctx.logPath,
      review?.feedbackFile ?? null,
      ctx.data.plan,
      ctx.gateRunId,
    );
    if (result.status !== 'succeeded' || result.signals.some((s) => s.signal === 'blocked'))
      return agentFailure(storyId, result, phase);
    const error = result.signals.find((s) => s.signal === 'error');
    if (error)
      return {
        verdict: { kind: 'failed' },
        reason: `The agent exited 0 but reported an error in the ${phase} phase: ${error.message ?? 'no message'}`,
        usage: [result.usage],
      };
    if (phase === 'develop') {
      // The develop phase's work goes into its checkpoint: a resume resets the worktree to it.
      await ctx.ports.worktree.commitAll(`${storyId}: develop (wave gate-2)`);
    }
    return {
      verdict: { kind: 'passed' },
      ...(phase === 'plan' ? { plan: result.lastProgress?.message ?? null } : {}),
      usage: [result.usage],
      detail: {
        agentStatus: result.status,
        durationMs: result.durationMs,
        ...(result.subagents ? { subagents: result.subagents } : {}),
      },
    };
  };
}

export const plan = agentPhase('plan');
export const develop = agentPhase('develop');
