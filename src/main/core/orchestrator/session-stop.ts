import os from 'node:os';
import type { EventDraft } from '../../../shared/events';
import type { SessionRunPort } from '../../store/repos/pipeline-repo';
import type { Executor } from '../executor';
import type { ControlFiles } from './control-files';
import type { StopRequest } from './run-state';
import type { SessionProjection } from './session-ui';

export interface StopSummary {
  sessionId: string;
  /** Agent (and QA command) process groups that were running and got stopped. */
  stoppedAgents: number;
  /** Processes of the session still alive afterwards, by a /proc scan: should be 0. */
  aliveAfter: number;
  /** Story runs left in `stopped`, each at its last checkpoint. */
  storiesCheckpointed: number;
}

/** The session's process groups and processes still alive. */
export function countAlive(executor: Executor, sessionId: string): { groups: number; processes: number } {
  const records = executor.groups.forSession(sessionId);
  let groups = 0;
  let processes = 0;
  for (const list of executor.groups.members(records).values()) {
    if (list.length > 0) groups += 1;
    processes += list.length;
  }
  return { groups, processes };
}

export interface StopDeps {
  sessionId: string;
  executor: Executor;
  repo: SessionRunPort;
  control: ControlFiles;
  ui: SessionProjection;
  graceMs: number;
  /** True when another process took the session over: its state is not ours to write. */
  leaseLost: () => boolean;
  /** Settles when the waves loop ended (every story recorded its checkpoint). */
  wavesEnded: Promise<void>;
  publish: (draft: EventDraft) => Promise<void>;
  log: (line: string) => void;
}

/**
 * Emergency stop: the session is marked stopping in the store first, then every agent group
 * of the session is stopped, each running story records a checkpoint, and the session ends
 * `stopped`, with the report in the audit log and the control files.
 */
export async function performStop(d: StopDeps, { reason, by }: StopRequest): Promise<StopSummary> {
  const { sessionId, ui } = d;
  const progress = (
    phase: 'stopping' | 'stopped' | 'failed',
    total: number,
    stopped: number,
    alive: number,
    message: string,
  ) => ui.push('stop.progress', { sessionId, phase, total, stopped, alive, message });
  d.log(`emergency stop by ${by}: ${reason}`);
  if (!d.leaseLost()) await d.repo.setStatus(sessionId, 'stopping', `Stopping: ${reason}`);
  ui.sessionChanged();
  const before = countAlive(d.executor, sessionId);
  progress(
    'stopping',
    before.groups,
    0,
    before.processes,
    `Stopping ${before.groups} agent process group(s) of session ${sessionId}…`,
  );
  // Every process of the session hears it — unless another process took the session over.
  if (!d.leaseLost())
    await d.publish({ type: 'emergency_stop', session: sessionId, reason, by, host: os.hostname(), pid: process.pid });
  d.executor.pool.cancelPending();
  const report = await d.executor.runner.stopAll(sessionId, { graceMs: d.graceMs });
  const total = Math.max(before.groups, report.stopped);
  progress(
    'stopping',
    total,
    report.stopped,
    report.aliveAfter,
    `Stopped ${report.stopped} of ${total}; waiting for each story to record its checkpoint…`,
  );
  await d.wavesEnded;
  const after = countAlive(d.executor, sessionId);
  let storiesCheckpointed = 0;
  if (!d.leaseLost()) {
    // A gate that finished normally while the stop ran has its checkpoint: the story just stops there.
    await d.repo.stopRunningStories(sessionId, `Stopped: ${reason}`);
    storiesCheckpointed = (await d.repo.storyRunsOf(sessionId)).filter((r) => r.status === 'stopped').length;
    const detail = {
      reason,
      by,
      stoppedAgents: report.stopped,
      killed: report.killed,
      aliveAfter: after.processes,
      storiesCheckpointed,
      host: os.hostname(),
      pid: process.pid,
    };
    await d.repo.endSession(sessionId, 'stopped', `Stopped by ${by}: ${reason}`, {
      actor: by,
      action: 'session.emergency_stop',
      subjectType: 'session',
      subjectId: sessionId,
      detail,
    });
  }
  const summary: StopSummary = {
    sessionId,
    stoppedAgents: report.stopped,
    aliveAfter: after.processes,
    storiesCheckpointed,
  };
  d.control.writeStopResult({ ...summary, reason, by, at: new Date().toISOString() });
  d.control.clearStop(sessionId);
  const ok = after.processes === 0;
  const stories = `${storiesCheckpointed} stor${storiesCheckpointed === 1 ? 'y' : 'ies'}`;
  progress(
    ok ? 'stopped' : 'failed',
    total,
    report.stopped,
    after.processes,
    ok
      ? `Session ${sessionId} stopped: ${report.stopped} agent group(s) stopped, none alive, ${stories} checkpointed.`
      : `${after.processes} process(es) of session ${sessionId} are still alive after SIGKILL; check them with ps and kill them by hand.`,
  );
  ui.notice(
    'stopped',
    `Session ${sessionId} stopped`,
    `${by}: ${reason}. ${report.stopped} agent group(s) stopped, ${after.processes} alive after, ${stories} checkpointed. Resume it to continue from the checkpoints.`,
  );
  ui.sessionChanged();
  return summary;
}
