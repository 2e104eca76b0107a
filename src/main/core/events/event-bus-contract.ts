import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { EventTooLargeError, InvalidEventError, type WaveEvent } from '../../../shared/events';
import { MemoryDedupStore } from './memory-ports';
import type { DedupStore, DeliveryInfo, EventBus } from './ports';

export interface ContractBusOptions {
  maxDeliveries?: number;
  retryDelayMs?: number;
  dedup?: DedupStore;
}

/**
 * The promises every EventBus keeps, run against each implementation (in-process in unit
 * tests, Redis in integration tests) so the fallback really has the same interface.
 */
export function describeEventBusContract(
  label: string,
  makeBus: (options: ContractBusOptions) => Promise<EventBus>,
): void {
  describe(`${label}: EventBus contract`, () => {
    const open: EventBus[] = [];
    const bus = async (options: ContractBusOptions = {}) => {
      const b = await makeBus({ retryDelayMs: 20, ...options });
      open.push(b);
      return b;
    };
    const session = () => `s-${randomUUID().slice(0, 8)}`;

    afterEach(async () => {
      await Promise.all(open.splice(0).map((b) => b.close()));
    });

    it('delivers every event once, in per-story order, with per-story sequence numbers', async () => {
      const b = await bus();
      const s = session();
      const seen: WaveEvent[] = [];
      await b.subscribe(
        'orchestrator',
        async (e) => {
          // Uneven handler time must not reorder a story.
          if (e.type === 'progress' && (e.pct ?? 0) % 7 === 0) await new Promise((r) => setTimeout(r, 3));
          seen.push(e);
        },
        { session: s },
      );
      const stories = ['A', 'B', 'C'];
      for (let i = 0; i < 20; i++)
        for (const story of stories)
          await b.publish({ type: 'progress', session: s, story, message: `${story}${i}`, pct: i });
      await vi.waitFor(() => expect(seen).toHaveLength(60), { timeout: 10_000 });
      for (const story of stories) {
        const mine = seen.filter((e) => e.story === story);
        expect(mine.map((e) => (e.type === 'progress' ? e.message : ''))).toEqual(
          Array.from({ length: 20 }, (_, i) => `${story}${i}`),
        );
        expect(mine.map((e) => e.seq)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
      }
      expect(new Set(seen.map((e) => e.id)).size).toBe(60);
    });

    it('retries a failed handler and holds back only the later events of that story', async () => {
      const b = await bus({ maxDeliveries: 5 });
      const s = session();
      const handled: string[] = [];
      const attempts = new Map<string, number[]>();
      await b.subscribe(
        'orchestrator',
        async (e, info: DeliveryInfo) => {
          const label = e.type === 'progress' ? e.message : e.type;
          attempts.set(label, [...(attempts.get(label) ?? []), info.deliveries]);
          if (label === 'A2' && info.deliveries < 3) throw new Error('database busy');
          handled.push(label);
        },
        { session: s },
      );
      for (const m of ['A1', 'A2', 'A3', 'B1', 'B2'])
        await b.publish({ type: 'progress', session: s, story: m[0] as string, message: m });
      await vi.waitFor(() => expect(handled).toHaveLength(5), { timeout: 10_000 });
      expect(handled.filter((m) => m.startsWith('A'))).toEqual(['A1', 'A2', 'A3']);
      expect(handled.indexOf('B2')).toBeLessThan(handled.indexOf('A2'));
      expect(attempts.get('A2')).toEqual([1, 2, 3]);
      expect(attempts.get('A3')).toEqual([1]);
    });

    it('dead-letters an event after N failed deliveries, with the reason, and moves on', async () => {
      const b = await bus({ maxDeliveries: 3 });
      const s = session();
      const handled: string[] = [];
      let poisonCalls = 0;
      await b.subscribe(
        'orchestrator',
        async (e) => {
          if (e.type === 'signal' && e.message === 'poison') {
            poisonCalls++;
            throw new Error('cannot apply signal: story unknown');
          }
          handled.push(e.type);
        },
        { session: s },
      );
      const poison = await b.publish({ type: 'signal', session: s, story: 'A', signal: 'error', message: 'poison' });
      await b.publish({ type: 'gate_started', session: s, story: 'A', gate: 'gate-1', attempt: 1 });
      await vi.waitFor(() => expect(handled).toEqual(['gate_started']), { timeout: 10_000 });
      expect(poisonCalls).toBe(3);
      const letters = await b.listDeadLetters({ session: s });
      expect(letters).toHaveLength(1);
      expect(letters[0]).toMatchObject({
        eventId: poison.id,
        eventType: 'signal',
        consumer: 'orchestrator',
        deliveries: 3,
        session: s,
      });
      expect(letters[0]?.reason).toContain('cannot apply signal: story unknown');
      expect((await b.health()).deadLetters).toBeGreaterThanOrEqual(1);
    });

    it('runs a handler once per event id per consumer, even when the event is published twice', async () => {
      const dedup = new MemoryDedupStore();
      const b = await bus({ dedup });
      const s = session();
      const byOrchestrator: string[] = [];
      const byUi: string[] = [];
      await b.subscribe('orchestrator', (e) => void byOrchestrator.push(e.id), { session: s });
      await b.subscribe('ui', (e) => void byUi.push(e.id), { session: s });
      const id = randomUUID();
      await b.publish({ id, type: 'story_started', session: s, story: 'A', wave: 1 });
      await b.publish({ id, type: 'story_started', session: s, story: 'A', wave: 1 });
      await b.publish({ type: 'story_completed', session: s, story: 'A' });
      await vi.waitFor(() => expect(byOrchestrator).toHaveLength(2), { timeout: 10_000 });
      await vi.waitFor(() => expect(byUi).toHaveLength(2), { timeout: 10_000 });
      expect(byOrchestrator[0]).toBe(id);
      expect(byUi[0]).toBe(id);
      expect(await dedup.has('orchestrator', id)).toBe(true);
    });

    it('refuses an event over 64 KB and an invalid one, with a clear error, delivering nothing', async () => {
      const b = await bus();
      const s = session();
      const seen: WaveEvent[] = [];
      await b.subscribe('ui', (e) => void seen.push(e), { session: s });
      await expect(
        b.publish({ type: 'progress', session: s, story: 'A', message: 'é'.repeat(40_000) }),
      ).rejects.toThrow(EventTooLargeError);
      await expect(
        b.publish({ type: 'progress', session: s, story: 'A', message: 'é'.repeat(40_000) }),
      ).rejects.toThrow(/limit is 64 KB/);
      await expect(
        b.publish({ type: 'gate_passed', session: s, story: 'A', gate: 'gate-1', attempt: 0 }),
      ).rejects.toThrow(InvalidEventError);
      await b.publish({ type: 'progress', session: s, story: 'A', message: 'small' });
      await vi.waitFor(() => expect(seen).toHaveLength(1), { timeout: 10_000 });
      expect(seen[0]).toMatchObject({ message: 'small', seq: 1 });
    });

    it('broadcasts emergency_stop to system subscribers and still records it in the session stream', async () => {
      const b = await bus();
      const s = session();
      const stops: WaveEvent[] = [];
      const inStream: string[] = [];
      await b.subscribeSystem(s, (e) => void stops.push(e));
      await b.subscribe('orchestrator', (e) => void inStream.push(e.type), { session: s });
      await b.publish({ type: 'emergency_stop', session: s, reason: 'STOP pressed', by: 'lead' });
      await vi.waitFor(() => expect(stops).toHaveLength(1), { timeout: 10_000 });
      expect(stops[0]).toMatchObject({ type: 'emergency_stop', reason: 'STOP pressed', story: null });
      await vi.waitFor(() => expect(inStream).toEqual(['emergency_stop']), { timeout: 10_000 });
    });

    it('measures producer → handler latency per event type', async () => {
      const b = await bus();
      const s = session();
      let n = 0;
      await b.subscribe('ui', () => void n++, { session: s });
      for (let i = 0; i < 5; i++) await b.publish({ type: 'heartbeat', session: s, component: 'test' });
      await b.publish({ type: 'usage', session: s, story: 'A', model: 'm', input_tokens: 1, output_tokens: 1 });
      await vi.waitFor(() => expect(n).toBe(6), { timeout: 10_000 });
      const snapshot = b.latencySnapshot();
      expect(snapshot.byType.heartbeat?.count).toBe(5);
      expect(snapshot.byType.usage?.count).toBe(1);
      expect(snapshot.overall.count).toBe(6);
      expect(snapshot.overall.p99Ms).toBeGreaterThanOrEqual(snapshot.overall.p50Ms);
      expect(b.p99Ms()).toBe(snapshot.overall.p99Ms);
    });

    it('says which bus is active and why, and closes once however often close() is called', async () => {
      const b = await bus();
      const health = await b.health();
      expect(health.kind).toBe(b.kind);
      expect(health.reason).toBe(b.reason);
      expect(health.status).toBe('ok');
      const first = b.close();
      expect(b.close()).toBe(first);
      await first;
      await expect(b.publish({ type: 'heartbeat', session: session(), component: 'x' })).rejects.toThrow(/closed/);
    });
  });
}
