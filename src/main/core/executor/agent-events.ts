import { z } from 'zod';

/*
 * The agent stdout protocol of DESIGN §4, defined locally on purpose: the shared event
 * module (src/shared/events) was written in parallel. The lead will point these at
 * `src/shared/events` (AgentLineEvent / parseAgentLine) when unifying; the shapes match.
 */

export const AgentProgressEvent = z.object({
  type: z.literal('progress'),
  message: z.string().max(4_000),
  pct: z.number().min(0).max(100).optional(),
});

export const AgentUsageEvent = z.object({
  type: z.literal('usage'),
  model: z.string().min(1).max(200),
  input_tokens: z.number().int().nonnegative(),
  output_tokens: z.number().int().nonnegative(),
  cache_read_tokens: z.number().int().nonnegative().optional(),
  cache_write_tokens: z.number().int().nonnegative().optional(),
  cost_usd: z.number().nonnegative().optional(),
});

export const AgentSignalEvent = z.object({
  type: z.literal('signal'),
  signal: z.enum(['blocked', 'error', 'complete']),
  message: z.string().max(4_000).optional(),
});

export const AgentEvent = z.discriminatedUnion('type', [AgentProgressEvent, AgentUsageEvent, AgentSignalEvent]);
export type AgentEvent = z.infer<typeof AgentEvent>;
export type AgentUsageEvent = z.infer<typeof AgentUsageEvent>;
export type AgentSignalEvent = z.infer<typeof AgentSignalEvent>;

/** The largest stdout line accepted as an event; longer lines are log. */
export const MAX_EVENT_LINE_CHARS = 64 * 1024;

export type AgentLine =
  | { kind: 'log' }
  | { kind: 'event'; event: AgentEvent }
  /** A JSON object with a `type` that is not a valid agent event; `reason` says why. */
  | { kind: 'invalid'; type: string | null; reason: string };

/** Classifies one stdout line: event (JSON object with a known `type`), invalid event, or log. */
export function classifyAgentLine(line: string): AgentLine {
  const trimmed = line.trim();
  if (!trimmed.startsWith('{') || !trimmed.endsWith('}')) return { kind: 'log' };
  if (trimmed.length > MAX_EVENT_LINE_CHARS) return { kind: 'invalid', type: null, reason: `event line longer than ${MAX_EVENT_LINE_CHARS} characters` };
  let value: unknown;
  try {
    value = JSON.parse(trimmed);
  } catch {
    return { kind: 'log' };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value) || !('type' in value)) return { kind: 'log' };
  const type = (value as { type: unknown }).type;
  if (typeof type !== 'string') return { kind: 'invalid', type: null, reason: '"type" must be a string' };
  const parsed = AgentEvent.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return { kind: 'invalid', type, reason: issue ? `${issue.path.join('.') || type}: ${issue.message}` : 'invalid event' };
  }
  return { kind: 'event', event: parsed.data };
}
