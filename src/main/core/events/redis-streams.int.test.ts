import { randomUUID } from 'node:crypto';
import { describe, expect, it, vi } from 'vitest';
import { TEST_REDIS_URL } from '../../../../test/helpers/env';
import { cleanupPrefix, uniquePrefix } from '../../../../test/helpers/redis';
import { redisBusTestKit } from '../../../../test/helpers/redis-bus';
import type { WaveEvent } from '../../../shared/events';
import { createEventBus } from './create-event-bus';

describe('redis bus: streams', () => {
  const { setup, cleanups } = redisBusTestKit('events-streams');

  it('is what createEventBus picks with a Redis URL, and says so', async () => {
    const prefix = uniquePrefix('events-factory');
    cleanups.push(() => cleanupPrefix(prefix));
    const bus = await createEventBus({ redisUrl: TEST_REDIS_URL, keyPrefix: prefix });
    cleanups.push(() => bus.close());
    expect(bus.kind).toBe('redis');
    expect(bus.reason).toMatch(/REDIS_URL is set: Redis Streams at redis:\/\/127\.0\.0\.1:6379/);
    expect(await bus.health()).toMatchObject({ kind: 'redis', status: 'ok', circuit: 'closed', outboxPending: 0 });
  });

  it('dead-letters malformed entries with the reason and keeps delivering the good ones', async () => {
    const env = await setup();
    const bus = await env.bus();
    const seen: WaveEvent[] = [];
    await bus.subscribe('ui', (e) => void seen.push(e), { session: env.session });
    await env.redis.xadd(env.stream, '*', 'seq', '1', 'e', '{"type":"progress",');
    await env.redis.xadd(env.stream, '*', 'hello', 'world');
    await env.redis.xadd(
      env.stream,
      '*',
      'seq',
      '2',
      'e',
      JSON.stringify({
        id: randomUUID(),
        session: env.session,
        story: 'A',
        type: 'progress',
        pct: 500,
        message: 'x',
        produced_at: new Date().toISOString(),
      }),
    );
    await bus.publish({ type: 'progress', session: env.session, story: 'A', message: 'fine' });
    await vi.waitFor(() => expect(seen).toHaveLength(1), { timeout: 10_000 });
    expect(seen[0]).toMatchObject({ message: 'fine' });
    await vi.waitFor(async () => expect(await bus.listDeadLetters({ session: env.session })).toHaveLength(3), {
      timeout: 10_000,
    });
    const reasons = (await bus.listDeadLetters({ session: env.session })).map((l) => l.reason);
    expect(reasons).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/malformed event: "e" is not valid JSON/),
        expect.stringMatching(/malformed event: entry has no "e" field/),
        expect.stringMatching(/malformed event: progress: pct/),
      ]),
    );
    expect(((await env.redis.xpending(env.stream, 'ui')) as [number])[0]).toBe(0);
  });

  it('trims a session stream to about MAXLEN but never drops an unacknowledged entry', async () => {
    const env = await setup();
    const bus = await env.bus({ maxLen: 20, trimEvery: 1 });
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const handled: number[] = [];
    await bus.subscribe(
      'slow',
      async (e) => {
        await gate;
        handled.push(e.seq);
      },
      { session: env.session },
    );
    for (let i = 0; i < 250; i++) await bus.publish({ type: 'heartbeat', session: env.session, component: `c${i}` });
    // The consumer is stuck on the first event: every entry it has not acknowledged must still be there.
    expect(await env.redis.xlen(env.stream)).toBe(250);
    release();
    await vi.waitFor(() => expect(handled).toHaveLength(250), { timeout: 20_000 });
    expect(handled).toEqual(Array.from({ length: 250 }, (_, i) => i + 1));
    await vi.waitFor(async () => expect(((await env.redis.xpending(env.stream, 'slow')) as [number])[0]).toBe(0));
    for (let i = 0; i < 120; i++) await bus.publish({ type: 'heartbeat', session: env.session, component: 'more' });
    await vi.waitFor(() => expect(handled).toHaveLength(370), { timeout: 20_000 });
    await bus.publish({ type: 'heartbeat', session: env.session, component: 'last' });
    // Approximate trimming removes whole stream nodes (up to 100 entries): "about" 20.
    expect(await env.redis.xlen(env.stream)).toBeLessThan(150);
  });

  it('gives concurrent producers unique per-story sequence numbers in stream order', async () => {
    const env = await setup();
    const [a, b] = [await env.bus(), await env.bus()];
    const seen: WaveEvent[] = [];
    await a.subscribe('ui', (e) => void seen.push(e), { session: env.session });
    await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        (i % 2 ? a : b).publish({ type: 'progress', session: env.session, story: 'A', message: `m${i}` }),
      ),
    );
    await vi.waitFor(() => expect(seen).toHaveLength(40), { timeout: 10_000 });
    expect(seen.map((e) => e.seq)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
  });

  it('delivers emergency_stop from another process to every process of the session, not stops sent before it subscribed', async () => {
    const env = await setup();
    const [stopper, runner1, runner2] = [await env.bus(), await env.bus(), await env.bus()];
    await stopper.publish({ type: 'emergency_stop', session: env.session, reason: 'old stop', by: 'lead' });
    const got1: WaveEvent[] = [];
    const got2: WaveEvent[] = [];
    await runner1.subscribeSystem(env.session, (e) => void got1.push(e));
    await runner2.subscribeSystem(env.session, (e) => void got2.push(e));
    await stopper.publish({
      type: 'emergency_stop',
      session: env.session,
      reason: 'STOP pressed',
      by: 'lead',
      pid: process.pid,
    });
    await vi.waitFor(() => expect(got1).toHaveLength(1), { timeout: 10_000 });
    await vi.waitFor(() => expect(got2).toHaveLength(1), { timeout: 10_000 });
    expect(got1[0]).toMatchObject({ reason: 'STOP pressed' });
    expect(got2[0]?.id).toBe(got1[0]?.id);
  });

  it('lets a consumer subscribe to new events only', async () => {
    const env = await setup();
    const bus = await env.bus();
    await bus.publish({ type: 'heartbeat', session: env.session, component: 'before' });
    const seen: string[] = [];
    await bus.subscribe('late', (e) => void seen.push(e.type === 'heartbeat' ? e.component : ''), {
      session: env.session,
      from: 'new',
    });
    await bus.publish({ type: 'heartbeat', session: env.session, component: 'after' });
    await vi.waitFor(() => expect(seen).toEqual(['after']), { timeout: 10_000 });
  });

  it('resumes its own unacknowledged events at once when restarted with the same instance name', async () => {
    const env = await setup();
    const first = await env.bus({ claimIdleMs: 60_000, closeGraceMs: 100 });
    let firstSaw = 0;
    const sub = await first.subscribe('worker', () => new Promise<void>(() => void firstSaw++), {
      session: env.session,
      instance: 'host-a',
    });
    await first.publish({ type: 'heartbeat', session: env.session, component: 'x' });
    await vi.waitFor(() => expect(firstSaw).toBe(1), { timeout: 10_000 });
    await sub.close();
    const again = await env.bus({ claimIdleMs: 60_000 });
    const seen: number[] = [];
    await again.subscribe('worker', (_e, info) => void seen.push(info.deliveries), {
      session: env.session,
      instance: 'host-a',
    });
    await vi.waitFor(() => expect(seen).toEqual([2]), { timeout: 10_000 });
  });
});
