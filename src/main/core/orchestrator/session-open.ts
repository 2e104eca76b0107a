import type { Session } from '../../store';
import { SessionLease } from '../checkpointer';
import { createExecutor, type Executor, type ExecutorConfig } from '../executor';
import { resolveAgentPreset, type ResolvedPreset } from './agent-presets';
import type { OrchestratorEnv } from './orchestrator-env';
import type { SessionConfig } from './session-config';

/**
 * What a session run needs before it starts: its agent preset, its lease (the claim that this
 * process drives it), its executor over the repository, and what it spent so far. If the
 * executor cannot be made, the lease is given back with the session failed and the reason.
 */
export async function openSessionParts(
  o: OrchestratorEnv,
  session: Session,
  config: SessionConfig,
): Promise<{
  preset: ResolvedPreset;
  lease: SessionLease;
  executor: Executor;
  spentUsd: number;
  onLost: (fn: (reason: string) => void) => void;
}> {
  const preset = resolveAgentPreset(config.agent.preset, config.agent.command, o.env);
  let lost: (reason: string) => void = () => {};
  const lease = await SessionLease.acquire(o.store, session.id, {
    status: 'running',
    heartbeatMs: o.options.heartbeatMs,
    leaseMs: o.options.leaseMs,
    log: o.log,
    onLost: (r) => lost(r),
  });
  let executor: Executor;
  try {
    executor = await createExecutor(sessionExecutorConfig(o, session.id, config));
  } catch (e) {
    await lease
      .release({
        status: 'failed',
        stopReason: `Could not prepare the repository ${config.repoPath}: ${(e as Error).message}`,
      })
      .catch(() => undefined);
    throw e;
  }
  const spentUsd = await o.repo.spentUsd(session.id);
  return {
    preset,
    lease,
    executor,
    spentUsd,
    onLost: (fn) => {
      lost = fn;
    },
  };
}

/** The executor of a session's stories over `config.repoPath` (a fleet worker passes its clone's). */
export function sessionExecutorConfig(
  o: Pick<OrchestratorEnv, 'repo' | 'dataDir' | 'options' | 'env'>,
  sessionId: string,
  config: SessionConfig,
): ExecutorConfig {
  return {
    repoPath: config.repoPath,
    dataDir: o.dataDir,
    targetBranch: config.targetBranch,
    domains: config.domains,
    audit: {
      record: (e) =>
        o.repo.audit({
          actor: e.actor,
          action: e.action,
          subjectType: 'story',
          subjectId: `${sessionId}/${e.storyId}`,
          detail: { reason: e.reason, ...e.detail },
        }),
    },
    concurrency: config.concurrency,
    graceMs: o.options.graceMs,
    mergeStrategy: config.mergeStrategy,
    copyFiles: config.copyFiles,
    setupCommand: config.setup ?? undefined,
    committer: o.options.committer,
    priceFile: o.options.priceFile,
    env: { parent: o.env, grant: config.agentEnv, fixed: o.options.agentEnv },
  };
}
