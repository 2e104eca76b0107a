import type { BackupOperation } from '../../executor';
import type { StoryDocument } from '../../../../shared/stories';
import type { GateId, StoryRun } from '../../../store';
import type { AgentPhase, AgentRunResult, MergeResult, PrepareMergeResult, UsageSummary } from '../../executor';
import type { SessionConfig } from '../session-config';
import type { SessionFiles } from '../session-files';
import type { GateReport, WorkflowData } from '../workflow/story-workflow';

/*
 * A gate is an activity: it does its work through the narrow ports below and reports a
 * GateResult. What happens next (the next gate, a retry, escalation) is the workflow's
 * decision (workflow/story-workflow.ts), not the gate's.
 */

/** Runs one agent phase of the story (prompt, process, usage); see ports/agent-phase.ts. */
export interface AgentPort {
  run(
    gate: GateId,
    phase: AgentPhase,
    logPath: string,
    feedbackFile: string | null,
    plan: string | null,
    /** The gate run the phase belongs to (its context pack is recorded with it). */
    gateRunId: number,
  ): Promise<AgentPhaseResult>;
}

/** What a subagent of an agent phase came to (for the gate run's record and the timeline). */
export interface SubagentOutcome {
  agent: string;
  task: string;
  status: string;
  /** When it started (ISO): the timeline draws it as its own bar under its gate. */
  startedAt: string;
  durationMs: number;
  costUsd: number;
}

/** An agent phase's run, its subagents' usage included in `usage`. */
export type AgentPhaseResult = AgentRunResult & { subagents?: SubagentOutcome[] };

export interface NamedCommand {
  name: string;
  argv: string[];
}

export type CommandsResult = { ok: true } | { ok: false; name: string; argv: string[]; output: string; why: string };

/** Runs commands in the story's worktree, in order, stopping at the first failure; see ports/commands.ts. */
export interface CommandPort {
  run(gate: GateId, commands: NamedCommand[], logPath: string): Promise<CommandsResult>;
  /** The timeout each command gets, for messages. */
  readonly timeoutMs: number;
}

export interface DomainCheck {
  /** Null when every changed path is inside the story's domain (or no domains are configured). */
  violation: { reason: string; detail: Record<string, unknown> } | null;
  /** Changed paths, null when no domains are configured. */
  changed: number | null;
  override?: { by: string; reason: string; paths: string[] };
}

/** The story's domain check, with a lead's override applied; see ports/domain-check.ts. */
export interface DomainPort {
  check(): Promise<DomainCheck>;
}

/** The story's worktree and branch; see ports/worktree.ts. */
/** Why a story's worktree is reset: kept with the snapshot taken before it. */
export interface RestoreWhy {
  reason: string;
  gate: string;
  operation?: BackupOperation;
}

export interface WorktreePort {
  create(): Promise<{ path: string; branch: string; baseSha: string; reused: boolean }>;
  head(): Promise<string>;
  commitAll(message: string): Promise<string | null>;
  /** The commit the target branch points at. */
  targetTip(): Promise<string | null>;
  /** Brings the worktree back to `sha`, dropping what is not in it (snapshotted first). */
  restore(sha: string, why: RestoreWhy): Promise<void>;
  /** Keeps the worktree's state as it is now (e.g. a failed QA attempt before its fix). */
  snapshot(why: { reason: string; gate: string; operation: BackupOperation }): Promise<void>;
  /** After the merge as `mergedAs`: the worktree and branch have done their job. */
  removeMerged(mergedAs: string): Promise<void>;
}

export interface MergePort {
  /** gate-6: the target merged into the story branch. */
  prepare(): Promise<PrepareMergeResult>;
  /** gate-7: the story onto the target, under the repository lock. */
  merge(expectHead: string | null): Promise<MergeResult>;
}

/** What gate-0 checks outside the repository. */
export interface PreflightPort {
  /** Throws PrdNotApprovedError when the PRD's approval is missing or stale. */
  assertPrdApproved(): Promise<void>;
  storyRuns(): Promise<StoryRun[]>;
}

/** A lead's review of the story's branch that the next develop phase answers. */
export interface ReviewPort {
  pending(): Promise<{ feedbackFile: string; headSha: string | null } | null>;
}

export interface GatePorts {
  agent: AgentPort;
  review: ReviewPort;
  commands: CommandPort;
  domain: DomainPort;
  worktree: WorktreePort;
  merger: MergePort;
  preflight: PreflightPort;
}

export interface GateContext {
  readonly gate: GateId;
  readonly gateRunId: number;
  readonly attempt: number;
  readonly logPath: string;
  readonly story: StoryDocument;
  /** The story run as the last checkpoint left it. */
  readonly run: StoryRun;
  /** The workflow's counters before this gate. */
  readonly data: Readonly<WorkflowData>;
  /** The commit of the last checkpoint. */
  readonly headSha: string | null;
  readonly config: SessionConfig;
  readonly files: SessionFiles;
  readonly maxRetries: number;
  /** The commit a person approved for the merge (merge.requireApproval), once checked. */
  readonly approvedHead: string | null;
  readonly ports: GatePorts;
  /** True once an emergency stop began. */
  stopping(): boolean;
  /** A line in the gate log. */
  note(text: string): void;
  /** A commit the gate made on purpose: a stop now rolls back to it, not to the gate's start. */
  markClean(head: string): void;
}

export interface GateResult extends GateReport {
  /** One line for people: why it failed or what was skipped. */
  reason?: string;
  detail?: Record<string, unknown>;
  /** HEAD to record (the state to resume from); default: HEAD now. */
  headSha?: string | null;
  patch?: { branch?: string; worktreePath?: string; baseSha?: string; mergeSha?: string };
  usage?: UsageSummary[];
  /** Called after the checkpoint is committed. */
  after?: () => Promise<void>;
}

export type GateActivity = (ctx: GateContext) => Promise<GateResult>;

export function oneLine(text: string, max = 300): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

/** The last three non-empty lines of a command's output, as one line. */
export function outputTail(output: string, max = 240): string {
  return oneLine(output.split('\n').filter(Boolean).slice(-3).join(' | '), max);
}
