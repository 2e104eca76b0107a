import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { describe, expect, it, vi } from 'vitest';
import { TEST_REDIS_URL } from '../../../../test/helpers/env';
import { redisBusTestKit } from '../../../../test/helpers/redis-bus';
import type { WaveEvent } from '../../../shared/events';
import type { DeliveryInfo } from './ports';
import { RedisEventBus } from './redis-bus';

const FIXTURE = fileURLToPath(new URL('./fixtures/stalling-consumer.ts', import.meta.url));

describe('redis bus: crashed consumers', () => {
  const { setup, cleanups } = redisBusTestKit('events-takeover');

  /** Starts the stalling consumer, feeds it `count` events, waits until it holds all of them, and kills it. */
  async function crashConsumerWithWork(
    env: { prefix: string; session: string; redis: Redis; stream: string },
    publisher: RedisEventBus,
    count: number,
  ) {
    const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', FIXTURE], {
      env: { ...process.env, REDIS_URL: TEST_REDIS_URL, WAVE_TEST_PREFIX: env.prefix, WAVE_TEST_SESSION: env.session },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    cleanups.push(() => void child.kill('SIGKILL'));
    let out = '';
    child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()));
    await vi.waitFor(() => expect(out).toContain('ready'), { timeout: 20_000, interval: 50 });
    const ids: string[] = [];
    for (let i = 0; i < count; i++)
      ids.push(
        (await publisher.publish({ type: 'progress', session: env.session, story: 'A', message: `step ${i}` })).id,
      );
    await vi.waitFor(() => expect(out).toContain(`received ${ids[0]}`), { timeout: 10_000, interval: 20 });
    await vi.waitFor(
      async () => expect(((await env.redis.xpending(env.stream, 'worker')) as [number])[0]).toBe(count),
      { timeout: 10_000, interval: 20 },
    );
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
    return ids;
  }

  it('a second consumer takes over the events a crashed one left unacknowledged, in order, once each', async () => {
    const env = await setup();
    const publisher = await env.bus();
    const ids = await crashConsumerWithWork(env, publisher, 5);

    const successor = await env.bus({ claimIdleMs: 400 });
    const handled: Array<{ event: WaveEvent; info: DeliveryInfo }> = [];
    await successor.subscribe('worker', (event, info) => void handled.push({ event, info }), { session: env.session });
    await vi.waitFor(() => expect(handled).toHaveLength(5), { timeout: 15_000, interval: 20 });
    expect(handled.map((h) => h.event.id)).toEqual(ids);
    expect(handled.every((h) => h.info.deliveries === 2)).toBe(true);
    await vi.waitFor(async () => expect(((await env.redis.xpending(env.stream, 'worker')) as [number])[0]).toBe(0), {
      timeout: 5_000,
    });

    // New work keeps flowing to the successor.
    await publisher.publish({ type: 'progress', session: env.session, story: 'A', message: 'after takeover' });
    await vi.waitFor(() => expect(handled).toHaveLength(6), { timeout: 5_000 });
    expect(handled[5]?.event.seq).toBe(6);
  });

  it('dead-letters events whose deliveries ran out because their consumers kept crashing', async () => {
    const env = await setup();
    const publisher = await env.bus();
    const ids = await crashConsumerWithWork(env, publisher, 2);

    const successor = await env.bus({ claimIdleMs: 400, maxDeliveries: 1 });
    const handled: string[] = [];
    await successor.subscribe('worker', (e) => void handled.push(e.id), { session: env.session });
    await vi.waitFor(async () => expect(await successor.listDeadLetters({ session: env.session })).toHaveLength(2), {
      timeout: 15_000,
      interval: 50,
    });
    const letters = await successor.listDeadLetters({ session: env.session });
    expect(letters.map((l) => l.eventId).sort()).toEqual([...ids].sort());
    for (const letter of letters) {
      expect(letter.deliveries).toBe(2);
      expect(letter.reason).toMatch(/without being acknowledged/);
      expect(letter.stream).toBe(env.stream);
    }
    expect(handled).toEqual([]);
    expect(((await env.redis.xpending(env.stream, 'worker')) as [number])[0]).toBe(0);
    expect(await env.redis.xlen(`${env.prefix}dead-letters`)).toBe(2);
  });
});
