import { z } from 'zod';
import { agentFields, describeIssues } from './event-schemas';
import { formatBytes, MAX_EVENT_BYTES, utf8ByteLength } from './limits';

/**
 * The agent stdout protocol, defined once: the executor classifies every stdout line of an
 * agent with `parseAgentLine`, and schemas/agent-event.schema.json (`$defs.agentLine`) is
 * generated from these schemas (see docs/architecture.md, "Agent stdout protocol").
 * A line that parses as a JSON object with a `type` is an event, any other line is log.
 * No envelope: the executor knows the session, story and gate the agent runs for and adds them.
 */

/** Longest message (in characters, i.e. Unicode code points) of a progress or signal line. */
export const MAX_AGENT_MESSAGE_CHARS = 4_000;

function atMostChars(max: number) {
  return z
    .string()
    .refine(
      (text) => {
        if (text.length <= max) return true;
        let chars = 0;
        for (const _ of text) if (++chars > max) return false;
        return true;
      },
      { message: `must be at most ${max} characters` },
    )
    .meta({ maxLength: max });
}
const agentMessage = atMostChars(MAX_AGENT_MESSAGE_CHARS);

export const AgentProgressLine = z.object({
  type: z.literal('progress'),
  ...agentFields.progress,
  message: agentMessage,
});
export const AgentUsageLine = z.object({ type: z.literal('usage'), ...agentFields.usage });
export const AgentSignalLine = z.object({
  type: z.literal('signal'),
  ...agentFields.signal,
  message: agentMessage.optional(),
});
/** Most paths a spawn line may give its subagent's context pack. */
export const MAX_SPAWN_PATHS = 50;
/**
 * An agent asks for a helper: WAVE runs a subagent in the same worktree for `task`, with a
 * context pack built from `paths` (repository-relative), inside the story's budget and STOP.
 * A subagent's own spawn lines are refused (depth 1), and so are those over the story's cap.
 */
export const AgentSpawnLine = z.object({
  type: z.literal('spawn'),
  task: agentMessage.regex(/\S/, 'must not be empty'),
  paths: z
    .array(
      z
        .string()
        .min(1)
        .max(1_000)
        .regex(/^(?![\\/])(?!(?:.*[\\/])?\.\.(?:[\\/]|$))/, 'must be a path inside the repository (relative, no "..")'),
    )
    .max(MAX_SPAWN_PATHS),
});
export const AgentLineEvent = z.discriminatedUnion('type', [
  AgentProgressLine,
  AgentUsageLine,
  AgentSignalLine,
  AgentSpawnLine,
]);
export type AgentLineEvent = z.infer<typeof AgentLineEvent>;
export type AgentProgressLine = z.infer<typeof AgentProgressLine>;
export type AgentUsageLine = z.infer<typeof AgentUsageLine>;
export type AgentSignalLine = z.infer<typeof AgentSignalLine>;
export type AgentSpawnLine = z.infer<typeof AgentSpawnLine>;
export const AGENT_LINE_TYPES = [
  'progress',
  'usage',
  'signal',
  'spawn',
] as const satisfies readonly AgentLineEvent['type'][];

export type AgentLineOutcome =
  | { kind: 'log'; line: string }
  | { kind: 'event'; event: AgentLineEvent }
  /** A JSON object with a `type` that is not a valid agent event; `reason` says why. */
  | { kind: 'invalid'; line: string; type: string | null; reason: string };

/** Classifies one stdout line of an agent: log, event, or an event that is invalid (and why). */
export function parseAgentLine(rawLine: string): AgentLineOutcome {
  const line = rawLine.endsWith('\r') ? rawLine.slice(0, -1) : rawLine;
  const trimmed = line.trim();
  if (!trimmed.startsWith('{') || !trimmed.endsWith('}')) return { kind: 'log', line };
  let value: unknown;
  try {
    value = JSON.parse(trimmed);
  } catch {
    return { kind: 'log', line };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value) || !('type' in value))
    return { kind: 'log', line };
  const type = (value as { type: unknown }).type;
  if (typeof type !== 'string')
    return { kind: 'invalid', line, type: null, reason: `"type" must be a string, got ${JSON.stringify(type)}` };
  const bytes = utf8ByteLength(trimmed);
  if (bytes > MAX_EVENT_BYTES) {
    return {
      kind: 'invalid',
      line,
      type,
      reason: `event line is ${formatBytes(bytes)}, over the ${formatBytes(MAX_EVENT_BYTES)} limit`,
    };
  }
  if (!(AGENT_LINE_TYPES as readonly string[]).includes(type)) {
    return {
      kind: 'invalid',
      line,
      type,
      reason: `agents may print only ${AGENT_LINE_TYPES.join(', ')} events; "${type}" is not one of them`,
    };
  }
  const parsed = AgentLineEvent.safeParse(value);
  if (!parsed.success) return { kind: 'invalid', line, type, reason: `${type}: ${describeIssues(parsed.error)}` };
  return { kind: 'event', event: parsed.data };
}
