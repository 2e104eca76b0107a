import { describe, expect, it } from 'vitest';
import { createEventBus } from './create-event-bus';
import { describeEventBusContract } from './event-bus-contract';
import { InProcessEventBus } from './in-process-bus';
import { MemoryDeadLetterSink } from './memory-ports';

describeEventBusContract('in-process', async (options) => new InProcessEventBus(options));

describe('in-process bus', () => {
  it('is what createEventBus picks without REDIS_URL, and says so', async () => {
    const bus = await createEventBus({ redisUrl: undefined });
    try {
      expect(bus.kind).toBe('in-process');
      expect(bus.reason).toMatch(/REDIS_URL is not set/);
      expect(await bus.health()).toMatchObject({ kind: 'in-process', circuit: 'none', status: 'ok' });
    } finally {
      await bus.close();
    }
  });

  it('handles follow-up events a handler publishes itself, in seq order', async () => {
    const bus = new InProcessEventBus();
    try {
      const seen: string[] = [];
      await bus.subscribe(
        'orchestrator',
        async (e) => {
          seen.push(`${e.type}:${e.seq}`);
          // The orchestrator reacts to a passed gate by starting the next one, from inside the handler.
          if (e.type === 'gate_passed' && e.gate === 'gate-1') await bus.publish({ type: 'gate_started', session: 's1', story: 'A', gate: 'gate-2', attempt: 1 });
        },
        { session: 's1' },
      );
      await bus.publish({ type: 'gate_started', session: 's1', story: 'A', gate: 'gate-1', attempt: 1 });
      await bus.publish({ type: 'gate_passed', session: 's1', story: 'A', gate: 'gate-1', attempt: 1 });
      await bus.publish({ type: 'progress', session: 's1', story: 'A', message: 'after' });
      await expect.poll(() => seen.length).toBe(4);
      // Handled in seq order, the follow-up included, nothing run twice.
      expect(seen.map((s) => Number(s.split(':')[1]))).toEqual([1, 2, 3, 4]);
      expect(seen.filter((s) => s.startsWith('gate_started'))).toHaveLength(2);
    } finally {
      await bus.close();
    }
  });

  it('records dead letters in the injected sink (the store)', async () => {
    const sink = new MemoryDeadLetterSink();
    const bus = new InProcessEventBus({ deadLetters: sink, maxDeliveries: 1 });
    try {
      await bus.subscribe(
        'ui',
        () => {
          throw new Error('boom');
        },
        { session: 's1' },
      );
      const ack = await bus.publish({ type: 'heartbeat', session: 's1', component: 'x' });
      await expect.poll(() => sink.letters.length).toBe(1);
      expect(sink.letters[0]).toMatchObject({ session: 's1', eventId: ack.id, deliveries: 1, reason: expect.stringContaining('boom') });
    } finally {
      await bus.close();
    }
  });
});
