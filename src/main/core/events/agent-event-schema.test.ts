import { readFileSync } from 'node:fs';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { AgentLineEvent, validateEvent } from '../../../shared/events';
import { SAMPLE_EVENTS } from '../../../shared/events/sample-events';
import { AGENT_EVENT_SCHEMA_PATH, renderAgentEventSchema } from './generate-agent-event-schema';

describe('schemas/agent-event.schema.json', () => {
  const committed = readFileSync(AGENT_EVENT_SCHEMA_PATH, 'utf8');
  const ajv = new Ajv2020({ allErrors: true });
  addFormats(ajv);
  const validate = ajv.compile(JSON.parse(committed));
  const { $schema, $defs } = JSON.parse(committed) as { $schema: string; $defs: Record<string, unknown> };
  const validateLine = ajv.compile({ $schema, $defs, $ref: '#/$defs/agentLine' });

  it('is the committed output of the zod schemas (regenerate with: npx tsx src/main/core/events/generate-agent-event-schema.ts)', () => {
    expect(committed).toBe(renderAgentEventSchema());
  });

  it('accepts and refuses the same events as the zod schemas', () => {
    const mutants: unknown[] = [
      ...SAMPLE_EVENTS,
      { ...SAMPLE_EVENTS[0], pct: 101 },
      { ...SAMPLE_EVENTS[0], seq: -1 },
      { ...SAMPLE_EVENTS[0], produced_at: 'yesterday' },
      { ...SAMPLE_EVENTS[1], input_tokens: 1.5 },
      { ...SAMPLE_EVENTS[2], signal: 'panic' },
      { ...SAMPLE_EVENTS[3], story: null },
      { ...SAMPLE_EVENTS[3], gate: 'gate 4' },
      { ...SAMPLE_EVENTS[14], by: '' },
      { ...SAMPLE_EVENTS[16], id: '01ARZ3NDEKTSV4RRFFQ69G5FAV' },
      { ...SAMPLE_EVENTS[16], id: 'nope' },
      { ...SAMPLE_EVENTS[16], extra: 'ignored by both' },
      { type: 'teleport' },
    ];
    for (const value of mutants) {
      expect(validate(value), JSON.stringify(value)).toBe(validateEvent(value).ok);
    }
  });

  it('describes the agent stdout line format too', () => {
    const lines: unknown[] = [
      { type: 'progress', message: 'm', pct: 5 },
      { type: 'usage', model: 'm', input_tokens: 1, output_tokens: 1 },
      { type: 'signal', signal: 'error' },
      { type: 'signal', signal: 'nope' },
      { type: 'heartbeat', component: 'x' },
    ];
    for (const line of lines) expect(validateLine(line), JSON.stringify(line)).toBe(AgentLineEvent.safeParse(line).success);
  });
});
