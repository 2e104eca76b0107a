import { z } from 'zod';
import { AppHealth, AppInfo, AppSnapshot, Empty } from './schemas';
import { MAX_STORIES_IN_PARALLEL } from '../limits';
import { COMMIT_ID, MAX_DECISION_TEXT_CHARS, MIN_OVERRIDE_REASON_CHARS } from './decision-rules';
import {
  ContextForecastView,
  ContextPackView,
  DeadLetterView,
  GateId,
  ImportFileResult,
  InterruptedSession,
  MetricsView,
  Notice,
  PrdDetail,
  PrdSummary,
  ProjectSettings,
  RecoveryStrategy,
  SessionSummary,
  SessionView,
  StopProgress,
  StoryRunView,
} from './views';
import { FleetStopReport, FleetView } from './fleet';
import { DiffAgainst, MAX_REVIEW_COMMENTS, ReviewComment, ReviewCommentInput, ReviewThread, StoryDiff } from './review';

/** True when `s` holds a control character (C0, DEL, C1): NUL, newline, escape, … */
function hasControlChar(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || (c >= 0x7f && c <= 0x9f)) return true;
  }
  return false;
}
/** An id of a session, story, PRD…: printable text only (a NUL or escape in an id is never legitimate). */
const Id = z
  .string()
  .min(1)
  .max(200)
  .refine((s) => !hasControlChar(s), 'must not contain control characters (NUL, newline, tab, escape…)');
/** A request that names one session or one PRD. */
const SessionRef = z.object({ sessionId: Id }).strict();
const PrdRef = z.object({ prdId: Id }).strict();
const StoriesInParallel = z.number().int().min(1).max(MAX_STORIES_IN_PARALLEL);
/** A file name or path: no NUL (no file system accepts it) and no other control character. */
const PathText = (max: number) =>
  z
    .string()
    .min(1)
    .max(max)
    .refine((s) => !hasControlChar(s), 'must not contain control characters (NUL, newline, tab, escape…)');
/** Largest piece of a file sent in one import.stage request (keeps requests under the 64 KB cap). */
export const IMPORT_CHUNK_CHARS = 32 * 1024;

// ---- backups: snapshots taken before destructive git operations (refs/wave/backup/…) ----
const SnapshotId = z
  .string()
  .max(160)
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}\/[0-9T.Z-]{8,40}$/,
    'a snapshot id such as S-1/20261204T171047.123Z (see Earlier work or wave backups)',
  );
export const BackupSnapshotView = z.object({
  id: z.string(),
  storyId: z.string(),
  at: z.string(),
  reason: z.string(),
  operation: z.string(),
  actor: z.string(),
  gate: z.string().nullable(),
  sessionId: z.string().nullable(),
  branch: z.string().nullable(),
  sha: z.string(),
  filesChanged: z.number().int().nullable(),
});
export type BackupSnapshotView = z.infer<typeof BackupSnapshotView>;
export const BackupsView = z.object({
  repoPath: z.string(),
  snapshots: z.array(BackupSnapshotView),
  /** Snapshots in the repository and the bytes only they hold (null when git cannot say). */
  disk: z.object({ count: z.number().int(), bytes: z.number().nullable() }),
  retention: z.object({ keepDays: z.number().int(), keepPerStory: z.number().int() }),
});
export type BackupsView = z.infer<typeof BackupsView>;
const backupRequests = {
  'backups.list': {
    doc: "Snapshots of a story's earlier work (every story without storyId), newest first, with the disk they hold; the repository is the session's, or the project's.",
    request: z
      .object({
        sessionId: Id.optional(),
        storyId: z
          .string()
          .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/, 'a story id')
          .optional(),
      })
      .strict(),
    response: BackupsView,
  },
  'backups.restore': {
    doc: 'Puts a snapshot on a new branch (never over an existing one); written to the audit log.',
    request: z
      .object({
        sessionId: Id.optional(),
        snapshotId: SnapshotId,
        branch: z
          .string()
          .trim()
          .min(1)
          .max(200)
          .regex(/^[^\s~^:?*[\\]+$/, 'a branch name without spaces or ~ ^ : ? * [ \\')
          .optional(),
      })
      .strict(),
    response: z.object({ snapshotId: z.string(), branch: z.string(), sha: z.string() }),
  },
} as const;

/**
 * The one contract between the renderer and the core. Every request is `domain.verb`
 * with a zod request and response schema; every pushed event has a zod payload.
 * Preload, the WebSocket bridge, main's handlers and the renderer client derive from it.
 */
export const requests = {
  'app.info': {
    doc: 'Version, data dir, active store and event bus with their health.',
    request: Empty,
    response: AppInfo,
  },
  'app.snapshot': {
    doc: 'Everything the renderer shows, with the sequence number it is current to.',
    request: Empty,
    response: AppSnapshot,
  },
  'app.echo': {
    doc: 'Round-trips a short text; used by health probes and transport tests.',
    request: z.object({ text: z.string().max(1000) }).strict(),
    response: z.object({ text: z.string(), receivedAt: z.string() }),
  },

  'settings.get': {
    doc: 'Project path, concurrency, budget, agent preset.',
    request: Empty,
    response: ProjectSettings,
  },
  'settings.update': {
    doc: 'Changes project settings; the project path must be a git repository.',
    request: z
      .object({
        projectPath: PathText(4096).optional(),
        concurrency: StoriesInParallel.optional(),
        budgetUsd: z.number().nonnegative().max(1_000_000).nullable().optional(),
        // null: use the preset wave.config.json names.
        agentPreset: z.enum(['command', 'claude-code', 'scripted']).nullable().optional(),
      })
      .strict(),
    response: ProjectSettings,
  },

  'session.list': { doc: 'All sessions, newest first.', request: Empty, response: z.array(SessionSummary) },
  'session.get': {
    doc: 'One session with every story run and gate attempt.',
    request: SessionRef,
    response: SessionView,
  },
  'session.start': {
    doc: "Starts a session over an approved PRD; refuses when the approval is missing or void. With fleet, its story runs go to wave worker processes (needs DATABASE_URL, REDIS_URL and the project's project.remote).",
    request: z
      .object({
        prdId: Id,
        budgetUsd: z.number().positive().max(1_000_000).optional(),
        concurrency: StoriesInParallel.optional(),
        fleet: z.boolean().optional(),
      })
      .strict(),
    response: SessionSummary,
  },
  'session.stop': {
    doc: 'Emergency stop: stops every agent of the session and verifies none is alive; for a fleet session, per host.',
    request: z.object({ sessionId: Id.optional(), reason: z.string().max(500).optional() }).strict(),
    response: z.object({
      sessionId: z.string(),
      stoppedAgents: z.number().int(),
      aliveAfter: z.number().int(),
      fleet: FleetStopReport.optional(),
    }),
  },
  'session.resume': {
    doc: 'Resumes an interrupted or stopped session with a recovery strategy.',
    request: z.object({ sessionId: Id, strategy: RecoveryStrategy, gate: GateId.optional() }).strict(),
    response: SessionSummary,
  },
  'story.overrideDomain': {
    doc: "Overrides a story's failed domain check (the paths gate-3 listed, with a reason) and resumes the session from that story's gate-3.",
    request: z
      .object({
        sessionId: Id,
        storyId: Id,
        reason: z
          .string()
          .trim()
          .min(
            MIN_OVERRIDE_REASON_CHARS,
            `Say in at least ${MIN_OVERRIDE_REASON_CHARS} characters why the out-of-domain changes are acceptable.`,
          )
          .max(MAX_DECISION_TEXT_CHARS),
      })
      .strict(),
    response: SessionSummary,
  },
  'story.approveMerge': {
    doc: 'Approves merging a story that waits at gate-7 (merge.requireApproval), bound to the commit it waits with, and resumes the session.',
    request: z
      .object({
        sessionId: Id,
        storyId: Id,
        /** The commit the lead reviewed: refused if the story now waits with another. */
        headSha: z.string().regex(COMMIT_ID, 'a commit id: 7 to 64 lowercase hex characters'),
        comment: z.string().trim().max(MAX_DECISION_TEXT_CHARS).optional(),
      })
      .strict(),
    response: SessionSummary,
  },

  'story.diff': {
    doc: "A story's changes: its branch against where it left the target (base) or against the target's tip now, file by file with +/- counts and patches.",
    request: z
      .object({ sessionId: Id, storyId: Id, against: DiffAgainst.optional(), ignoreWhitespace: z.boolean().optional() })
      .strict(),
    response: StoryDiff,
  },
  'story.review': {
    doc: "A lead's verdict on a story's changes: approve merging the reviewed commit (the story must wait for a merge approval), or request changes (comments on lines, files or the whole change go back to gate-2 as the next attempt's feedback) and resume the session.",
    request: z
      .object({
        sessionId: Id,
        storyId: Id,
        verdict: z.enum(['approve', 'request_changes']),
        /** The commit the lead reviewed: refused if the branch is now elsewhere. */
        headSha: z.string().regex(COMMIT_ID, 'a commit id: 7 to 64 lowercase hex characters'),
        comments: z.array(ReviewCommentInput).max(MAX_REVIEW_COMMENTS),
        summary: z.string().trim().max(MAX_DECISION_TEXT_CHARS).optional(),
      })
      .strict(),
    response: SessionSummary,
  },
  'story.comment': {
    doc: "Queues comments on a story's changes (also while it runs) for its next attempt: sent with the next request for changes, or given to its next develop phase.",
    request: z
      .object({
        sessionId: Id,
        storyId: Id,
        headSha: z.string().regex(COMMIT_ID, 'a commit id: 7 to 64 lowercase hex characters').optional(),
        comments: z.array(ReviewCommentInput).min(1).max(MAX_REVIEW_COMMENTS),
      })
      .strict(),
    response: z.array(ReviewComment),
  },
  'story.context': {
    doc: "The context packs a story's agent phases were given in a session (files, why, tokens, share of the repository), oldest first.",
    request: z.object({ sessionId: Id, storyId: Id }).strict(),
    response: z.array(ContextPackView),
  },
  'story.reviewThread': {
    doc: "A story's review: its verdicts with their comments (and whether later commits changed the commented lines) and the comments queued for its next attempt.",
    request: z.object({ sessionId: Id, storyId: Id }).strict(),
    response: ReviewThread,
  },

  'recovery.list': {
    doc: 'Sessions left unfinished by a crash or a stop.',
    request: Empty,
    response: z.array(InterruptedSession),
  },
  'events.deadLetters': {
    doc: 'Events that could not be handled, with the reason.',
    request: z.object({ limit: z.number().int().min(1).max(1000).optional() }).strict(),
    response: z.array(DeadLetterView),
  },
  'metrics.get': {
    doc: 'Latency, event rate, cost and gate-duration series for the charts.',
    request: z.object({ sessionId: Id.optional() }).strict(),
    response: MetricsView,
  },
  'gate.log': {
    doc: 'A piece of a gate run log from a byte offset (the tail when offset is omitted).',
    request: z
      .object({
        gateRunId: z.number().int().nonnegative(),
        offset: z.number().int().nonnegative().optional(),
        maxBytes: z
          .number()
          .int()
          .min(1)
          .max(256 * 1024)
          .optional(),
      })
      .strict(),
    response: z.object({
      text: z.string(),
      offset: z.number().int(),
      nextOffset: z.number().int(),
      running: z.boolean(),
    }),
  },
  'gate.follow': {
    doc: 'Streams new lines of a gate log as gate.logAppended events until unfollowed.',
    request: z.object({ gateRunId: z.number().int().nonnegative(), follow: z.boolean() }).strict(),
    response: z.object({ following: z.boolean() }),
  },

  'import.stage': {
    doc: 'Uploads one piece of a dropped file; pieces of a file arrive in order.',
    request: z
      .object({
        uploadId: z.string().uuid(),
        file: PathText(1024),
        offset: z.number().int().nonnegative(),
        data: z.string().max(IMPORT_CHUNK_CHARS),
        last: z.boolean(),
      })
      .strict(),
    response: z.object({ received: z.number().int() }),
  },
  'import.commit': {
    doc: 'Validates and imports every staged file; with migrate, older stories are migrated to 4.3 first.',
    request: z.object({ uploadId: z.string().uuid(), migrate: z.boolean().optional() }).strict(),
    response: z.object({ results: z.array(ImportFileResult) }),
  },
  'import.paths': {
    doc: 'Imports files or folders by path (desktop drag and drop, file picker).',
    request: z.object({ paths: z.array(PathText(4096)).min(1).max(500), migrate: z.boolean().optional() }).strict(),
    response: z.object({ results: z.array(ImportFileResult) }),
  },

  'prd.list': { doc: 'Every PRD with its approval state.', request: Empty, response: z.array(PrdSummary) },
  'prd.get': { doc: 'A PRD, its stories by wave, forecast and decision.', request: PrdRef, response: PrdDetail },
  'prd.contextForecast': {
    doc: "A forecast of each story's context pack: built now against the project's current tree (target branch), cached by tree.",
    request: PrdRef,
    response: ContextForecastView,
  },
  'prd.approve': {
    doc: 'Approves exactly the text the lead read: contentHash must match the current content.',
    // `by` is the name shown beside the decision; the audit log records the app's own user.
    // `runsHash`: the commands the lead read (PrdDetail.runsHash); refused when they changed since.
    request: z
      .object({
        prdId: Id,
        by: z.string().min(1).max(200),
        comment: z.string().max(4000).optional(),
        contentHash: z.string().regex(/^[0-9a-f]{64}$/),
        runsHash: z
          .string()
          .regex(/^[0-9a-f]{64}$/)
          .optional(),
      })
      .strict(),
    response: PrdDetail,
  },
  'prd.reject': {
    doc: 'Rejects a PRD with a comment saying why.',
    request: z.object({ prdId: Id, by: z.string().min(1).max(200), comment: z.string().min(1).max(4000) }).strict(),
    response: PrdDetail,
  },
  ...backupRequests,
  'fleet.workers': {
    doc: 'The running `wave worker` processes of the store: host, pid, version, concurrency, story runs, heartbeat age, CPU, memory, agents alive, drain state.',
    request: Empty,
    response: FleetView,
  },
  'fleet.drain': {
    doc: 'Asks a worker (by name or id) to finish its story runs and take none (draining: true), or to take story runs again; answers the fleet once the worker confirmed (or after 5 s).',
    request: z.object({ worker: Id, draining: z.boolean() }).strict(),
    response: FleetView,
  },
} as const;

export const events = {
  'app.health': AppHealth,
  'settings.changed': ProjectSettings,
  'session.changed': SessionSummary,
  'story.changed': StoryRunView,
  /** A story's live progress line, pushed as the agent prints it (story.changed is coalesced and re-reads the store). */
  'story.progress': z.object({
    id: z.string(),
    sessionId: z.string(),
    storyId: z.string(),
    progress: StoryRunView.shape.progress,
  }),
  'stop.progress': StopProgress,
  notice: Notice,
  'metrics.tick': z.object({
    sessionId: z.string().nullable(),
    at: z.string(),
    latency: z.object({ p50Ms: z.number(), p95Ms: z.number(), p99Ms: z.number(), count: z.number().int() }).nullable(),
    eventsPerSecond: z.number().nonnegative(),
    costUsd: z.number().nonnegative(),
  }),
  'gate.logAppended': z.object({ gateRunId: z.number().int(), offset: z.number().int(), text: z.string() }),
  'prd.changed': PrdSummary,
  'recovery.changed': z.object({ interrupted: z.array(InterruptedSession) }),
  /** The fleet's workers, re-read when one heartbeats, is drained or answers a STOP, or turns silent. */
  'fleet.changed': FleetView,
} as const;

export type Requests = typeof requests;
export type RequestName = keyof Requests;
export type RequestOf<N extends RequestName> = z.input<Requests[N]['request']>;
export type ParsedRequestOf<N extends RequestName> = z.output<Requests[N]['request']>;
export type ResponseOf<N extends RequestName> = z.output<Requests[N]['response']>;

export type Events = typeof events;
export type EventName = keyof Events;
export type EventOf<E extends EventName> = z.output<Events[E]>;

/** What a transport pushes for every event: the payload and its global sequence number. */
export interface EventEnvelope<E extends EventName = EventName> {
  name: E;
  seq: number;
  payload: EventOf<E>;
}
