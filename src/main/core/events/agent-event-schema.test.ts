import { readFileSync } from 'node:fs';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { AgentLineEvent, MAX_AGENT_MESSAGE_CHARS, parseAgentLine, validateEvent } from '../../../shared/events';
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
    for (const line of lines)
      expect(validateLine(line), JSON.stringify(line)).toBe(AgentLineEvent.safeParse(line).success);
  });

  it('accepts exactly the stdout lines the executor accepts as events', () => {
    const message = (text: string) => `{"type":"progress","message":${JSON.stringify(text)}}`;
    const lines = [
      '{"type":"progress","message":"planning","pct":40}',
      '{"type":"progress","message":"planning","pct":100.5}',
      '{"type":"progress","pct":5}',
      '{"type":"progress","message":"extra fields are dropped","by":"me"}',
      message('x'.repeat(MAX_AGENT_MESSAGE_CHARS)),
      message('x'.repeat(MAX_AGENT_MESSAGE_CHARS + 1)),
      message('😀'.repeat(MAX_AGENT_MESSAGE_CHARS)),
      message('😀'.repeat(MAX_AGENT_MESSAGE_CHARS + 1)),
      '{"type":"usage","model":"m","input_tokens":1,"output_tokens":2,"cache_read_tokens":3,"cache_write_tokens":4,"cost_usd":0.5}',
      '{"type":"usage","model":"m","input_tokens":1.0,"output_tokens":2}',
      '{"type":"usage","model":"m","input_tokens":1.5,"output_tokens":2}',
      '{"type":"usage","model":"m","input_tokens":-1,"output_tokens":0}',
      '{"type":"usage","model":"","input_tokens":1,"output_tokens":0}',
      '{"type":"usage","model":"m","input_tokens":1,"output_tokens":0,"cost_usd":1e400}',
      '{"type":"usage","model":"m","input_tokens":"1","output_tokens":0}',
      '{"type":"signal","signal":"complete","message":"done"}',
      `{"type":"signal","signal":"blocked","message":${JSON.stringify('y'.repeat(MAX_AGENT_MESSAGE_CHARS + 1))}}`,
      '{"type":"signal","signal":"panic"}',
      '{"type":"signal"}',
      '{"type":"spawn","task":"write the parser tests","paths":["src/parse.ts","test/"]}',
      '{"type":"spawn","task":"no paths","paths":[]}',
      '{"type":"spawn","task":"   ","paths":[]}',
      '{"type":"spawn","task":"escape","paths":["../outside"]}',
      '{"type":"spawn","task":"escape","paths":["src/../../outside"]}',
      '{"type":"spawn","task":"absolute","paths":["/etc/passwd"]}',
      `{"type":"spawn","task":"many","paths":${JSON.stringify(Array.from({ length: 51 }, (_, i) => `f${i}`))}}`,
      '{"type":"spawn","task":"dots in names are fine","paths":["a..b/c.ts"]}',
      '{"type":"spawn","paths":["a"]}',
      '{"type":"gate_passed","gate":"gate-1","attempt":1}',
      '{"type":"heartbeat","component":"x"}',
      '{"type":7}',
      '{"type":null}',
    ];
    let events = 0;
    for (const line of lines) {
      const outcome = parseAgentLine(line);
      expect(outcome.kind, line.slice(0, 80)).not.toBe('log');
      if (outcome.kind === 'event') events++;
      expect(validateLine(JSON.parse(line)), `${line.slice(0, 80)}: runtime says ${outcome.kind}`).toBe(
        outcome.kind === 'event',
      );
    }
    expect(events).toBeGreaterThan(4);
    expect(events).toBeLessThan(lines.length - 4);
  });
});
