import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { WaveEvent } from '../../../shared/events';
import { AgentOutputProducer, pumpAgentOutput } from './agent-output';
import { InProcessEventBus } from './in-process-bus';

describe('agent stdout → event bus', () => {
  it('publishes event lines for the agent\'s session, story and gate; keeps the rest as log; reports invalid ones', async () => {
    const bus = new InProcessEventBus();
    try {
      const seen: WaveEvent[] = [];
      await bus.subscribe('ui', (e) => void seen.push(e), { session: 'S1' });
      const logs: string[] = [];
      const invalid: string[] = [];
      const producer = new AgentOutputProducer(
        bus,
        { session: 'S1', story: 'AUTH-001', gate: 'gate-2', agent: 'claude-code' },
        { onLog: (l) => void logs.push(l), onInvalid: (_l, reason) => void invalid.push(reason) },
      );
      const stdout = Readable.from(
        [
          'Reading the story…\n',
          '{"type":"progress","message":"planning","pct":10}\n',
          '{"type":"usage","model":"claude-sonnet","input_tokens":100,"output_tokens":20}\r\n',
          '{"type":"signal","signal":"maybe"}\n',
          '{"type":"signal","signal":"complete","message":"done"}',
        ].join(''),
      );
      const counts = await pumpAgentOutput(stdout, producer);
      expect(counts).toEqual({ events: 3, logs: 1, invalid: 1, failed: 0 });
      expect(logs).toEqual(['Reading the story…']);
      expect(invalid[0]).toMatch(/signal/);
      await expect.poll(() => seen.length).toBe(3);
      expect(seen.map((e) => [e.type, e.seq, e.story, 'gate' in e ? e.gate : undefined, e.source])).toEqual([
        ['progress', 1, 'AUTH-001', 'gate-2', 'agent:claude-code'],
        ['usage', 2, 'AUTH-001', 'gate-2', 'agent:claude-code'],
        ['signal', 3, 'AUTH-001', 'gate-2', 'agent:claude-code'],
      ]);
      expect(seen[1]).toMatchObject({ agent: 'claude-code', input_tokens: 100 });
    } finally {
      await bus.close();
    }
  });

  it('keeps reading when the bus refuses an event', async () => {
    const errors: string[] = [];
    const producer = new AgentOutputProducer(
      { publish: async () => Promise.reject(new Error('bus closed')) },
      { session: 'S1', story: 'A' },
      { onPublishError: (e) => void errors.push(e.message) },
    );
    await producer.feed('{"type":"progress","message":"x"}');
    await producer.feed('plain');
    expect(producer.counts).toEqual({ events: 0, logs: 1, invalid: 0, failed: 1 });
    expect(errors).toEqual(['bus closed']);
  });
});
