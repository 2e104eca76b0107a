import type { Store, TransactionOptions, WaveQueryable } from '../store';
import { LatencyRepo } from './events-repo';
import { AuditRepo } from './audit-repo';
import { CheckpointsRepo } from './checkpoints-repo';
import { ContextPacksRepo } from './context-packs-repo';
import { FleetWorkersRepo, StoryRunLeasesRepo } from './fleet-repo';
import { GateRunsRepo } from './gate-runs-repo';
import { PrdDecisionsRepo, PrdsRepo } from './prds-repo';
import { ProjectsRepo } from './projects-repo';
import { StoriesRepo } from './stories-repo';
import { onQueryable, type QueryRunner } from './runner';
import { SessionsRepo } from './sessions-repo';
import { StoryRunsRepo } from './story-runs-repo';
import { UsageRepo } from './usage-repo';

/**
 * The typed repositories: every read and write of the core goes through one of these.
 * Bound to the store (`repositories(store)`) or to one transaction (`repos.transaction`).
 */
export class Repos {
  readonly sessions: SessionsRepo;
  readonly storyRuns: StoryRunsRepo;
  readonly gateRuns: GateRunsRepo;
  readonly usage: UsageRepo;
  readonly latency: LatencyRepo;
  readonly projects: ProjectsRepo;
  readonly prds: PrdsRepo;
  readonly prdDecisions: PrdDecisionsRepo;
  readonly stories: StoriesRepo;
  readonly audit: AuditRepo;
  readonly checkpoints: CheckpointsRepo;
  readonly contextPacks: ContextPacksRepo;
  readonly fleetWorkers: FleetWorkersRepo;
  readonly storyRunLeases: StoryRunLeasesRepo;

  constructor(protected readonly runner: QueryRunner) {
    this.sessions = new SessionsRepo(runner);
    this.storyRuns = new StoryRunsRepo(runner);
    this.gateRuns = new GateRunsRepo(runner);
    this.usage = new UsageRepo(runner);
    this.latency = new LatencyRepo(runner);
    this.projects = new ProjectsRepo(runner);
    this.prds = new PrdsRepo(runner);
    this.prdDecisions = new PrdDecisionsRepo(runner);
    this.stories = new StoriesRepo(runner);
    this.audit = new AuditRepo(runner);
    this.checkpoints = new CheckpointsRepo(runner);
    this.contextPacks = new ContextPacksRepo(runner);
    this.fleetWorkers = new FleetWorkersRepo(runner);
    this.storyRunLeases = new StoryRunLeasesRepo(runner);
  }
}

/** The repositories on the store, able to open a transaction (a unit of work). */
export class StoreRepos extends Repos {
  constructor(private readonly store: Store) {
    super(store);
  }

  /**
   * Runs `fn` with repositories bound to one transaction, through the store's retrying
   * `transaction` (so `fn` must only touch the database: it may run again).
   */
  transaction<T>(fn: (repos: Repos) => Promise<T>, opts?: TransactionOptions): Promise<T> {
    return this.store.transaction((tx) => fn(new Repos(onQueryable(tx))), opts);
  }

  /**
   * Runs `fn` in one transaction that first locks the story run's lease and checks that
   * `token` still holds it unexpired (else LeaseLostError, nothing written): a fleet worker
   * that lost its lease (killed, paused, partitioned and reclaimed) cannot write a checkpoint
   * or a result. The row lock is held until COMMIT, so a claimant taking the lease meanwhile
   * waits for this write to end.
   */
  fenced<T>(storyRunId: string, token: number, fn: (repos: Repos) => Promise<T>): Promise<T> {
    return this.transaction(async (tx) => {
      await tx.storyRunLeases.assertHeld(storyRunId, token);
      return fn(tx);
    });
  }

  /** Repositories on a transaction a caller already holds, or on the store when none. */
  on(q: WaveQueryable | undefined): Repos {
    return q ? new Repos(onQueryable(q)) : this;
  }
}

const cache = new WeakMap<Store, StoreRepos>();

/** The repositories of an opened store (one set per store). */
export function repositories(store: Store): StoreRepos {
  let r = cache.get(store);
  if (!r) cache.set(store, (r = new StoreRepos(store)));
  return r;
}

export {
  DeadLettersRepo,
  DedupRepo,
  EventOutboxRepo,
  LatencyRepo,
  type DeadLetterInput,
  type OutboxLog,
} from './events-repo';
export { AuditRepo } from './audit-repo';
export { ContextPacksRepo, type ContextPackWithRun } from './context-packs-repo';
export {
  CheckpointsRepo,
  type CheckpointMeta,
  type CheckpointWithStory,
  type GateRecordWrite,
  type RecordedGateRow,
  type StoryRunSnapshot,
} from './checkpoints-repo';
export {
  FleetWorkersRepo,
  LeaseLostError,
  StoryRunLeasesRepo,
  type FleetWorkerRow,
  type HeldLease,
} from './fleet-repo';
export { GateRunsRepo } from './gate-runs-repo';
export { PrdDecisionsRepo, PrdsRepo } from './prds-repo';
export { ProjectsRepo } from './projects-repo';
export { StoriesRepo } from './stories-repo';
export { onQueryable, type QueryRunner } from './runner';
export { heartbeatAgeMs, SessionsRepo, type SessionOwnerRow } from './sessions-repo';
export { StoryRunsRepo, type RecoveredStoryRun, type StoryRunTiming } from './story-runs-repo';
export { UsageRepo } from './usage-repo';
