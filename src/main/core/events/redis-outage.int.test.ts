import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isNull } from 'drizzle-orm';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createTestDatabase } from '../../../../test/helpers/pg';
import { TEST_REDIS_URL } from '../../../../test/helpers/env';
import { cleanupPrefix, uniquePrefix } from '../../../../test/helpers/redis';
import type { WaveEvent } from '../../../shared/events';
import { events as eventsTable, openStore } from '../../store';
import { createEventBus } from './create-event-bus';
import { FreezableProxy } from './fixtures/freezable-proxy';
import { PrivateRedis } from './fixtures/private-redis';
import type { PublishAck } from './ports';
import { RedisEventBus, type RedisEventBusOptions } from './redis-bus';

/** Counts deliveries per event id, so "once" can be asserted. */
class Tally {
  readonly order: WaveEvent[] = [];
  readonly counts = new Map<string, number>();
  add = (e: WaveEvent): void => {
    this.order.push(e);
    this.counts.set(e.id, (this.counts.get(e.id) ?? 0) + 1);
  };
  get size(): number {
    return this.counts.size;
  }
}

describe('redis bus: outages', () => {
  const cleanups: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  const busOn = async (url: string, keyPrefix: string, o: Partial<RedisEventBusOptions> = {}) => {
    const bus = new RedisEventBus({
      redisUrl: url,
      keyPrefix,
      blockMs: 300,
      commandTimeoutMs: 1_000,
      connectTimeoutMs: 1_000,
      ...o,
    });
    cleanups.push(() => bus.close());
    await bus.start();
    return bus;
  };

  it('survives Redis being stopped and started mid-stream: nothing lost, nothing handled twice', async () => {
    const redis = await PrivateRedis.start();
    cleanups.push(() => redis.close());
    const prefix = 'wave:';
    const session = `s-${randomUUID().slice(0, 8)}`;
    // The run's own process (producer + orchestrator) and another process (a UI) on the same session.
    const run = await busOn(redis.url, prefix);
    const other = await busOn(redis.url, prefix);
    const local = new Tally();
    const remote = new Tally();
    await run.subscribe('orchestrator', local.add, { session });
    // A slower consumer: it still has events in flight when Redis goes away.
    await other.subscribe(
      'ui',
      async (e) => {
        await new Promise((r) => setTimeout(r, 15));
        remote.add(e);
      },
      { session },
    );

    const acks: PublishAck[] = [];
    const kinds = new Set<string>();
    for (let i = 0; i < 60; i++) {
      if (i === 20) await redis.stopServer();
      if (i === 40) await redis.startServer();
      acks.push(await run.publish({ type: 'progress', session, story: 'A', message: `step ${i}` }));
      kinds.add(run.kind);
      await new Promise((r) => setTimeout(r, 10));
    }
    // While Redis was down the run kept going in-process and said so.
    expect(kinds).toContain('in-process');
    expect(acks.some((a) => a.via === 'outbox')).toBe(true);

    await vi.waitFor(() => expect(run.circuitState).toBe('closed'), { timeout: 15_000 });
    await vi.waitFor(() => expect(local.size).toBe(60), { timeout: 15_000 });
    await vi.waitFor(() => expect(remote.size).toBe(60), { timeout: 15_000 });
    // Let the replayed copies reach the orchestrator too: they must be recognised, not re-run.
    await vi.waitFor(async () => expect((await run.health()).outboxPending).toBe(0), { timeout: 10_000 });
    await new Promise((r) => setTimeout(r, 800));

    const messages = (t: Tally) => t.order.map((e) => (e.type === 'progress' ? e.message : ''));
    const expected = Array.from({ length: 60 }, (_, i) => `step ${i}`);
    expect([...local.counts.values()].every((n) => n === 1)).toBe(true);
    expect([...remote.counts.values()].every((n) => n === 1)).toBe(true);
    expect(messages(local)).toEqual(expected);
    expect(messages(remote)).toEqual(expected);
    expect(acks.map((a) => a.seq)).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
    expect(remote.order.map((e) => e.seq)).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
    expect((await run.health()).kind).toBe('redis');
  });

  it('starts in-process when Redis is down, keeps the events in the store, and replays them when Redis comes up', async () => {
    const redis = await PrivateRedis.start();
    await redis.stopServer();
    cleanups.push(() => redis.close());
    const db = await createTestDatabase('events_outbox');
    cleanups.push(() => db.drop());
    const dataDir = mkdtempSync(join(tmpdir(), 'wave-events-'));
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    const store = await openStore({ dataDir, databaseUrl: db.url, log: () => undefined });
    cleanups.push(() => store.close());
    const session = `s-${randomUUID().slice(0, 8)}`;

    const bus = await createEventBus({
      redisUrl: redis.url,
      store,
      blockMs: 300,
      commandTimeoutMs: 1_000,
      connectTimeoutMs: 500,
    });
    cleanups.push(() => bus.close());
    expect(bus.kind).toBe('in-process');
    const health = await bus.health();
    expect(health).toMatchObject({ kind: 'in-process', status: 'degraded', circuit: 'open' });
    expect(health.reason).toMatch(/unreachable/);
    expect(health.detail).toMatch(/Start Redis or fix REDIS_URL/);

    const local = new Tally();
    await bus.subscribe('orchestrator', local.add, { session });
    for (let i = 0; i < 5; i++)
      expect(
        (await bus.publish({ type: 'gate_started', session, story: 'B', gate: `gate-${i}`, attempt: 1 })).via,
      ).toBe('outbox');
    await vi.waitFor(() => expect(local.size).toBe(5), { timeout: 10_000 });
    const kept = await store.db.select().from(eventsTable).where(isNull(eventsTable.deliveredAt));
    expect(kept.map((r) => r.seq).sort()).toEqual([1, 2, 3, 4, 5]);
    expect((await bus.health()).outboxPending).toBe(5);

    await redis.startServer();
    await vi.waitFor(() => expect(bus.kind).toBe('redis'), { timeout: 15_000 });
    expect(await store.db.select().from(eventsTable).where(isNull(eventsTable.deliveredAt))).toHaveLength(0);
    // Another process, subscribing only now, finds all of them in Redis.
    const other = await busOn(redis.url, 'wave:');
    const remote = new Tally();
    await other.subscribe('ui', remote.add, { session });
    await vi.waitFor(() => expect(remote.size).toBe(5), { timeout: 10_000 });
    expect(remote.order.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5]);
    await new Promise((r) => setTimeout(r, 600));
    expect([...local.counts.values()]).toEqual([1, 1, 1, 1, 1]);
  });

  it('recovers a blocking read that hangs on a silently dead connection (watchdog)', async () => {
    const proxy = new FreezableProxy(Number(new URL(TEST_REDIS_URL).port || 6379), new URL(TEST_REDIS_URL).hostname);
    await proxy.start();
    cleanups.push(() => proxy.close());
    const prefix = uniquePrefix('events-watchdog');
    cleanups.push(() => cleanupPrefix(prefix));
    const session = `s-${randomUUID().slice(0, 8)}`;
    const warnings: string[] = [];
    const log = {
      info: () => undefined,
      warn: (m: string) => void warnings.push(m),
      error: (m: string) => void warnings.push(m),
    };
    const watched = await busOn(`redis://127.0.0.1:${proxy.port}`, prefix, {
      blockMs: 300,
      watchdogMarginMs: 300,
      commandTimeoutMs: 500,
      log,
    });
    const publisher = await busOn(TEST_REDIS_URL, prefix);
    const seen = new Tally();
    await watched.subscribe('ui', seen.add, { session });
    await publisher.publish({ type: 'heartbeat', session, component: 'before' });
    await vi.waitFor(() => expect(seen.size).toBe(1), { timeout: 10_000 });

    proxy.freeze();
    await publisher.publish({ type: 'heartbeat', session, component: 'during' });
    await publisher.publish({ type: 'heartbeat', session, component: 'after' });
    await vi.waitFor(() => expect(seen.size).toBe(3), { timeout: 15_000 });
    expect(seen.order.map((e) => (e.type === 'heartbeat' ? e.component : ''))).toEqual(['before', 'during', 'after']);
    await vi.waitFor(() => expect(watched.kind).toBe('redis'), { timeout: 10_000 });
    expect(warnings).toContain('Blocking read got no reply in time; recreating its connection');
  });

  it('close() interrupts a blocking read at once', async () => {
    const prefix = uniquePrefix('events-close');
    cleanups.push(() => cleanupPrefix(prefix));
    const bus = new RedisEventBus({
      redisUrl: TEST_REDIS_URL,
      keyPrefix: prefix,
      blockMs: 30_000,
      watchdogMarginMs: 5_000,
    });
    await bus.start();
    await bus.subscribe('ui', () => undefined, { session: 'idle' });
    await bus.subscribeSystem('idle', () => undefined);
    await new Promise((r) => setTimeout(r, 200));
    const t0 = Date.now();
    await bus.close();
    // Well under the 30 s BLOCK: the read was interrupted, not waited out.
    expect(Date.now() - t0).toBeLessThan(10_000);
  });
});
