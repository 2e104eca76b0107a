import { join } from 'node:path';
import { PriceTable } from '../pricing';
import { basePolicy, buildChildEnv, type BuiltEnv, type ChildEnvPolicy } from './agent-env';
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
  /** What agents and commands may see of the app's environment (default: base names only). */
  env?: ChildEnvPolicy;
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
  /** The environment a QA, validation or setup command of this repository runs with; `own` are WAVE's per-run values. */
  commandEnv(own: Record<string, string>): BuiltEnv;
  /** The names (never values) an agent of `preset` and a command get besides WAVE's own WAVE_* values, for gate run records. */
  envNames(preset: string): { agent: string[]; commands: string[] };
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
    env: config.env,
  });
  const runner = new AgentRunner({ groups, prices, graceMs: config.graceMs, env: config.env });
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
    commandEnv: (own) => buildChildEnv(config.env ?? basePolicy(), own),
    envNames: (preset) => ({
      agent: buildChildEnv(config.env ?? basePolicy(), {}, preset).names,
      commands: buildChildEnv(config.env ?? basePolicy(), {}).names,
    }),
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
