import { z } from 'zod';
import { AgentLineEvent } from './agent-line';
import { WaveEvent } from './event-schemas';

export const AGENT_EVENT_SCHEMA_ID = 'https://wave-control-center.dev/schemas/agent-event.schema.json';

/**
 * The JSON Schema committed as schemas/agent-event.schema.json, derived from the zod
 * schemas so the two cannot drift (a test compares them). "input" mode: like zod, extra
 * fields are accepted (and dropped) rather than refused.
 */
export function buildAgentEventJsonSchema(): Record<string, unknown> {
  const { $schema, ...event } = z.toJSONSchema(WaveEvent, { io: 'input', override: dropNonStandardFormats }) as Record<
    string,
    unknown
  >;
  const agentLine = z.toJSONSchema(AgentLineEvent, { io: 'input', override: dropNonStandardFormats }) as Record<
    string,
    unknown
  >;
  delete agentLine.$schema;
  return {
    $schema,
    $id: AGENT_EVENT_SCHEMA_ID,
    title: 'WAVE event',
    description:
      'An event on the WAVE event bus (Redis Streams or in-process): envelope (id, session, story, seq, produced_at) plus ' +
      'type-specific fields. $defs.agentLine is what an agent prints on one stdout line (no envelope). Encoded events are limited to 64 KB.',
    ...event,
    $defs: {
      agentLine: {
        title: 'Agent stdout event line',
        description:
          'One stdout line of an agent, parsed as JSON. A line over 64 KB (UTF-8) is refused whatever its content.',
        ...agentLine,
      },
    },
  };
}

// "ulid" is no JSON Schema format: validators such as ajv refuse unknown formats; the pattern stays.
function dropNonStandardFormats(ctx: { jsonSchema: Record<string, unknown> }): void {
  if (ctx.jsonSchema.format === 'ulid') delete ctx.jsonSchema.format;
}
