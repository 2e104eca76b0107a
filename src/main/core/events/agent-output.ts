import { createInterface } from 'node:readline';
import { parseAgentLine, type AgentLineOutcome, type EventDraft } from '../../../shared/events';
import type { EventBus, PublishAck } from './ports';

export interface AgentOutputContext {
  session: string;
  story: string;
  /** WAVE_GATE of the agent process, stamped on its events. */
  gate?: string;
  agent?: string;
  /** Default "agent" (or "agent:<agent>"). */
  source?: string;
}

export interface AgentOutputHooks {
  /** A plain log line (the executor writes it to the gate's log file). */
  onLog?(line: string): void;
  /** A JSON object with a `type` that is not a valid agent event. */
  onInvalid?(line: string, reason: string, type: string | null): void;
  onEvent?(ack: PublishAck): void;
  /** The bus refused or failed to publish a valid event; the line is not retried. */
  onPublishError?(error: Error, line: string): void;
}

export interface AgentOutputCounts {
  events: number;
  logs: number;
  invalid: number;
  failed: number;
}

/**
 * Turns an agent's stdout lines (DESIGN §4) into bus events for its session and story.
 * Feed lines in order and await each: the bus assigns per-story sequence numbers in that order.
 */
export class AgentOutputProducer {
  readonly counts: AgentOutputCounts = { events: 0, logs: 0, invalid: 0, failed: 0 };

  constructor(
    private readonly bus: Pick<EventBus, 'publish'>,
    private readonly context: AgentOutputContext,
    private readonly hooks: AgentOutputHooks = {},
  ) {}

  async feed(line: string): Promise<AgentLineOutcome> {
    const outcome = parseAgentLine(line);
    if (outcome.kind === 'log') {
      this.counts.logs++;
      this.hooks.onLog?.(outcome.line);
      return outcome;
    }
    if (outcome.kind === 'invalid') {
      this.counts.invalid++;
      this.hooks.onInvalid?.(outcome.line, outcome.reason, outcome.type);
      return outcome;
    }
    const { session, story, gate, agent } = this.context;
    const source = this.context.source ?? (agent ? `agent:${agent}` : 'agent');
    const draft = {
      ...outcome.event,
      session,
      story,
      source,
      ...(gate ? { gate } : {}),
      ...(outcome.event.type === 'usage' && agent ? { agent } : {}),
    } as EventDraft;
    try {
      const ack = await this.bus.publish(draft);
      this.counts.events++;
      this.hooks.onEvent?.(ack);
    } catch (e) {
      this.counts.failed++;
      this.hooks.onPublishError?.(e as Error, line);
    }
    return outcome;
  }
}

/** Reads a stdout stream line by line into the producer until it ends. */
export async function pumpAgentOutput(stdout: NodeJS.ReadableStream, producer: AgentOutputProducer): Promise<AgentOutputCounts> {
  const lines = createInterface({ input: stdout, crlfDelay: Infinity });
  try {
    for await (const line of lines) await producer.feed(line);
  } finally {
    lines.close();
  }
  return producer.counts;
}
