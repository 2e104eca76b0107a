import { z } from 'zod';
import { GATE_ATTEMPT_STATUSES, GATE_IDS, GATE_NAMES, SESSION_STATUSES, STORY_RUN_STATUSES } from '../status';
import { AuthorisedRuns, GrantedEnvNames } from '../stories/authorised-runs';
import { MAX_OVERRIDE_PATHS } from './decision-rules';

// View models the renderer shows. The core builds them from the store and keeps them
// current with pushed events; the renderer never derives state the core did not send.

export { GATE_IDS, GATE_NAMES };
export const GateId = z.enum(GATE_IDS);
export type GateId = z.infer<typeof GateId>;

/** `stopped`: the attempt was cut short by an emergency stop, not failed by its own result. */
export const GateAttemptStatus = z.enum(GATE_ATTEMPT_STATUSES);
export const GateAttemptView = z.object({
  gateRunId: z.number().int(),
  gate: GateId,
  attempt: z.number().int().min(1),
  status: GateAttemptStatus,
  startedAt: z.string(),
  endedAt: z.string().nullable(),
  durationMs: z.number().nonnegative().nullable(),
  inputTokens: z.number().int().nonnegative(),
  outputTokens: z.number().int().nonnegative(),
  costUsd: z.number().nonnegative(),
  /** One line: why it failed (or what was skipped). */
  reason: z.string().nullable(),
  /** Paths a failed domain check found outside the story's domain (what a lead may override). */
  outside: z.array(z.string()).max(MAX_OVERRIDE_PATHS).optional(),
  /** Environment names (never values) the attempt's agent and commands got besides WAVE's own WAVE_* values; gates that start processes only. */
  env: z.object({ agent: z.array(z.string()), commands: z.array(z.string()) }).optional(),
  /** Subagents the attempt's agent started (spawn lines), each with how it ended and what it cost. */
  subagents: z
    .array(
      z.object({
        agent: z.string(),
        task: z.string(),
        status: z.string(),
        /** When it started (absent for runs recorded before subagents were drawn on the timeline). */
        startedAt: z.string().optional(),
        durationMs: z.number().nonnegative(),
        costUsd: z.number().nonnegative(),
      }),
    )
    .max(20)
    .optional(),
  /** The lead's override this attempt passed its domain check with. */
  override: z
    .object({ by: z.string(), reason: z.string(), paths: z.array(z.string()).max(MAX_OVERRIDE_PATHS) })
    .optional(),
});
export type GateAttemptView = z.infer<typeof GateAttemptView>;

export const StoryRunStatus = z.enum(STORY_RUN_STATUSES);
export type StoryRunStatus = z.infer<typeof StoryRunStatus>;

export const StoryRunView = z.object({
  id: z.string(),
  sessionId: z.string(),
  storyId: z.string(),
  title: z.string(),
  waveNumber: z.number().int(),
  domain: z.string(),
  agent: z.string(),
  status: StoryRunStatus,
  currentGate: GateId.nullable(),
  /** The most attempts any gate in `gates` took (2 = one retry, e.g. a QA fix): what the CLI and every view show. */
  attempts: z.number().int().nonnegative(),
  costUsd: z.number().nonnegative(),
  startedAt: z.string().nullable(),
  endedAt: z.string().nullable(),
  reason: z.string().nullable(),
  mergeSha: z.string().nullable(),
  progress: z.object({ message: z.string(), pct: z.number().min(0).max(100).nullable() }).nullable(),
  gates: z.array(GateAttemptView),
  /** Parked before gate-7 until a person approves its merge (merge.requireApproval); `reason` says which commit. */
  awaitingMergeApproval: z.boolean().optional(),
  /** The commit an approval would let gate-7 merge (what the lead reviews and approves). */
  mergeApprovalSha: z.string().optional(),
  /** The story branch (wave/<agent>/<story-id>) once it has one. */
  branch: z.string().nullable().optional(),
});
export type StoryRunView = z.infer<typeof StoryRunView>;

export const SessionStatus = z.enum(SESSION_STATUSES);
export type SessionStatus = z.infer<typeof SessionStatus>;

export const SessionSummary = z.object({
  id: z.string(),
  projectId: z.string(),
  projectName: z.string(),
  prdId: z.string().nullable(),
  status: SessionStatus,
  budgetUsd: z.number().nonnegative().nullable(),
  costUsd: z.number().nonnegative(),
  /** Projected total cost at completion; null until there is enough to project from. */
  forecastUsd: z.number().nonnegative().nullable(),
  concurrency: z.number().int().positive(),
  currentWave: z.number().int().nullable(),
  waveCount: z.number().int().nonnegative(),
  createdAt: z.string(),
  startedAt: z.string().nullable(),
  endedAt: z.string().nullable(),
  /** Why it paused, stopped or failed, in a sentence. */
  statusReason: z.string().nullable(),
});
export type SessionSummary = z.infer<typeof SessionSummary>;

export const SessionView = SessionSummary.extend({ stories: z.array(StoryRunView) });
export type SessionView = z.infer<typeof SessionView>;

export const StopProgress = z.object({
  sessionId: z.string(),
  phase: z.enum(['stopping', 'stopped', 'failed']),
  total: z.number().int().nonnegative(),
  stopped: z.number().int().nonnegative(),
  alive: z.number().int().nonnegative(),
  message: z.string(),
});
export type StopProgress = z.infer<typeof StopProgress>;

export const Notice = z.object({
  kind: z.enum(['escalation', 'budget_warning', 'budget_exceeded', 'stopped', 'completed', 'failed', 'error']),
  title: z.string(),
  body: z.string(),
  sessionId: z.string().nullable(),
  at: z.string(),
});
export type Notice = z.infer<typeof Notice>;

export const RecoveryStrategy = z.enum(['resume_from_last', 'resume_from_gate', 'restart', 'skip']);
export type RecoveryStrategy = z.infer<typeof RecoveryStrategy>;

export const InterruptedSession = z.object({
  session: z.string(),
  project: z.string(),
  status: SessionStatus,
  lastCheckpointAt: z.string().nullable(),
  why: z.string(),
  stories: z.array(z.object({ id: z.string(), gate: GateId.nullable(), status: z.string() })),
});
export type InterruptedSession = z.infer<typeof InterruptedSession>;

export const DeadLetterView = z.object({
  id: z.string(),
  sessionId: z.string().nullable(),
  eventId: z.string().nullable(),
  type: z.string().nullable(),
  reason: z.string(),
  deliveries: z.number().int().nonnegative(),
  at: z.string(),
});
export type DeadLetterView = z.infer<typeof DeadLetterView>;

export const LatencyPoint = z.object({
  at: z.string(),
  p50Ms: z.number().nonnegative(),
  p95Ms: z.number().nonnegative(),
  p99Ms: z.number().nonnegative(),
  count: z.number().int().nonnegative(),
});
export const MetricsView = z.object({
  latency: z.array(LatencyPoint),
  /** events handled per second, per second of the window */
  eventRate: z.array(z.object({ at: z.string(), perSecond: z.number().nonnegative() })),
  cumulativeCost: z.array(z.object({ at: z.string(), usd: z.number().nonnegative() })),
  costBy: z.object({
    story: z.array(z.object({ key: z.string(), usd: z.number().nonnegative() })),
    agent: z.array(z.object({ key: z.string(), usd: z.number().nonnegative() })),
    model: z.array(z.object({ key: z.string(), usd: z.number().nonnegative() })),
  }),
  tokens: z.array(
    z.object({
      key: z.string(),
      input: z.number().int().nonnegative(),
      output: z.number().int().nonnegative(),
      cacheRead: z.number().int().nonnegative(),
      cacheWrite: z.number().int().nonnegative(),
    }),
  ),
  gateDurations: z.array(z.object({ gate: GateId, durationsMs: z.array(z.number().nonnegative()) })),
  /** Tokens of the context pack each agent phase got (the latest per story and gate), with the repository's total. */
  contextTokens: z.array(
    z.object({
      storyId: z.string(),
      gate: GateId,
      tokens: z.number().int().nonnegative(),
      repoTokens: z.number().int().nonnegative(),
    }),
  ),
});
export type MetricsView = z.infer<typeof MetricsView>;

/** One file of a context pack: where, its tokens (o200k_base) and why it is in the pack. */
export const ContextPackFileView = z.object({
  path: z.string(),
  tokens: z.number().int().nonnegative(),
  reason: z.string(),
});
/** The context pack an agent phase of a story was given (WAVE_CONTEXT_FILE). */
export const ContextPackView = z.object({
  gateRunId: z.number().int().nonnegative(),
  gate: GateId,
  attempt: z.number().int().positive(),
  at: z.string(),
  /** The git tree it was built from. */
  tree: z.string(),
  files: z.array(ContextPackFileView),
  totalTokens: z.number().int().nonnegative(),
  budgetTokens: z.number().int().nonnegative(),
  /** Tokens of every text file of the tree: the share of the repository is totalTokens / repoTokens. */
  repoTokens: z.number().int().nonnegative(),
  /** Ranked files that did not fit the budget. */
  leftOut: z.number().int().nonnegative(),
});
export type ContextPackView = z.infer<typeof ContextPackView>;

/** The PRD review's forecast: each story's pack built now against the project's current tree. */
export const ContextForecastView = z.object({
  prdId: z.string(),
  /** The branch or commit the packs were built from. */
  rev: z.string(),
  tree: z.string(),
  budgetTokens: z.number().int().nonnegative(),
  repoTokens: z.number().int().nonnegative(),
  stories: z.array(
    z.object({
      storyId: z.string(),
      domain: z.string(),
      files: z.number().int().nonnegative(),
      totalTokens: z.number().int().nonnegative(),
      leftOut: z.number().int().nonnegative(),
      /** The highest-ranked files, for a glance. */
      top: z.array(ContextPackFileView),
    }),
  ),
});
export type ContextForecastView = z.infer<typeof ContextForecastView>;

export const FileProblem = z.object({
  pointer: z.string(),
  line: z.number().int().nullable(),
  column: z.number().int().nullable(),
  message: z.string(),
  suggestion: z.string().nullable(),
});
export const ImportFileResult = z.object({
  file: z.string(),
  kind: z.enum(['story', 'prd', 'unknown']),
  outcome: z.enum(['imported', 'updated', 'unchanged', 'invalid']),
  version: z.string().nullable(),
  storyId: z.string().nullable(),
  errors: z.array(FileProblem),
  warnings: z.array(FileProblem),
  /** e.g. "approval of PRD-1 is void: story MATH-4 changed" */
  notes: z.array(z.string()),
  migratable: z.boolean(),
});
export type ImportFileResult = z.infer<typeof ImportFileResult>;

export const PrdStatus = z.enum(['draft', 'approved', 'rejected', 'void']);
export const PrdSummary = z.object({
  id: z.string(),
  title: z.string(),
  status: PrdStatus,
  contentHash: z.string(),
  storyCount: z.number().int().nonnegative(),
  updatedAt: z.string(),
});
export const PrdDetail = PrdSummary.extend({
  content: z.string(),
  voidReason: z.string().nullable(),
  decision: z
    // `by`: the user the app runs as (the audit log's actor); `name`: the name typed with the decision, when different.
    .object({
      decision: z.enum(['approved', 'rejected']),
      by: z.string(),
      name: z.string().nullable().optional(),
      comment: z.string().nullable(),
      at: z.string(),
      contentHash: z.string(),
    })
    .nullable(),
  /** Every command approving this PRD authorises, and the environment names the agent gets (never values). */
  runs: AuthorisedRuns,
  /** Hash of `runs` as shown: prd.approve sends it back, and is refused when the commands changed since. */
  runsHash: z.string(),
  /** Set when the PRD is marked approved but the approval no longer holds (e.g. a QA command changed in wave.config.json): what changed and what to do. */
  approvalProblem: z.string().nullable().optional(),
  waves: z.array(
    z.object({
      wave: z.number().int(),
      stories: z.array(
        z.object({ storyId: z.string(), title: z.string(), domain: z.string(), dependencies: z.array(z.string()) }),
      ),
    }),
  ),
  warnings: z.array(z.string()),
  forecast: z.object({
    costUsd: z.number().nonnegative().nullable(),
    minutes: z.number().nonnegative().nullable(),
    basis: z.string(),
  }),
});
export type PrdSummary = z.infer<typeof PrdSummary>;
export type PrdDetail = z.infer<typeof PrdDetail>;

export const ProjectSettings = z.object({
  projectPath: z.string().nullable(),
  projectName: z.string().nullable(),
  targetBranch: z.string().nullable(),
  concurrency: z.number().int().min(1).max(64),
  budgetUsd: z.number().nonnegative().nullable(),
  /** The preset chosen in Settings; null: the one wave.config.json names (configAgentPreset). */
  agentPreset: z.enum(['command', 'claude-code', 'scripted']).nullable(),
  /** The preset the project's wave.config.json names (null: no project, or its config cannot be read). */
  configAgentPreset: z.enum(['command', 'claude-code']).nullable().optional(),
  /** Problems with the project's wave.config.json, if any, each saying what to fix. */
  configProblems: z.array(z.string()),
  /** The environment names agents and commands of this project get (wave.config.json agent.env and the preset's defaults); never values. */
  agentEnv: GrantedEnvNames.nullable().optional(),
});
export type ProjectSettings = z.infer<typeof ProjectSettings>;
