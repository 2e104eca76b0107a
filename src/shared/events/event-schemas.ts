import { z } from 'zod';

/**
 * Wire format of every event on the bus (Redis Streams or in-process). Field names are
 * snake_case because agents write the same fields on stdout (docs/architecture.md#agent-stdout-protocol) and other
 * machines publish them with `wave signal`.
 */

// Identifiers end up inside Redis key names and file paths: no spaces, no control characters.
const IDENT = /^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$/;
export const SessionId = z.string().regex(IDENT, 'must be 1-128 characters: letters, digits, . _ : @ -');
export const StoryId = z.string().regex(IDENT, 'must be 1-128 characters: letters, digits, . _ : @ -');
export const GateName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'must be a gate name such as gate-4');
export const EventId = z.union([z.uuid(), z.ulid()]);
export const Timestamp = z.iso.datetime({ offset: true });

const count = z.number().int().nonnegative();
const usd = z.number().nonnegative();
const attempt = z.number().int().min(1);
const durationMs = z.number().nonnegative();
// Generous per-field limits: the real limit is the 64 KB cap on the whole encoded event.
const text = z.string().max(65_536);
const reason = z.string().min(1).max(65_536);

export const SIGNALS = ['blocked', 'error', 'complete'] as const;
export const Signal = z.enum(SIGNALS);
export type Signal = z.infer<typeof Signal>;

export const RECOVERY_STRATEGIES = ['resume_from_last', 'resume_from_gate', 'restart', 'skip'] as const;

/** Fields an agent may print on a stdout line; the full events add the envelope (and gate). */
export const agentFields = {
  progress: {
    message: text,
    pct: z.number().min(0).max(100).optional(),
  },
  usage: {
    model: z.string().min(1).max(200),
    input_tokens: count,
    output_tokens: count,
    cache_read_tokens: count.optional(),
    cache_write_tokens: count.optional(),
    /** Absent: priced from the model table by the orchestrator. */
    cost_usd: usd.optional(),
  },
  signal: {
    signal: Signal,
    message: text.optional(),
  },
} as const;

const envelope = {
  id: EventId,
  session: SessionId,
  /** Null for session-level events. */
  story: StoryId.nullable(),
  /** Per (session, story) sequence number, assigned by the bus in publish order. */
  seq: count,
  produced_at: Timestamp,
  /** Who produced it: "agent", "cli", "orchestrator", … */
  source: z.string().max(200).optional(),
};
// Events about one story must name it.
const storyEnvelope = { ...envelope, story: StoryId };

const gate = { gate: GateName };
const optionalGate = { gate: GateName.optional() };

export const ProgressEvent = z.object({
  ...envelope,
  type: z.literal('progress'),
  ...agentFields.progress,
  ...optionalGate,
});
export const UsageEvent = z.object({
  ...envelope,
  type: z.literal('usage'),
  ...agentFields.usage,
  ...optionalGate,
  agent: z.string().max(200).optional(),
});
export const SignalEvent = z.object({
  ...storyEnvelope,
  type: z.literal('signal'),
  ...agentFields.signal,
  ...optionalGate,
});
export const GateStartedEvent = z.object({ ...storyEnvelope, type: z.literal('gate_started'), ...gate, attempt });
export const GatePassedEvent = z.object({
  ...storyEnvelope,
  type: z.literal('gate_passed'),
  ...gate,
  attempt,
  duration_ms: durationMs.optional(),
});
export const GateFailedEvent = z.object({
  ...storyEnvelope,
  type: z.literal('gate_failed'),
  ...gate,
  attempt,
  reason,
  duration_ms: durationMs.optional(),
  will_retry: z.boolean().optional(),
});
export const StoryStartedEvent = z.object({
  ...storyEnvelope,
  type: z.literal('story_started'),
  wave: count.optional(),
  agent: z.string().max(200).optional(),
  attempt: attempt.optional(),
});
export const StoryCompletedEvent = z.object({
  ...storyEnvelope,
  type: z.literal('story_completed'),
  merge_sha: z
    .string()
    .regex(/^[0-9a-f]{7,64}$/, 'must be a git SHA')
    .optional(),
  duration_ms: durationMs.optional(),
});
export const StoryFailedEvent = z.object({
  ...storyEnvelope,
  type: z.literal('story_failed'),
  reason,
  ...optionalGate,
});
export const EscalationEvent = z.object({
  ...storyEnvelope,
  type: z.literal('escalation'),
  reason,
  ...optionalGate,
  attempts: count.optional(),
});
export const BudgetWarningEvent = z.object({
  ...envelope,
  type: z.literal('budget_warning'),
  spent_usd: usd,
  budget_usd: usd,
  pct: z.number().nonnegative(),
});
export const BudgetExceededEvent = z.object({
  ...envelope,
  type: z.literal('budget_exceeded'),
  spent_usd: usd,
  budget_usd: usd,
});
export const SessionPausedEvent = z.object({
  ...envelope,
  type: z.literal('session_paused'),
  reason: text.optional(),
  by: z.string().max(200).optional(),
});
export const SessionResumedEvent = z.object({
  ...envelope,
  type: z.literal('session_resumed'),
  strategy: z.enum(RECOVERY_STRATEGIES).optional(),
  by: z.string().max(200).optional(),
});
export const EmergencyStopEvent = z.object({
  ...envelope,
  type: z.literal('emergency_stop'),
  reason,
  by: z.string().min(1).max(200),
  host: z.string().max(255).optional(),
  pid: z.number().int().positive().optional(),
});
export const CheckpointSavedEvent = z.object({
  ...storyEnvelope,
  type: z.literal('checkpoint_saved'),
  ...gate,
  checkpoint_id: z.union([z.string().min(1).max(200), count]),
  state_hash: z
    .string()
    .regex(/^[0-9a-f]{64}$/, 'must be a sha256 hex digest')
    .optional(),
});
export const HeartbeatEvent = z.object({
  ...envelope,
  type: z.literal('heartbeat'),
  component: z.string().min(1).max(200),
  pid: z.number().int().positive().optional(),
  host: z.string().max(255).optional(),
});

export const WaveEvent = z.discriminatedUnion('type', [
  ProgressEvent,
  UsageEvent,
  SignalEvent,
  GateStartedEvent,
  GatePassedEvent,
  GateFailedEvent,
  StoryStartedEvent,
  StoryCompletedEvent,
  StoryFailedEvent,
  EscalationEvent,
  BudgetWarningEvent,
  BudgetExceededEvent,
  SessionPausedEvent,
  SessionResumedEvent,
  EmergencyStopEvent,
  CheckpointSavedEvent,
  HeartbeatEvent,
]);
export type WaveEvent = z.infer<typeof WaveEvent>;
export type WaveEventType = WaveEvent['type'];

export const EVENT_TYPES = [
  'progress',
  'usage',
  'signal',
  'gate_started',
  'gate_passed',
  'gate_failed',
  'story_started',
  'story_completed',
  'story_failed',
  'escalation',
  'budget_warning',
  'budget_exceeded',
  'session_paused',
  'session_resumed',
  'emergency_stop',
  'checkpoint_saved',
  'heartbeat',
] as const satisfies readonly WaveEventType[];

/** Types carried on the per-session system stream as well (seen by every process of a session). */
export const SYSTEM_EVENT_TYPES: ReadonlySet<WaveEventType> = new Set(['emergency_stop']);

export function isWaveEventType(value: unknown): value is WaveEventType {
  return typeof value === 'string' && (EVENT_TYPES as readonly string[]).includes(value);
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/**
 * What a producer hands to `publish`: the bus fills in `seq` (always), and `id`,
 * `produced_at`, `source` and `story: null` when absent.
 */
export type EventDraft = DistributiveOmit<WaveEvent, 'id' | 'seq' | 'produced_at' | 'source' | 'story'> & {
  id?: string;
  produced_at?: string;
  source?: string;
  story?: string | null;
};

/** One line per zod issue, with its path: what a person needs to fix the event. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => {
      const path = issue.path.map(String).join('.');
      return path ? `${path}: ${issue.message}` : issue.message;
    })
    .join('; ');
}
