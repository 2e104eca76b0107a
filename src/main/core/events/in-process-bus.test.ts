import { describe, expect, it } from 'vitest';
import { createEventBus } from './create-event-bus';
import { describeEventBusContract } from './event-bus-contract';
import { InProcessEventBus, type InProcessEventBusOptions } from './in-process-bus';
import { MemoryDeadLetterSink, MemoryDedupStore } from './memory-ports';
import type { WaveEvent } from '../../../shared/events';

describeEventBusContract('in-process', async (options) => new InProcessEventBus(options));

/** Runs `use` on a new in-process bus, closed whatever happens. */
async function withBus(
  options: InProcessEventBusOptions,
  use: (bus: InProcessEventBus) => Promise<void>,
): Promise<void> {
  const bus = new InProcessEventBus(options);
  try {
    await use(bus);
  } finally {
    await bus.close();
  }
}

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
    await withBus({}, async (bus) => {
      const seen: string[] = [];
      await bus.subscribe(
        'orchestrator',
        async (e) => {
          seen.push(`${e.type}:${e.seq}`);
          // The orchestrator reacts to a passed gate by starting the next one, from inside the handler.
          if (e.type === 'gate_passed' && e.gate === 'gate-1')
            await bus.publish({ type: 'gate_started', session: 's1', story: 'A', gate: 'gate-2', attempt: 1 });
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
    });
  });

  it('gives every subscriber an event before the follow-up a handler publishes while it is handed out', async () => {
    await withBus({}, async (bus) => {
      const seenByB: number[] = [];
      // A reacts synchronously by publishing the next event of the same story; B just records.
      await bus.subscribe(
        'a',
        (e) => {
          if (e.seq === 1) void bus.publish({ type: 'progress', session: 's1', story: 'A', message: 'follow-up' });
        },
        { session: 's1' },
      );
      await bus.subscribe('b', (e) => void seenByB.push(e.seq), { session: 's1' });
      await bus.publish({ type: 'progress', session: 's1', story: 'A', message: 'first' });
      await expect.poll(() => seenByB.length).toBe(2);
      expect(seenByB).toEqual([1, 2]);
    });
  });

  it('skips the dedup lookup only for ids it minted, yet records them so a replayed copy is not handled twice', async () => {
    const dedup = new MemoryDedupStore();
    await withBus({ dedup }, async (bus) => {
      const handled: WaveEvent[] = [];
      await bus.subscribe('ui', (e) => void handled.push(e), { session: 's1' });
      const ack = await bus.publish({ type: 'progress', session: 's1', story: 'A', message: 'minted id' });
      await expect.poll(() => dedup.hasSync('ui', ack.id)).toBe(true);
      // The Redis bus's outage path hands already-sequenced events to dispatch(): a copy of one seen before.
      bus.dispatch({ ...(handled[0] as WaveEvent) });
      // A producer-chosen id goes through the dedup store every time.
      const fromAgent = {
        id: '0b7c6f1e-2a4d-4c8e-9f10-3d5e6a7b8c9d',
        type: 'progress' as const,
        session: 's1',
        story: 'A',
        message: 'from an agent',
      };
      await bus.publish({ ...fromAgent });
      await expect.poll(() => dedup.hasSync('ui', fromAgent.id)).toBe(true);
      await bus.publish({ ...fromAgent });
      await bus.publish({ type: 'progress', session: 's1', story: 'A', message: 'last' });
      await expect.poll(() => handled.length).toBe(3);
      expect(handled.map((e) => (e.type === 'progress' ? e.message : e.type))).toEqual([
        'minted id',
        'from an agent',
        'last',
      ]);
      const latency = bus.latencySnapshot();
      expect(latency.overall.count).toBe(3);
      // Measured on the monotonic clock from the bus's own stamp: never negative, far under a second here.
      expect(latency.byType.progress?.maxMs).toBeGreaterThanOrEqual(0);
      expect(latency.byType.progress?.maxMs).toBeLessThan(1_000);
    });
  });

  it('records dead letters in the injected sink (the store)', async () => {
    const sink = new MemoryDeadLetterSink();
    await withBus({ deadLetters: sink, maxDeliveries: 1 }, async (bus) => {
      await bus.subscribe(
        'ui',
        () => {
          throw new Error('boom');
        },
        { session: 's1' },
      );
      const ack = await bus.publish({ type: 'heartbeat', session: 's1', component: 'x' });
      await expect.poll(() => sink.letters.length).toBe(1);
      expect(sink.letters[0]).toMatchObject({
        session: 's1',
        eventId: ack.id,
        deliveries: 1,
        reason: expect.stringContaining('boom'),
      });
    });
  });
});
