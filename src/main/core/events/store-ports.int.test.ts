import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../../../test/helpers/pg';
import { TEST_REDIS_URL } from '../../../../test/helpers/env';
import { cleanupPrefix, uniquePrefix } from '../../../../test/helpers/redis';
import { SAMPLE_EVENTS } from '../../../shared/events';
import { deadLetters, latencyStats, openStore, type Store } from '../../store';
import { createEventBus } from './create-event-bus';
import { DedupRepo, EventOutboxRepo } from '../../store/repos';
import { storeEventPorts } from './store-ports';

describe('event bus store ports (Postgres)', () => {
  let db: TestDatabase;
  let store: Store;
  let dataDir: string;

  beforeAll(async () => {
    db = await createTestDatabase('events_ports');
    dataDir = mkdtempSync(join(tmpdir(), 'wave-events-store-'));
    store = await openStore({ dataDir, databaseUrl: db.url, log: () => undefined });
  });
  afterAll(async () => {
    await store?.close();
    await db?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('keeps outbox events until marked delivered, oldest first, and knows the highest seq', async () => {
    const outbox = new EventOutboxRepo(store);
    const session = `s-${randomUUID().slice(0, 8)}`;
    const [a, b, c] = [1, 2, 3].map((seq) => ({
      ...SAMPLE_EVENTS[0]!,
      id: randomUUID(),
      session,
      seq,
      produced_at: `2025-03-01T10:00:0${seq}.000001Z`,
    }));
    for (const e of [b!, a!, c!]) await outbox.add(e);
    await outbox.add(a!); // a replayed add is harmless
    expect((await outbox.pending(10)).filter((e) => e.session === session).map((e) => e.seq)).toEqual([1, 2, 3]);
    expect(await outbox.maxSeq(session, 'AUTH-001')).toBe(3);
    expect(await outbox.maxSeq(session, null)).toBe(0);
    await outbox.markDelivered([a!.id, b!.id], new Date());
    expect((await outbox.pending(10)).filter((e) => e.session === session)).toEqual([c]);
  });

  it('remembers handled events across instances (a restarted process)', async () => {
    const id = randomUUID();
    await new DedupRepo(store).markProcessed('orchestrator', id);
    const fresh = new DedupRepo(store);
    expect(await fresh.has('orchestrator', id)).toBe(true);
    expect(await fresh.has('ui', id)).toBe(false);
  });

  it('does not run a handler again for an event a previous process already handled', async () => {
    const prefix = uniquePrefix('events-durable-dedup');
    try {
      const session = `s-${randomUUID().slice(0, 8)}`;
      const id = randomUUID();
      const first = await createEventBus({ redisUrl: TEST_REDIS_URL, keyPrefix: prefix, store, blockMs: 300 });
      const firstSeen: string[] = [];
      await first.subscribe('orchestrator', (e) => void firstSeen.push(e.id), { session });
      await first.publish({ id, type: 'story_started', session, story: 'A' });
      await vi.waitFor(() => expect(firstSeen).toEqual([id]), { timeout: 10_000 });
      await first.close();

      // The same event again (an at-least-once producer retrying) reaches a new process.
      const second = await createEventBus({ redisUrl: TEST_REDIS_URL, keyPrefix: prefix, store, blockMs: 300 });
      const secondSeen: string[] = [];
      await second.subscribe('orchestrator', (e) => void secondSeen.push(e.id), { session, from: 'new' });
      await second.publish({ id, type: 'story_started', session, story: 'A' });
      const marker = await second.publish({ type: 'story_completed', session, story: 'A' });
      await vi.waitFor(() => expect(secondSeen).toEqual([marker.id]), { timeout: 10_000 });
      await second.close();
    } finally {
      await cleanupPrefix(prefix);
    }
  });

  it('records dead letters and latency statistics in their tables', async () => {
    const session = `s-${randomUUID().slice(0, 8)}`;
    const bus = await createEventBus({ store, maxDeliveries: 2, retryDelayMs: 10 });
    await bus.subscribe(
      'ui',
      (e) => {
        if (e.type === 'signal') throw new Error('no such story');
      },
      { session },
    );
    const bad = await bus.publish({ type: 'signal', session, story: 'Z', signal: 'blocked' });
    await bus.publish({ type: 'heartbeat', session, component: 'ok' });
    await vi.waitFor(
      async () =>
        expect(await store.db.select().from(deadLetters).where(eq(deadLetters.eventId, bad.id))).toHaveLength(1),
      {
        timeout: 10_000,
      },
    );
    const [letter] = await store.db.select().from(deadLetters).where(eq(deadLetters.eventId, bad.id));
    expect(letter).toMatchObject({
      sessionId: session,
      deliveries: 2,
      reason: expect.stringContaining('no such story'),
    });
    await bus.close();
    // close() persisted the open bucket: one heartbeat and the signal's two deliveries.
    const stats = await store.db.select().from(latencyStats).where(eq(latencyStats.eventType, 'signal'));
    expect(stats.reduce((n, s) => n + s.count, 0)).toBe(2);
    expect(stats[0]).toMatchObject({ windowMs: 10_000, p50Ms: expect.any(Number), p99Ms: expect.any(Number) });
    expect(storeEventPorts(store)).toHaveProperty('outbox');
  });
});
