import type { EventDraft } from '../../../shared/events';
import { isFinalStory } from '../../../shared/status';
import type { GateId, Session, Store, StoryRun } from '../../store';
import { repositories, type HeldLease } from '../../store/repos';
import { pipelineRepo, type StoryRunPort } from '../../store/repos/pipeline-repo';
import { Checkpointer, nextGate, pipelineFromConfig, type GateResultInput, type RecordedGate } from '../checkpointer';
import type { EventBus } from '../events';
import { createExecutor, type Executor } from '../executor';
import type { PrdService } from '../prd';
import { resolveAgentPreset } from '../orchestrator/agent-presets';
import type { ResolvedOrchestratorOptions } from '../orchestrator/orchestrator-env';
import type { StopRequest } from '../orchestrator/run-state';
import { parseSessionConfig, type SessionConfig } from '../orchestrator/session-config';
import { SessionFiles } from '../orchestrator/session-files';
import { sessionExecutorConfig } from '../orchestrator/session-open';
import { storyDocumentOf } from '../orchestrator/session-waves';
import { storyEnvOf, type StoryEnv } from '../orchestrator/story-env';
import { StoryPipeline, type StoryStart } from '../orchestrator/story-pipeline';
import { FleetClone } from './fleet-clone';
import { FleetMerger } from './fleet-merger';

/** What a worker shares between the story runs it takes. */
export interface WorkerStoryDeps {
  store: Store;
  bus: EventBus;
  prds: PrdService;
  /** The worker's own data dir (process records, gate logs, worktrees). */
  dataDir: string;
  workDir: string;
  env: NodeJS.ProcessEnv;
  options: ResolvedOrchestratorOptions;
  /** Names the worker in the events it publishes (`worker:<name>`). */
  source: string;
  log(line: string): void;
}

/** One story run a worker claimed, ready to run (or to stop). */
export interface WorkerStory {
  readonly run: StoryRun;
  readonly executor: Executor;
  /** Runs the story from its last checkpoint until it ends, parks or loses its lease. */
  execute(): Promise<void>;
  /** Stops the story's agents (lease lost, session stopped). */
  stopAgents(): Promise<number>;
  dispose(): Promise<void>;
}

/**
 * Where a claimed story continues: after its last checkpoint (the gate that failed again, or
 * the next one), or at its current gate when it has none yet (a worker killed in gate-0). The
 * same rule as a resume_from_last recovery (checkpointer/recovery.ts).
 */
async function startOf(cp: Checkpointer, run: StoryRun): Promise<StoryStart | null> {
  const latest = await cp.loadLatest(run.id);
  if (!latest)
    return {
      gate: run.currentGate && cp.pipeline.includes(run.currentGate) ? run.currentGate : cp.pipeline[0]!,
      checkpoint: null,
      resumed: false,
    };
  const gate: GateId | null = latest.gateStatus === 'failed' ? latest.gate : nextGate(latest.gate, cp.pipeline);
  return gate === null ? null : { gate, checkpoint: latest, resumed: true };
}

/** The story run's writes, each refused (LeaseLostError) unless the lease is still held. */
function fencedPort(store: Store, lease: HeldLease): StoryRunPort {
  const inner = pipelineRepo(store);
  const repos = repositories(store);
  const check = () => repos.fenced(lease.storyRunId, lease.token, async () => undefined);
  const fence =
    <A extends unknown[], R>(fn: (...a: A) => Promise<R>) =>
    async (...a: A): Promise<R> => {
      await check();
      return fn(...a);
    };
  return {
    attemptsByGate: (id, epoch) => inner.attemptsByGate(id, epoch),
    storyRunsOf: (id) => inner.storyRunsOf(id),
    markIdle: fence(inner.markIdle),
    markFailed: fence(inner.markFailed),
    setWorktree: fence(inner.setWorktree),
    addUsage: fence(inner.addUsage),
    addContextPack: fence(inner.addContextPack),
  };
}

/**
 * The checkpointer of a fleet story run: every gate start and result is written only while
 * the lease is held (the fence runs in the write's own transaction), and the story branch is
 * pushed to the remote before its checkpoint is committed, so another worker resuming from
 * that checkpoint finds its commit.
 */
class FleetCheckpointer extends Checkpointer {
  constructor(
    store: Store,
    pipeline: readonly GateId[],
    log: (line: string) => void,
    private readonly lease: HeldLease,
    private readonly pushBranch: () => Promise<void>,
  ) {
    super(store, {
      pipeline,
      log,
      fence: (tx, storyRunId) => tx.storyRunLeases.assertHeld(storyRunId, lease.token),
    });
  }

  override async recordGate(input: GateResultInput): Promise<RecordedGate> {
    await this.pushBranch();
    return super.recordGate(input);
  }
}

/**
 * Builds the StoryEnv of a story run a worker claimed, as a session run builds it for its
 * stories (story-env.ts), from the session's row in the shared store: its frozen config with
 * the worker's clone as the repository, its own executor, a fenced checkpointer and story run
 * port, the bus for its news. Null when there is nothing left to run (final, or every gate passed).
 */
export async function openWorkerStory(
  d: WorkerStoryDeps,
  session: Session,
  run: StoryRun,
  lease: HeldLease,
  stopRequest: () => StopRequest | null,
): Promise<WorkerStory | null> {
  if (isFinalStory(run.status)) return null;
  const frozen: SessionConfig = parseSessionConfig(session.id, session.config);
  if (!frozen.remote)
    throw new Error(
      `Session ${session.id} has no project.remote in its config: a fleet worker cannot reach its repository.`,
    );
  const clone = await FleetClone.open(frozen.remote, d.workDir, session.projectId, d.env);
  await clone.syncTarget(frozen.targetBranch);
  const config: SessionConfig = { ...frozen, repoPath: clone.path };
  const repos = repositories(d.store);
  const repo = pipelineRepo(d.store);
  const base = await createExecutor({
    ...sessionExecutorConfig({ repo, dataDir: d.dataDir, options: d.options, env: d.env }, session.id, config),
    concurrency: 1,
  });
  const landKey = `wave:land:${session.projectId}:${config.targetBranch}`;
  const merger = new FleetMerger(
    base.worktrees,
    { strategy: config.mergeStrategy },
    {
      clone,
      land: (fn) =>
        repos.transaction(async (tx) => {
          await tx.storyRunLeases.lockTarget(landKey);
          await tx.storyRunLeases.assertHeld(run.id, lease.token);
          return fn();
        }),
    },
  );
  const executor: Executor = { ...base, merger };
  const pushBranch = async () => {
    const wt = await base.worktrees.get(run.storyId);
    if (wt) await repos.fenced(run.id, lease.token, () => clone.pushBranch(wt.branch));
  };
  const checkpointer = new FleetCheckpointer(d.store, pipelineFromConfig(config), d.log, lease, pushBranch);
  const start = await startOf(checkpointer, run);
  const [storyRow] = await repo.stories(session.projectId, [run.storyId]);
  const budgetUsd = session.budgetUsd === null ? null : Number(session.budgetUsd);
  let spent = await repo.spentUsd(session.id);
  const publish = async (draft: EventDraft) => {
    try {
      await d.bus.publish({ source: d.source, ...draft } as EventDraft);
    } catch (e) {
      d.log(`could not publish ${draft.type}: ${(e as Error).message}`);
    }
  };
  const env: StoryEnv = storyEnvOf({
    sessionId: session.id,
    store: d.store,
    repo: fencedPort(d.store, lease),
    config,
    files: new SessionFiles(d.dataDir, session.id),
    checkpointer,
    executor,
    preset: resolveAgentPreset(config.agent.preset, config.agent.command, d.env),
    prds: d.prds,
    agentEnv: d.options.agentEnv,
    phaseTimeoutMs: d.options.phaseTimeoutMs,
    signals: {
      stopRequest,
      budget: {
        get exhausted() {
          return budgetUsd !== null && spent >= budgetUsd;
        },
        pause: () => undefined,
        add: (c) => {
          spent += c;
        },
      },
    },
    out: {
      publish,
      // The coordinator's windows rebuild a story from the store on its bus events.
      setProgress: () => undefined,
      progressed: () => undefined,
      storyChanged: () => undefined,
      notice: (_k, title, body) => d.log(`${title}: ${body}`),
      log: d.log,
    },
  });
  return {
    run,
    executor,
    async execute() {
      if (!storyRow) {
        await env.repo.markFailed(
          run.id,
          null,
          `Story ${run.storyId} is no longer imported in this project; import it again and resume.`,
        );
        return;
      }
      if (!start) {
        // Every gate had passed: the merge was recorded.
        await repos.fenced(run.id, lease.token, async () => undefined);
        await repo.markMergedWhereRecorded([run.id]);
        return;
      }
      await new StoryPipeline(env, run, storyDocumentOf(storyRow), start).execute();
    },
    async stopAgents() {
      const report = await executor.groups.terminate(
        executor.groups.forSession(session.id).filter((g) => g.storyId === run.storyId),
        d.options.graceMs,
      );
      return report.stopped;
    },
    dispose: () => base.dispose(),
  };
}
