import type { PriceTable } from '../pricing';
import type { AgentLineEvent as AgentEvent } from '../../../shared/events';
import type { UsageSummary } from './usage';

export type AgentPhase = 'plan' | 'develop' | 'fix';

/** What a preset needs to build one agent invocation. */
export interface AgentInvocationContext {
  sessionId: string;
  storyId: string;
  /** The gate this phase runs for, e.g. `gate-2`. */
  gate: string;
  phase: AgentPhase;
  agentId: string;
  worktreePath: string;
  storyFile: string;
  promptFile: string;
  /** QA output for a fix phase (WAVE_FEEDBACK_FILE). */
  feedbackFile?: string;
  /** The story's context pack as JSON (WAVE_CONTEXT_FILE), when one was built. */
  contextFile?: string;
  /** 1 for a subagent (WAVE_SUBAGENT_DEPTH); absent for a story's own agent. */
  subagentDepth?: number;
}

export interface AgentInvocation {
  /** Program and arguments, passed to the OS as they are (never through a shell). */
  argv: string[];
  /** A file fed to the agent's stdin (e.g. the prompt for `claude -p`). */
  stdinFile?: string;
  env?: Record<string, string>;
}

/** Outcome of a line: zero or more events (none: a log line), or an invalid event. */
export interface ParsedLine {
  events: AgentEvent[];
  invalid?: string;
}

export interface ParserOutcome {
  /** A failure the output revealed even if the exit code was 0 (e.g. `is_error: true`). */
  failure?: { kind: string; message: string };
  /** How the agent's run ended in its own words (e.g. `success`, `error_max_turns`). */
  ending?: string;
  /** Authoritative totals when the agent reports them (replaces the sum of usage events). */
  usage?: UsageSummary;
}

/** Reads one agent run's stdout. A new parser is made per run. */
export interface OutputParser {
  line(line: string): ParsedLine;
  finish(exit: { exitCode: number | null; signal: string | null }): ParserOutcome;
}

/** Edit permissions for a story's agent: rules in Claude Code's syntax (`Edit(/src/auth/**)`). */
export interface EditRules {
  allow: string[];
  deny: string[];
  /** True when deny rules were left out beyond the cap (gate-3 still checks those paths). */
  truncated: boolean;
}

/** What a preset may set up in the worktree before its agent starts. */
export interface AgentPrepareContext {
  worktreePath: string;
  /** The story's domain as edit rules; null when the project configures no domains. */
  editRules: EditRules | null;
}

/** How to run one kind of agent and read what it prints. */
export interface AgentPreset {
  readonly name: string;
  invocation(context: AgentInvocationContext): AgentInvocation;
  createParser(prices: PriceTable): OutputParser;
  /** Sets up the worktree for the agent (claude-code: its permission settings); returns lines for the gate log. */
  prepare?(context: AgentPrepareContext): Promise<string[]>;
}
