import { join } from 'node:path';
import { PriceTable } from '../pricing';
import { AgentRunner } from './agent-runner';
import { DomainBoundaries, type AuditSink } from './domain-boundaries';
import { ExecutorPool } from './executor-pool';
import { ProcessGroups } from './process-groups';
import { StoryMerger, type MergeStrategy } from './story-merger';
import { WorktreeManager } from './worktree-manager';

export interface ExecutorConfig {
  repoPath: string;
  dataDir: string;
  targetBranch: string;
  /** Domain name → path globs, plus SHARED. */
  domains: Record<string, string[]>;
  audit: AuditSink;
  concurrency?: number;
  /** SIGTERM → SIGKILL grace (default 2 s). */
  graceMs?: number;
  mergeStrategy?: MergeStrategy;
  worktreesDir?: string;
  copyFiles?: string[];
  setupCommand?: string[];
  committer?: { name: string; email: string };
  /** A user price table (JSON) layered over the bundled one. */
  priceFile?: string;
  redisUrl?: string;
}

/** The executor's parts wired together for one repository. */
export interface Executor {
  worktrees: WorktreeManager;
  runner: AgentRunner;
  pool: ExecutorPool;
  boundaries: DomainBoundaries;
  merger: StoryMerger;
  groups: ProcessGroups;
  prices: PriceTable;
  /** Stops queued and running work of this process, in reverse order of creation. Safe to call twice. */
  dispose(): Promise<void>;
}

export async function createExecutor(config: ExecutorConfig): Promise<Executor> {
  const prices = PriceTable.load(config.priceFile);
  // Group records on disk let `wave stop` / a resumed session stop what a crashed process left.
  const groups = new ProcessGroups({ stateDir: join(config.dataDir, 'process-groups') });
  const worktrees = await WorktreeManager.open({
    repoPath: config.repoPath,
    dataDir: config.dataDir,
    worktreesDir: config.worktreesDir,
    targetBranch: config.targetBranch,
    copyFiles: config.copyFiles,
    setupCommand: config.setupCommand,
    committer: config.committer,
    processGroups: groups,
    audit: config.audit,
  });
  const runner = new AgentRunner({ groups, prices, graceMs: config.graceMs, redisUrl: config.redisUrl });
  const pool = new ExecutorPool(config.concurrency ?? 4);
  const boundaries = new DomainBoundaries(config.domains, config.audit);
  const merger = new StoryMerger(worktrees, { strategy: config.mergeStrategy });
  let disposed: Promise<void> | undefined;
  return {
    worktrees,
    runner,
    pool,
    boundaries,
    merger,
    groups,
    prices,
    dispose() {
      disposed ??= (async () => {
        pool.cancelPending();
        await runner.dispose();
        await pool.close();
      })();
      return disposed;
    },
  };
}
