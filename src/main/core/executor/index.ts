/*
 * Parallel executor: a git worktree per story, agent processes that really stop,
 * domain boundaries and safe merges (docs/architecture.md#the-gates, #agent-stdout-protocol).
 */
export { createExecutor } from './create-executor';
export type { Executor, ExecutorConfig } from './create-executor';

export { WorktreeManager, listGitWorktrees, safeRefName } from './worktree-manager';
export type {
  WorktreeManagerOptions,
  StoryWorktree,
  WorktreeOwner,
  CreateWorktreeRequest,
  CreatedWorktree,
  WorktreeStatus,
  ReconcileOptions,
  ReconcileReport,
  DiskUsage,
  DestroyReason,
  RemoveOptions,
  RemoveResult,
} from './worktree-manager';

export { Backups, BACKUP_REF_PREFIX, DEFAULT_BACKUP_RETENTION } from './backups';
export { openProjectBackups } from './project-backups';
export type { ProjectBackups } from './project-backups';
export type {
  Snapshot,
  SnapshotRequest,
  BackupOperation,
  BackupRetention,
  PruneResult,
  BackupDiskUsage,
} from './backups';

export { RepoLock } from './repo-lock';

export { AgentRunner } from './agent-runner';
export type {
  AgentRunRequest,
  AgentRunResult,
  AgentRunStatus,
  AgentRun,
  AgentOutputLine,
  AgentRunnerOptions,
} from './agent-runner';

export { ProcessGroups } from './process-groups';
export type { ProcessGroupRecord, StopReport, ProcessGroupsOptions } from './process-groups';

export { runCommand } from './run-command';
export { describeGrant } from './agent-env';
export type { BuiltEnv, ChildEnvPolicy, EnvGrant } from './agent-env';
export type { RunCommandOptions, RunCommandResult } from './run-command';

export { commandPreset, waveProtocolParser, COMMAND_PLACEHOLDERS } from './command-preset';
export { claudeCodePreset, ClaudeStreamParser } from './claude-code-preset';
export type { ClaudeCodePresetOptions } from './claude-code-preset';
export type {
  AgentPreset,
  AgentPhase,
  AgentInvocation,
  AgentInvocationContext,
  OutputParser,
  ParsedLine,
  ParserOutcome,
} from './agent-preset';

// The agent stdout protocol is defined once, in src/shared/events/agent-line.ts.
export type { AgentLineEvent as AgentEvent } from '../../../shared/events';

export { UsageAccumulator, EMPTY_USAGE, combineUsage } from './usage';
export type { UsageSummary, ModelUsageTotals } from './usage';

export { DomainBoundaries, SHARED_DOMAIN, domainMatcher, parseNameStatus, escapesWorktree } from './domain-boundaries';
export type {
  AuditSink,
  AuditEntry,
  BackupAudit,
  BoundaryCheckRequest,
  BoundaryCheckResult,
  BoundaryOverride,
  ChangedPath,
} from './domain-boundaries';

export { StoryMerger } from './story-merger';
export type { MergeStrategy, MergeResult, PrepareMergeResult, StoryMergerOptions } from './story-merger';

export { ExecutorPool } from './executor-pool';
export type { PoolTaskContext } from './executor-pool';

export { ExecutorError } from './errors';
export type { ExecutorErrorCode } from './errors';

export { assertStoryId, assertAgentName, storyBranchName } from './names';
export { assertSafeSessionId } from './session-id';
export { scanGroups, readProcStat, parseProcStat } from './proc';
