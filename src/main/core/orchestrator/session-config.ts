import { z } from 'zod';
import { DEFAULT_CONTEXT_BUDGET_TOKENS, type WaveConfig } from '../config';
import { DEFAULT_PIPELINE } from '../checkpointer';

export const AGENT_PRESETS = ['command', 'claude-code', 'scripted'] as const;
export type AgentPresetName = (typeof AGENT_PRESETS)[number];

/**
 * What a session runs with, frozen in `sessions.config` when it starts so a resume in
 * another process runs the same waves against the same repository. The project's
 * wave.config.json is re-read on resume for what a lead may legitimately fix in between
 * (QA commands, domains, the agent command); the waves and the target never change.
 * QA commands are a list, not an object: jsonb does not keep key order.
 */
export const SessionConfig = z.object({
  v: z.literal(1),
  repoPath: z.string().min(1),
  projectName: z.string(),
  prdId: z.string().min(1),
  prdHash: z.string(),
  targetBranch: z.string().min(1),
  /** wave.config.json project.remote: what fleet workers clone and push to (absent in configs stored before it existed: none). */
  remote: z.string().min(1).nullable().default(null),
  /** The session runs on the fleet: workers take its story runs (absent in configs stored before it existed: local). */
  fleet: z.boolean().default(false),
  concurrency: z.number().int().min(1).max(64),
  agent: z.object({ preset: z.enum(AGENT_PRESETS), command: z.array(z.string()).nullable() }),
  qa: z.array(z.object({ name: z.string(), argv: z.array(z.string()).min(1) })),
  domains: z.record(z.string(), z.array(z.string())),
  maxRetries: z.number().int().min(0),
  timeoutMinutes: z.number().positive(),
  mergeStrategy: z.enum(['fast-forward', 'merge-commit']),
  /** merge.requireApproval: gate-7 waits for a person (absent in configs stored before it existed). */
  requireMergeApproval: z.boolean().default(false),
  copyFiles: z.array(z.string()),
  /** wave.config.json agent.env: what agents and commands may see of the app's environment (absent in configs stored before it existed: nothing). */
  agentEnv: z
    .object({ pass: z.array(z.string()), set: z.record(z.string(), z.string()) })
    .default({ pass: [], set: {} }),
  setup: z.array(z.string()).nullable(),
  /** wave.config.json context.budgetTokens (absent in configs stored before it existed: the default). */
  contextBudgetTokens: z.number().int().positive().default(DEFAULT_CONTEXT_BUDGET_TOKENS),
  /** wave.config.json agent.subagents.maxPerStory (absent in configs stored before it existed: the default). */
  subagentsMaxPerStory: z.number().int().min(0).max(20).default(2),
  waves: z.array(z.object({ number: z.number().int(), storyIds: z.array(z.string()) })),
  /** Read by the checkpointer's pipelineFromConfig. */
  gates: z.array(z.string()),
});
export type SessionConfig = z.infer<typeof SessionConfig>;

/** The parts of a session config that come from wave.config.json (re-read on resume). */
export function configFromWaveConfig(
  c: WaveConfig,
): Pick<
  SessionConfig,
  | 'qa'
  | 'remote'
  | 'domains'
  | 'maxRetries'
  | 'timeoutMinutes'
  | 'mergeStrategy'
  | 'requireMergeApproval'
  | 'copyFiles'
  | 'setup'
  | 'agentEnv'
  | 'contextBudgetTokens'
  | 'subagentsMaxPerStory'
> {
  return {
    qa: Object.entries(c.qa).map(([name, argv]) => ({ name, argv })),
    remote: c.project.remote,
    domains: c.domains,
    maxRetries: c.execution.max_retries,
    timeoutMinutes: c.execution.timeout_minutes,
    mergeStrategy: c.merge.strategy === 'ff' ? 'fast-forward' : 'merge-commit',
    requireMergeApproval: c.merge.requireApproval,
    copyFiles: c.worktree.copy,
    setup: c.worktree.setup,
    agentEnv: c.agent.env,
    contextBudgetTokens: c.context.budgetTokens,
    subagentsMaxPerStory: c.agent.subagents.maxPerStory,
  };
}

export function defaultGates(): string[] {
  return [...DEFAULT_PIPELINE];
}

/** Parses a stored session config; the message names the session and what to do. */
export function parseSessionConfig(sessionId: string, raw: unknown): SessionConfig {
  const parsed = SessionConfig.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(
      `Session ${sessionId} has no usable run configuration (${issue ? `${issue.path.join('.') || 'config'}: ${issue.message}` : 'invalid'}); ` +
        'it was not created by this version of WAVE. Start a new session for its PRD instead.',
    );
  }
  return parsed.data;
}
