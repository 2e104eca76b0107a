import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { TEST_REDIS_URL } from '../../../../test/helpers/env';
import { cleanupPrefix, uniquePrefix } from '../../../../test/helpers/redis';
import type { WaveEvent } from '../../../shared/events';
import { runCliCaptured } from '../../../../test/helpers/cli';
import { signalCommand } from '../../cli/commands/signal';
import { freePort } from './fixtures/private-redis';
import { RedisEventBus } from './redis-bus';

async function wave(argv: string[], env: NodeJS.ProcessEnv) {
  const r = await runCliCaptured(argv, { commands: [signalCommand], env });
  return { code: r.code, out: r.stdout, err: r.stderr };
}

describe('wave signal', () => {
  const cleanups: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  it('reaches a running session from another process', async () => {
    const prefix = uniquePrefix('events-cli');
    cleanups.push(() => cleanupPrefix(prefix));
    const session = `s-${randomUUID().slice(0, 8)}`;
    const run = new RedisEventBus({ redisUrl: TEST_REDIS_URL, keyPrefix: prefix, blockMs: 300 });
    cleanups.push(() => run.close());
    await run.start();
    const seen: WaveEvent[] = [];
    await run.subscribe('orchestrator', (e) => void seen.push(e), { session });
    const env = { REDIS_URL: TEST_REDIS_URL, WAVE_REDIS_PREFIX: prefix };

    const blocked = await wave(
      [
        'signal',
        'blocked',
        '--session',
        session,
        '--story',
        'AUTH-001',
        '--gate',
        'gate-2',
        '-m',
        'needs the API key',
        '--json',
      ],
      env,
    );
    expect(blocked.code).toBe(0);
    const ack = JSON.parse(blocked.out).published;
    expect(ack).toMatchObject({ type: 'signal', session, story: 'AUTH-001', seq: 1, via: 'redis' });

    const progress = await wave(
      ['signal', 'progress', '--session', session, '--story', 'AUTH-001', '--data', '{"message":"half way","pct":50}'],
      env,
    );
    expect(progress.code).toBe(0);
    expect(progress.out).toMatch(/Published progress to session .* story AUTH-001 \(seq 2/);

    await vi.waitFor(() => expect(seen).toHaveLength(2), { timeout: 10_000 });
    expect(seen[0]).toMatchObject({
      id: ack.id,
      type: 'signal',
      signal: 'blocked',
      gate: 'gate-2',
      message: 'needs the API key',
      source: expect.stringMatching(/^cli:/),
    });
    expect(seen[1]).toMatchObject({ type: 'progress', pct: 50, seq: 2 });
  });

  it('fails clearly without REDIS_URL, with Redis down, and with an invalid event', async () => {
    const noRedis = await wave(['signal', 'complete', '--session', 'S1', '--story', 'A', '--json'], {});
    expect(noRedis.code).toBe(1);
    expect(JSON.parse(noRedis.out).error).toMatchObject({
      code: 'redis_required',
      message: expect.stringMatching(/REDIS_URL is not set/),
    });

    const down = await wave(['signal', 'complete', '--session', 'S1', '--story', 'A'], {
      REDIS_URL: `redis://127.0.0.1:${await freePort()}`,
    });
    expect(down.code).toBe(1);
    expect(down.err).toMatch(/Cannot reach Redis at redis:\/\/127\.0\.0\.1:\d+ .*Start Redis or set REDIS_URL/);

    const invalid = await wave(
      ['signal', 'gate_passed', '--session', 'S1', '--story', 'A', '--data', '{"gate":"gate-1","attempt":0}'],
      { REDIS_URL: TEST_REDIS_URL, WAVE_REDIS_PREFIX: uniquePrefix('events-cli-invalid') },
    );
    expect(invalid.code).toBe(2);
    expect(invalid.err).toMatch(/gate_passed.*attempt.*Nothing was published/);

    const unknown = await wave(['signal', 'teleport', '--session', 'S1'], { REDIS_URL: TEST_REDIS_URL });
    expect(unknown.code).toBe(2);
    expect(unknown.err).toMatch(/Unknown event type "teleport"/);

    const badJson = await wave(['signal', 'progress', '--session', 'S1', '--data', '{pct:1}'], {
      REDIS_URL: TEST_REDIS_URL,
    });
    expect(badJson.code).toBe(2);
    expect(badJson.err).toMatch(/--data is not valid JSON/);
  });
});
