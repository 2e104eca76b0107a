import type { GateId } from '../../store';
import type { SessionRunPort } from '../../store/repos/pipeline-repo';
import type { SessionRecoveryResult } from '../checkpointer';
import type { Executor } from '../executor';
import type { StoryStart } from './story-pipeline';

export type SessionMode = { kind: 'start' } | { kind: 'resume'; recovery: SessionRecoveryResult };

/**
 * Where each story starts: its current gate (gate-0) for a new session; the recovery plan on
 * resume, after stopping what the previous process left running and reconciling worktrees
 * and branches of stories that will not continue.
 */
export async function planStarts(
  sessionId: string,
  mode: SessionMode,
  deps: { repo: SessionRunPort; executor: Executor; graceMs: number; log: (line: string) => void },
): Promise<Map<string, StoryStart>> {
  const starts = new Map<string, StoryStart>();
  if (mode.kind === 'start') {
    const runs = await deps.repo.storyRunsOf(sessionId);
    for (const r of runs)
      if (r.status === 'queued')
        starts.set(r.storyId, { gate: (r.currentGate as GateId | null) ?? 'gate-0', checkpoint: null, resumed: false });
    return starts;
  }
  const leftovers = await deps.executor.groups.stopSession(sessionId, deps.graceMs);
  if (leftovers.stopped > 0)
    deps.log(
      `stopped ${leftovers.stopped} agent process group(s) left by the previous run (${leftovers.aliveAfter} still alive)`,
    );
  const plans = mode.recovery.stories;
  const continuing = plans.filter((p) => (p.action === 'resume' || p.action === 'restart') && p.nextGate !== null);
  const report = await deps.executor.worktrees.reconcile({ keep: continuing.map((p) => p.storyId) });
  if (report.removedWorktrees.length || report.deletedBranches.length) {
    deps.log(
      `reconciled the repository: removed worktrees ${report.removedWorktrees.join(', ') || 'none'}, deleted branches ${report.deletedBranches.join(', ') || 'none'}`,
    );
  }
  // "Every gate had passed": a story whose merge was recorded is merged.
  await deps.repo.markMergedWhereRecorded(plans.filter((p) => p.action === 'complete').map((p) => p.storyRunId));
  for (const p of continuing) starts.set(p.storyId, { gate: p.nextGate!, checkpoint: p.checkpoint, resumed: true });
  return starts;
}
