import { sql } from 'drizzle-orm';
import {
  bigint,
  bigserial,
  boolean,
  doublePrecision,
  index,
  integer,
  jsonb,
  numeric,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
} from 'drizzle-orm/pg-core';
import { GATE_IDS, GATE_RUN_STATUSES, PRD_STATUSES, SESSION_STATUSES, STORY_RUN_STATUSES } from '../../shared/status';

/*
 * The shared database schema. Table and column names are a contract other modules code
 * against: add columns freely, never rename. Every timestamp is `timestamptz`; money is
 * numeric(12,6) read as a JS number; JSON is jsonb.
 */

// Status values and gate ids are defined once, in src/shared/status.ts.
export { GATE_IDS, GATE_RUN_STATUSES, PRD_STATUSES, SESSION_STATUSES, STORY_RUN_STATUSES };
export type PrdStatus = (typeof PRD_STATUSES)[number];

export const PRD_DECISIONS = ['approved', 'rejected'] as const;
export type PrdDecisionKind = (typeof PRD_DECISIONS)[number];

export type SessionStatus = (typeof SESSION_STATUSES)[number];

export type StoryRunStatus = (typeof STORY_RUN_STATUSES)[number];

export type GateRunStatus = (typeof GATE_RUN_STATUSES)[number];

/** A gate id: the default pipeline's are GATE_IDS; a project may configure fewer, always named `gate-N`. */
export type GateId = `gate-${number}`;

const createdAt = () => timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow();
const updatedAt = () => timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow();
const money = (name: string) => numeric(name, { precision: 12, scale: 6, mode: 'number' });

export const projects = pgTable('projects', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  repoPath: text('repo_path').notNull().unique(),
  targetBranch: text('target_branch').notNull().default('main'),
  config: jsonb('config').$type<Record<string, unknown>>().notNull().default({}),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
});

export const prds = pgTable(
  'prds',
  {
    id: text('id').primaryKey(),
    projectId: text('project_id').references(() => projects.id, { onDelete: 'set null' }),
    title: text('title').notNull(),
    sourcePath: text('source_path'),
    content: text('content').notNull(),
    /** sha256 hex of `content`; an approval is bound to it. */
    contentHash: text('content_hash').notNull(),
    status: text('status').$type<PrdStatus>().notNull().default('draft'),
    storyIds: jsonb('story_ids').$type<string[]>().notNull().default([]),
    voidReason: text('void_reason'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index('prds_project_idx').on(t.projectId)],
);

export const prdDecisions = pgTable(
  'prd_decisions',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    prdId: text('prd_id')
      .notNull()
      .references(() => prds.id, { onDelete: 'cascade' }),
    decision: text('decision').$type<PrdDecisionKind>().notNull(),
    by: text('by').notNull(),
    comment: text('comment'),
    contentHash: text('content_hash').notNull(),
    createdAt: createdAt(),
    voidedAt: timestamp('voided_at', { withTimezone: true, mode: 'date' }),
    voidReason: text('void_reason'),
  },
  (t) => [index('prd_decisions_prd_idx').on(t.prdId)],
);

export const stories = pgTable(
  'stories',
  {
    projectId: text('project_id').notNull(),
    storyId: text('story_id').notNull(),
    prdId: text('prd_id'),
    title: text('title').notNull(),
    domain: text('domain').notNull(),
    waveNumber: integer('wave_number').notNull(),
    schemaVersion: text('schema_version').notNull(),
    /** The whole story document as imported (after migration to the current schema). */
    content: jsonb('content').$type<Record<string, unknown>>().notNull(),
    contentHash: text('content_hash').notNull(),
    sourcePath: text('source_path'),
    dependencies: jsonb('dependencies').$type<string[]>().notNull().default([]),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [primaryKey({ columns: [t.projectId, t.storyId] }), index('stories_prd_idx').on(t.prdId)],
);

export const sessions = pgTable(
  'sessions',
  {
    id: text('id').primaryKey(),
    projectId: text('project_id').notNull(),
    prdId: text('prd_id'),
    status: text('status').$type<SessionStatus>().notNull().default('created'),
    budgetUsd: money('budget_usd'),
    config: jsonb('config').$type<Record<string, unknown>>().notNull().default({}),
    /** The process that drives the session; with heartbeatAt, how interrupted sessions are found. */
    ownerPid: integer('owner_pid'),
    ownerHost: text('owner_host'),
    heartbeatAt: timestamp('heartbeat_at', { withTimezone: true, mode: 'date' }),
    stopReason: text('stop_reason'),
    createdAt: createdAt(),
    startedAt: timestamp('started_at', { withTimezone: true, mode: 'date' }),
    endedAt: timestamp('ended_at', { withTimezone: true, mode: 'date' }),
  },
  (t) => [index('sessions_status_idx').on(t.status), index('sessions_project_idx').on(t.projectId)],
);

export const storyRuns = pgTable(
  'story_runs',
  {
    id: text('id').primaryKey(),
    sessionId: text('session_id')
      .notNull()
      .references(() => sessions.id, { onDelete: 'cascade' }),
    storyId: text('story_id').notNull(),
    waveNumber: integer('wave_number').notNull(),
    agent: text('agent').notNull(),
    status: text('status').$type<StoryRunStatus>().notNull().default('queued'),
    /** The gate being run, or the gate to run next when queued. */
    currentGate: text('current_gate').$type<GateId>(),
    lastPassedGate: text('last_passed_gate').$type<GateId>(),
    attempts: integer('attempts').notNull().default(0),
    branch: text('branch'),
    worktreePath: text('worktree_path'),
    baseSha: text('base_sha'),
    mergeSha: text('merge_sha'),
    costUsd: money('cost_usd').notNull().default(0),
    /** Why the run failed, blocked, escalated or was cancelled. */
    reason: text('reason'),
    /**
     * Bumped by a `restart` recovery: gate runs and checkpoints of earlier epochs stay for
     * the audit trail but are never resumed from.
     */
    epoch: integer('epoch').notNull().default(0),
    startedAt: timestamp('started_at', { withTimezone: true, mode: 'date' }),
    endedAt: timestamp('ended_at', { withTimezone: true, mode: 'date' }),
    updatedAt: updatedAt(),
  },
  (t) => [
    index('story_runs_session_idx').on(t.sessionId),
    uniqueIndex('story_runs_session_story_uq').on(t.sessionId, t.storyId),
  ],
);

export const gateRuns = pgTable(
  'gate_runs',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    storyRunId: text('story_run_id')
      .notNull()
      .references(() => storyRuns.id, { onDelete: 'cascade' }),
    sessionId: text('session_id').notNull(),
    gate: text('gate').$type<GateId>().notNull(),
    attempt: integer('attempt').notNull().default(1),
    status: text('status').$type<GateRunStatus>().notNull().default('running'),
    epoch: integer('epoch').notNull().default(0),
    startedAt: timestamp('started_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    endedAt: timestamp('ended_at', { withTimezone: true, mode: 'date' }),
    durationMs: integer('duration_ms'),
    inputTokens: integer('input_tokens').notNull().default(0),
    outputTokens: integer('output_tokens').notNull().default(0),
    costUsd: money('cost_usd').notNull().default(0),
    logPath: text('log_path'),
    detail: jsonb('detail').$type<Record<string, unknown>>(),
  },
  (t) => [index('gate_runs_story_run_idx').on(t.storyRunId, t.gate), index('gate_runs_session_idx').on(t.sessionId)],
);

/** One file of a context pack: where, its tokens and why it is in the pack. */
export interface ContextPackFileRow {
  path: string;
  tokens: number;
  reason: string;
}

/**
 * The context pack an agent phase was given (src/main/core/context): the ranked files cut to
 * the budget, with the gate run it belongs to. A gate run may hold more than one (a fix phase).
 */
export const contextPacks = pgTable(
  'context_packs',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    gateRunId: bigint('gate_run_id', { mode: 'number' })
      .notNull()
      .references(() => gateRuns.id, { onDelete: 'cascade' }),
    sessionId: text('session_id').notNull(),
    storyRunId: text('story_run_id').notNull(),
    storyId: text('story_id').notNull(),
    gate: text('gate').$type<GateId>().notNull(),
    /** The git tree the pack was built from (the worktree's HEAD). */
    tree: text('tree').notNull(),
    fileCount: integer('file_count').notNull(),
    totalTokens: integer('total_tokens').notNull(),
    budgetTokens: integer('budget_tokens').notNull(),
    /** Tokens of every text file of the tree: what reading the whole repository costs. */
    repoTokens: integer('repo_tokens').notNull(),
    /** Ranked files that did not fit the budget. */
    leftOut: integer('left_out').notNull().default(0),
    files: jsonb('files').$type<ContextPackFileRow[]>().notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    index('context_packs_gate_run_idx').on(t.gateRunId),
    index('context_packs_session_idx').on(t.sessionId, t.storyId),
  ],
);

export const checkpoints = pgTable(
  'checkpoints',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    sessionId: text('session_id').notNull(),
    storyRunId: text('story_run_id')
      .notNull()
      .references(() => storyRuns.id, { onDelete: 'cascade' }),
    gate: text('gate').$type<GateId>().notNull(),
    gateRunId: bigint('gate_run_id', { mode: 'number' }),
    /** Status of the gate this checkpoint closes; only `passed` ones are recovery points. */
    gateStatus: text('gate_status').$type<GateRunStatus>().notNull().default('passed'),
    epoch: integer('epoch').notNull().default(0),
    state: jsonb('state').$type<Record<string, unknown>>().notNull(),
    /** sha256 hex of the canonical JSON of `state`, checked on load. */
    stateHash: text('state_hash').notNull(),
    createdAt: createdAt(),
    /** Set when a `resume_from_gate` rewound past this checkpoint: kept for a while, never resumed from. */
    supersededAt: timestamp('superseded_at', { withTimezone: true, mode: 'date' }),
  },
  (t) => [
    index('checkpoints_story_run_id_idx').on(t.storyRunId, t.id.desc()),
    index('checkpoints_session_idx').on(t.sessionId),
  ],
);

export const events = pgTable(
  'events',
  {
    id: text('id').primaryKey(),
    sessionId: text('session_id').notNull(),
    storyId: text('story_id'),
    seq: bigint('seq', { mode: 'number' }).notNull(),
    type: text('type').notNull(),
    payload: jsonb('payload').$type<Record<string, unknown>>().notNull(),
    producedAt: timestamp('produced_at', { withTimezone: true, mode: 'date' }).notNull(),
    source: text('source').notNull(),
    /** null = produced while the bus was down or not yet delivered (the outbox). */
    deliveredAt: timestamp('delivered_at', { withTimezone: true, mode: 'date' }),
  },
  (t) => [
    index('events_session_seq_idx').on(t.sessionId, t.seq),
    index('events_undelivered_idx').on(t.producedAt).where(sql`delivered_at is null`),
  ],
);

export const processedEvents = pgTable(
  'processed_events',
  {
    consumer: text('consumer').notNull(),
    eventId: text('event_id').notNull(),
    processedAt: timestamp('processed_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.consumer, t.eventId] })],
);

export const deadLetters = pgTable(
  'dead_letters',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    sessionId: text('session_id'),
    eventId: text('event_id').notNull(),
    stream: text('stream').notNull(),
    reason: text('reason').notNull(),
    deliveries: integer('deliveries').notNull().default(0),
    payload: jsonb('payload').$type<Record<string, unknown>>(),
    createdAt: createdAt(),
  },
  (t) => [index('dead_letters_session_idx').on(t.sessionId)],
);

export const latencyStats = pgTable(
  'latency_stats',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    eventType: text('event_type').notNull(),
    windowStart: timestamp('window_start', { withTimezone: true, mode: 'date' }).notNull(),
    windowMs: integer('window_ms').notNull(),
    count: integer('count').notNull(),
    p50Ms: doublePrecision('p50_ms').notNull(),
    p95Ms: doublePrecision('p95_ms').notNull(),
    p99Ms: doublePrecision('p99_ms').notNull(),
    maxMs: doublePrecision('max_ms').notNull(),
  },
  (t) => [index('latency_stats_type_window_idx').on(t.eventType, t.windowStart)],
);

export const usage = pgTable(
  'usage',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    sessionId: text('session_id').notNull(),
    storyRunId: text('story_run_id'),
    storyId: text('story_id'),
    gate: text('gate').$type<GateId>(),
    agent: text('agent').notNull(),
    model: text('model').notNull(),
    inputTokens: integer('input_tokens').notNull().default(0),
    outputTokens: integer('output_tokens').notNull().default(0),
    cacheReadTokens: integer('cache_read_tokens').notNull().default(0),
    cacheWriteTokens: integer('cache_write_tokens').notNull().default(0),
    costUsd: money('cost_usd').notNull().default(0),
    createdAt: createdAt(),
  },
  (t) => [index('usage_session_idx').on(t.sessionId), index('usage_story_run_idx').on(t.storyRunId)],
);

export const auditLog = pgTable(
  'audit_log',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    at: timestamp('at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    actor: text('actor').notNull(),
    action: text('action').notNull(),
    subjectType: text('subject_type').notNull(),
    subjectId: text('subject_id').notNull(),
    detail: jsonb('detail').$type<Record<string, unknown>>(),
  },
  (t) => [index('audit_log_subject_idx').on(t.subjectType, t.subjectId), index('audit_log_at_idx').on(t.at)],
);

/** What a fleet worker reports with its heartbeat. */
export interface FleetWorkerStats {
  /** CPU load of the machine (1-minute load average per core, 0–1+). */
  cpu: number;
  /** Resident memory of the worker process, in bytes. */
  memoryBytes: number;
  agentsAlive: number;
  /** Story runs the worker is running now. */
  storyRuns: string[];
  /** The worker takes no story runs (it obeys the row's drain flag). Absent in rows of older workers. */
  draining?: boolean;
  /** Its heartbeat interval (silent after three missed ones). Absent in rows of older workers. */
  heartbeatMs?: number;
}

/** A `wave worker` process of the fleet: registered at start, heartbeating while it runs. */
export const fleetWorkers = pgTable(
  'fleet_workers',
  {
    id: text('id').primaryKey(),
    name: text('name').notNull(),
    host: text('host').notNull(),
    pid: integer('pid').notNull(),
    version: text('version').notNull(),
    concurrency: integer('concurrency').notNull(),
    workDir: text('work_dir').notNull(),
    startedAt: timestamp('started_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    heartbeatAt: timestamp('heartbeat_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    /** Finishes its story runs and takes no new ones. */
    draining: boolean('draining').notNull().default(false),
    /** Set when the worker exited cleanly. */
    stoppedAt: timestamp('stopped_at', { withTimezone: true, mode: 'date' }),
    stats: jsonb('stats')
      .$type<FleetWorkerStats>()
      .notNull()
      .default({ cpu: 0, memoryBytes: 0, agentsAlive: 0, storyRuns: [] }),
  },
  (t) => [index('fleet_workers_heartbeat_idx').on(t.heartbeatAt)],
);

/**
 * Who may write a story run's effects now: one row per story run a worker claimed. `token`
 * only grows (the fencing token); a write checks it with the row locked.
 */
export const storyRunLeases = pgTable('story_run_leases', {
  storyRunId: text('story_run_id')
    .primaryKey()
    .references(() => storyRuns.id, { onDelete: 'cascade' }),
  workerId: text('worker_id'),
  token: bigint('token', { mode: 'number' }).notNull(),
  expiresAt: timestamp('expires_at', { withTimezone: true, mode: 'date' }).notNull(),
});

export type Project = typeof projects.$inferSelect;
export type NewProject = typeof projects.$inferInsert;
export type Prd = typeof prds.$inferSelect;
export type NewPrd = typeof prds.$inferInsert;
export type PrdDecision = typeof prdDecisions.$inferSelect;
export type NewPrdDecision = typeof prdDecisions.$inferInsert;
export type Story = typeof stories.$inferSelect;
export type NewStory = typeof stories.$inferInsert;
export type Session = typeof sessions.$inferSelect;
export type NewSession = typeof sessions.$inferInsert;
export type StoryRun = typeof storyRuns.$inferSelect;
export type NewStoryRun = typeof storyRuns.$inferInsert;
export type GateRun = typeof gateRuns.$inferSelect;
export type NewGateRun = typeof gateRuns.$inferInsert;
export type ContextPackRow = typeof contextPacks.$inferSelect;
export type NewContextPackRow = typeof contextPacks.$inferInsert;
export type Checkpoint = typeof checkpoints.$inferSelect;
export type NewCheckpoint = typeof checkpoints.$inferInsert;
export type EventRow = typeof events.$inferSelect;
export type NewEventRow = typeof events.$inferInsert;
export type ProcessedEvent = typeof processedEvents.$inferSelect;
export type DeadLetter = typeof deadLetters.$inferSelect;
export type NewDeadLetter = typeof deadLetters.$inferInsert;
export type LatencyStat = typeof latencyStats.$inferSelect;
export type NewLatencyStat = typeof latencyStats.$inferInsert;
export type UsageRow = typeof usage.$inferSelect;
export type NewUsageRow = typeof usage.$inferInsert;
export type FleetWorker = typeof fleetWorkers.$inferSelect;
export type StoryRunLease = typeof storyRunLeases.$inferSelect;
export type AuditEntry = typeof auditLog.$inferSelect;
export type NewAuditEntry = typeof auditLog.$inferInsert;
